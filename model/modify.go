package model

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// EditMessage replaces a message's content, keeping the previous content in
// its edit history, and marks it edited, in one transaction. msg is updated
// in place.
func (s *Store) EditMessage(ctx context.Context, msg *Message, content string, now time.Time) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Only the sender edits: a muted sender may not.
		if err := s.NotMuted(ctx, tx, msg.RoomID, msg.SenderID, now); err != nil {
			return err
		}
		edit := &MessageEdit{ID: newID(), MessageID: msg.ID, Content: msg.Content, EditedAt: now}
		if _, err := tx.NewInsert().Model(edit).Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*Message)(nil)).
			Set("content = ?", content).Set("is_edited = ?", true).Set("updated_at = ?", now).
			Where("id = ? AND is_deleted = ?", msg.ID, false).Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return ErrNotFound // deleted meanwhile
		}
		if err := s.indexMessageText(ctx, tx, msg.ID, content); err != nil {
			return err
		}
		msg.Content, msg.IsEdited, msg.UpdatedAt = content, true, now
		return nil
	})
}

// Edits returns the previous versions of a message, oldest first.
func (s *Store) Edits(ctx context.Context, messageID string) ([]*MessageEdit, error) {
	var edits []*MessageEdit
	err := s.db.NewSelect().Model(&edits).Where("me.message_id = ?", messageID).Order("me.edited_at ASC", "me.id ASC").Scan(ctx)
	return edits, mapErr(err)
}

// DeleteMessages deletes messages and their notifications in one
// transaction: soft marks them deleted (they vanish from history and
// lookups), hard removes them with everything that hangs off them.
func (s *Store) DeleteMessages(ctx context.Context, ids []string, soft bool, now time.Time) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return deleteMessagesTx(ctx, tx, ids, soft, now) })
}

// deleteMessagesTx is the deletion of DeleteMessages in the transaction tx:
// the messages, what hangs off them, and the counts of the threads they
// were replies of.
func deleteMessagesTx(ctx context.Context, tx bun.Tx, ids []string, soft bool, now time.Time) error {
	td, err := lockThreadRoots(ctx, tx, ids)
	if err != nil {
		return err
	}
	if err := deleteNotifications(ctx, tx, ids); err != nil {
		return err
	}
	if soft {
		_, err := tx.NewUpdate().Model((*Message)(nil)).
			Set("is_deleted = ?", true).Set("updated_at = ?", now).
			Where("id IN (?)", bun.In(ids)).Exec(ctx)
		if err != nil {
			return err
		}
		return recountThreads(ctx, tx, td)
	}
	// Delete what hangs off the messages explicitly rather than rely on
	// ON DELETE CASCADE, which SQLite applies only with foreign_keys on.
	for _, m := range []any{(*MessageEdit)(nil), (*Attachment)(nil), (*Reaction)(nil), (*ReadReceipt)(nil), (*Delivery)(nil)} {
		if _, err := tx.NewDelete().Model(m).Where("message_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
			return err
		}
	}
	// Replies, forwards and thread replies keep existing; they lose
	// their reference.
	for _, col := range []string{"parent_message_id", "forwarded_from_id", "thread_root_id"} {
		if _, err := tx.NewUpdate().Model((*Message)(nil)).Set("? = NULL", bun.Ident(col)).Where("? IN (?)", bun.Ident(col), bun.In(ids)).Exec(ctx); err != nil {
			return err
		}
	}
	if _, err := tx.NewDelete().Model((*Message)(nil)).Where("id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
		return err
	}
	return recountThreads(ctx, tx, td)
}

// MemberIDs returns the user ids of a room's members.
func (s *Store) MemberIDs(ctx context.Context, roomID string) ([]int64, error) {
	var ids []int64
	err := s.db.NewSelect().Model((*Member)(nil)).Column("user_id").Where("m.room_id = ?", roomID).Order("m.user_id ASC").Scan(ctx, &ids)
	return ids, mapErr(err)
}

// UserMemberships returns the user's memberships of the given rooms, by room id;
// rooms the user is not a member of are absent.
func (s *Store) UserMemberships(ctx context.Context, userID int64, roomIDs []string) (map[string]*Member, error) {
	var ms []*Member
	if len(roomIDs) > 0 {
		if err := s.db.NewSelect().Model(&ms).Where("m.user_id = ? AND m.room_id IN (?)", userID, bun.In(roomIDs)).Scan(ctx); err != nil {
			return nil, mapErr(err)
		}
	}
	out := make(map[string]*Member, len(ms))
	for _, m := range ms {
		out[m.RoomID] = m
	}
	return out, s.attachMembers(ctx, s.db, ms)
}

// Rooms returns rooms by id.
func (s *Store) Rooms(ctx context.Context, ids []string) (map[string]*Room, error) {
	var rooms []*Room
	if len(ids) > 0 {
		if err := s.db.NewSelect().Model(&rooms).Where("r.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return nil, mapErr(err)
		}
	}
	out := make(map[string]*Room, len(rooms))
	for _, r := range rooms {
		out[r.ID] = r
	}
	return out, nil
}
