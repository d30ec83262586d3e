package model

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// NewMessage is what InsertMessage stores at once: the message and its
// attachments.
type NewMessage struct {
	Message     *Message
	Attachments []*Attachment
	// IfACLVersion, when set, is the room's acl_version that the sender's
	// permission check saw: the message is stored only if the room, once
	// its row is locked, still has that version, so a member removed (or a
	// grant revoked) on any node meanwhile cannot post. Otherwise
	// InsertMessage stores nothing and returns ErrStale.
	IfACLVersion *int64
}

// ErrStale means the room's settings, members, roles or grants changed since
// the permission check that a write was made under; check again and retry.
var ErrStale = errors.New("rtchat: room changed since the permission check")

// InsertMessage stores a message: it takes the room's next seq with the
// room row's lock, inserts the message and its attachments, and moves the
// sender's read pointer to the new seq, all in one statement on Postgres
// (one round trip) and one transaction on SQLite. It fills in Message.Seq.
// A duplicate client_msg_id of the same sender in the same room is
// ErrConflict, a missing room ErrNotFound, a changed room (IfACLVersion)
// ErrStale, a sender muted in the room (with moderation on, checked in the
// same statement or transaction) ErrMuted; each stores nothing and leaves
// msg.Seq 0.
func (s *Store) InsertMessage(ctx context.Context, nm NewMessage) error {
	msg := nm.Message
	for i, a := range nm.Attachments {
		a.MessageID, a.Position = msg.ID, i
	}
	var seq int64
	var err error
	if s.db.Dialect().Name() == dialect.PG {
		seq, err = s.insertMessagePG(ctx, nm)
	} else {
		seq, err = s.insertMessageTx(ctx, nm)
	}
	if errors.Is(err, sql.ErrNoRows) {
		msg.Thread = nil
		// No room row matched: gone, changed since the check, the sender
		// muted there (moderation), which a read outside the hot path
		// tells apart; or, for a thread reply, its root is not a root of
		// the room any more (the caller reads the root to tell).
		if s.moderation {
			if err := s.NotMuted(ctx, s.db, msg.RoomID, msg.SenderID, msg.CreatedAt); err != nil {
				return err
			}
		}
		if nm.IfACLVersion == nil {
			return ErrNotFound
		}
		return ErrStale
	}
	if err != nil {
		msg.Thread = nil
		return mapErr(err)
	}
	msg.Seq = seq
	if cm := s.custom.Model("Message"); cm != nil && msg.Custom != nil {
		cm.SetBase(msg.Custom, msg) // with its seq
	}
	return nil
}

// insertMessagePG stores the message with one statement: the room's update
// takes the row lock and the seq, and the inserts and the sender's pointer
// use it. Any failure (a duplicate client_msg_id) undoes all of it, so no
// seq is ever skipped. The statement goes with numbered parameters (see
// prepared.go), so each connection plans it once.
func (s *Store) insertMessagePG(ctx context.Context, nm NewMessage) (int64, error) {
	msg := nm.Message
	var q params
	room := q.arg(msg.RoomID)
	var threadCol, threadVal string
	if msg.ThreadRootID != nil {
		// A thread reply (threads.go): the room row is locked first, as
		// every send does, then the root is counted, and the room's seq is
		// taken only if the root still qualified, so that the reply, its
		// seq and its root's count are stored together or not at all.
		root := q.arg(*msg.ThreadRootID)
		threadCol, threadVal = ", thread_root_id", ", "+root
		q.printf(`WITH rl AS (SELECT last_seq + 1 AS next FROM rtchat_rooms WHERE id = %s`, room)
		if nm.IfACLVersion != nil {
			q.printf(` AND acl_version = %s::bigint`, q.arg(*nm.IfACLVersion))
		}
		if s.moderation {
			// Here too, not only in r: t counts the reply whenever rl has
			// a row, so a muted sender must leave rl empty.
			notMutedClause(&q, room, msg)
		}
		q.printf(` FOR UPDATE),
t AS (UPDATE rtchat_messages AS tr SET thread_reply_count = tr.thread_reply_count + 1, thread_last_reply_at = %s::timestamptz,
	thread_last_reply_seq = rl.next FROM rl
	WHERE tr.id = %s AND tr.room_id = %s AND tr.is_deleted = FALSE AND tr.thread_root_id IS NULL
	RETURNING tr.thread_reply_count, tr.thread_last_reply_at),
r AS (UPDATE rtchat_rooms SET last_seq = last_seq + 1, last_activity_at = %s::timestamptz WHERE id = %s AND EXISTS (SELECT 1 FROM t)`,
			q.arg(msg.CreatedAt), root, room, q.arg(msg.CreatedAt), room)
	} else {
		q.printf(`WITH r AS (UPDATE rtchat_rooms SET last_seq = last_seq + 1, last_activity_at = %s::timestamptz WHERE id = %s`,
			q.arg(msg.CreatedAt), room)
	}
	if nm.IfACLVersion != nil {
		q.printf(` AND acl_version = %s::bigint`, q.arg(*nm.IfACLVersion))
	}
	if s.moderation {
		// A muted sender matches no room row: nothing is stored.
		notMutedClause(&q, room, msg)
	}
	// The app's own columns (WithModel) go in the same statement, each a
	// parameter cast to its column's type.
	mc, ac := s.custom.Model("Message"), s.custom.Model("Attachment")
	q.printf(` RETURNING last_seq),
m AS (INSERT INTO rtchat_messages (id, room_id, sender_id, seq, client_msg_id, content, is_edited, is_deleted,
	is_forwarded, forwarded_from_id, parent_message_id, created_at, updated_at%s%s)
	SELECT %s, %s, %s::bigint, r.last_seq, %s, %s, FALSE, FALSE, %s::boolean, %s, %s, %s::timestamptz, %s::timestamptz%s`,
		threadCol, extraColumns(mc, ""), q.arg(msg.ID), room, q.arg(msg.SenderID), q.arg(msg.ClientMsgID), q.arg(msg.Content), q.arg(msg.IsForwarded),
		q.arg(msg.ForwardedFromID), q.arg(msg.ParentMessageID), q.arg(msg.CreatedAt), q.arg(msg.UpdatedAt), threadVal)
	if mc != nil {
		if err := q.extraValues(mc, mc.appFor(reflect.ValueOf(msg))); err != nil {
			return 0, err
		}
	}
	q.printf(`
	FROM r RETURNING id, seq)`)
	if len(nm.Attachments) > 0 {
		q.printf(`,
a AS (INSERT INTO rtchat_attachments (id, message_id, media_url, media_type, mime_type, file_size, metadata, caption, position, created_at%s)
	SELECT v.id, m.id, v.media_url, v.media_type, v.mime_type, v.file_size, v.metadata, v.caption, v.position, v.created_at%s
	FROM m, (VALUES `, extraColumns(ac, ""), extraColumns(ac, "v."))
		for i, a := range nm.Attachments {
			if i > 0 {
				q.printf(", ")
			}
			meta, err := metadataText(a.Metadata)
			if err != nil {
				return 0, err
			}
			q.printf("(%s, %s, %s, %s, %s::bigint, %s::text, %s, %s::bigint, %s::timestamptz", q.arg(a.ID), q.arg(a.MediaURL),
				q.arg(a.MediaType), q.arg(a.MimeType), q.arg(a.FileSize), q.arg(meta), q.arg(a.Caption), q.arg(int64(a.Position)),
				q.arg(a.CreatedAt))
			if ac != nil {
				if err := q.extraValues(ac, ac.appFor(reflect.ValueOf(a))); err != nil {
					return 0, err
				}
			}
			q.printf(")")
		}
		q.printf(`) AS v (id, media_url, media_type, mime_type, file_size, metadata, caption, position, created_at%s))`, extraColumns(ac, ""))
	}
	q.printf(`,
p AS (UPDATE rtchat_members AS mb SET last_read_seq = m.seq FROM m
	WHERE mb.room_id = %s AND mb.user_id = %s::bigint AND mb.last_read_seq < m.seq)`, room, q.arg(msg.SenderID))
	var seq int64
	if msg.ThreadRootID != nil {
		st := &ThreadState{RootID: *msg.ThreadRootID}
		q.printf(`
SELECT m.seq, t.thread_reply_count, t.thread_last_reply_at FROM m, t`)
		if err := s.queryRow(ctx, q.String(), q.args...).Scan(&seq, &st.ReplyCount, &st.LastReplyAt); err != nil {
			return 0, err
		}
		st.LastReplyAt = st.LastReplyAt.UTC()
		msg.Thread = st
		return seq, nil
	}
	q.printf(`
SELECT seq FROM m`)
	err := s.queryRow(ctx, q.String(), q.args...).Scan(&seq)
	return seq, err
}

// notMutedClause adds to q the condition that msg's sender is not muted in
// the room (the parameter room) at the message's time.
func notMutedClause(q *params, room string, msg *Message) {
	q.printf(` AND NOT EXISTS (SELECT 1 FROM rtchat_mutes AS mu WHERE mu.room_id = %s AND mu.user_id = %s::bigint
	AND (mu.expires_at IS NULL OR mu.expires_at > %s::timestamptz))`, room, q.arg(msg.SenderID), q.arg(msg.CreatedAt))
}

// insertMessageTx is the same write as statements in one transaction, for
// SQLite, which has no writes in WITH (and one writer, so the
// statements cost no round trips).
func (s *Store) insertMessageTx(ctx context.Context, nm NewMessage) (int64, error) {
	msg := nm.Message
	var seq int64
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		upd := tx.NewUpdate().Model((*Room)(nil)).
			Set("last_seq = last_seq + 1").
			Set("last_activity_at = ?", msg.CreatedAt).
			Where("id = ?", msg.RoomID)
		if nm.IfACLVersion != nil {
			upd = upd.Where("acl_version = ?", *nm.IfACLVersion)
		}
		if s.moderation {
			upd = upd.Where("NOT EXISTS (SELECT 1 FROM rtchat_mutes AS mu WHERE mu.room_id = ? AND mu.user_id = ? AND "+activeAt("mu")+")",
				msg.RoomID, msg.SenderID, msg.CreatedAt)
		}
		if err := upd.Returning("last_seq").Scan(ctx, &seq); err != nil {
			return err
		}
		if msg.ThreadRootID != nil {
			if err := countThreadReply(ctx, tx, msg, seq); err != nil {
				return err
			}
		}
		msg.Seq = seq
		defer func() { msg.Seq = 0 }() // InsertMessage sets it once committed
		ins := s.newInsert(tx, "Message", msg)
		if msg.ThreadRootID == nil {
			// A plain message leaves the thread columns to their defaults,
			// as the Postgres statement does.
			ins = ins.ExcludeColumn(threadColumns...)
		}
		if _, err := ins.Exec(ctx); err != nil {
			return err
		}
		if len(nm.Attachments) > 0 {
			if _, err := s.newInsert(tx, "Attachment", &nm.Attachments).Exec(ctx); err != nil {
				return err
			}
		}
		if err := s.indexMessageText(ctx, tx, msg.ID, msg.Content); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Model((*Member)(nil)).
			Set("last_read_seq = ?", seq).
			Where("room_id = ? AND user_id = ? AND last_read_seq < ?", msg.RoomID, msg.SenderID, seq).
			Exec(ctx)
		return err
	})
	return seq, err
}

// metadataText is an attachment's metadata as the column stores it: JSON
// text, or NULL when there is none.
func metadataText(meta map[string]any) (*string, error) {
	if meta == nil {
		return nil, nil
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// MessageByClientID returns the message a sender stored in a room with a
// client_msg_id.
func (s *Store) MessageByClientID(ctx context.Context, roomID string, senderID int64, clientMsgID string) (*Message, error) {
	m := new(Message)
	err := s.db.NewSelect().Model(m).
		Where("msg.room_id = ? AND msg.sender_id = ? AND msg.client_msg_id = ?", roomID, senderID, clientMsgID).
		Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return m, s.attachMessage(ctx, m)
}

// HistoryQuery selects a page of a room's history by seq. With BeforeSeq the
// page is the newest messages below it, newest first; with AfterSeq the oldest
// above it, oldest first; with neither, the newest, newest first. Offset is
// only for the original's page-number pagination.
type HistoryQuery struct {
	RoomID string
	// ThreadRootID, when set, selects the replies of that thread only.
	ThreadRootID string
	BeforeSeq    int64
	AfterSeq     int64
	// After selects the AfterSeq direction, so that after_seq 0 means
	// "from the start".
	After  bool
	Limit  int
	Offset int
}

// History returns up to q.Limit visible messages and whether more exist in the
// same direction. It is a keyset scan on (room_id, seq).
func (s *Store) History(ctx context.Context, q HistoryQuery) ([]*Message, bool, error) {
	var msgs []*Message
	sel := s.db.NewSelect().Model(&msgs).
		Where("msg.room_id = ?", q.RoomID).
		Where("msg.is_deleted = ?", false).
		Limit(int64(q.Limit) + 1)
	if q.ThreadRootID != "" {
		sel = sel.Where("msg.thread_root_id = ?", q.ThreadRootID)
	}
	switch {
	case q.After || q.AfterSeq > 0:
		sel = sel.Where("msg.seq > ?", q.AfterSeq).Order("msg.seq ASC")
	case q.BeforeSeq > 0:
		sel = sel.Where("msg.seq < ?", q.BeforeSeq).Order("msg.seq DESC")
	default:
		sel = sel.Order("msg.seq DESC")
	}
	if q.Offset > 0 {
		sel = sel.Offset(int64(q.Offset))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, false, mapErr(err)
	}
	more := len(msgs) > q.Limit
	if more {
		msgs = msgs[:q.Limit]
	}
	if err := s.attachMessages(ctx, s.db, msgs); err != nil {
		return nil, false, err
	}
	if err := s.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, false, err
	}
	return msgs, more, nil
}

// MessageInRoom returns a visible message of a room by id; a message of
// another room is ErrNotFound.
func (s *Store) MessageInRoom(ctx context.Context, roomID, id string) (*Message, error) {
	m := new(Message)
	err := s.db.NewSelect().Model(m).Where("msg.id = ? AND msg.room_id = ? AND msg.is_deleted = ?", id, roomID, false).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return m, s.attachMessage(ctx, m)
}

// MessagesByID returns visible messages by id, in no particular order.
func (s *Store) MessagesByID(ctx context.Context, ids []string) ([]*Message, error) {
	var msgs []*Message
	if len(ids) == 0 {
		return msgs, nil
	}
	err := s.db.NewSelect().Model(&msgs).Where("msg.id IN (?)", bun.In(ids)).Where("msg.is_deleted = ?", false).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return msgs, s.attachMessages(ctx, s.db, msgs)
}

// LoadMessageRelations fills in the attachments, reactions, read receipts,
// delivery marks and the one-level-deep parent and forwarded messages of msgs,
// with a fixed number of queries whatever the number of messages.
func (s *Store) LoadMessageRelations(ctx context.Context, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := s.loadOwnRelations(ctx, msgs); err != nil {
		return err
	}
	return s.LoadReferences(ctx, msgs)
}

// LoadReferences fills in the parent and forwarded messages of msgs, one
// level deep, with their own relations; it skips the queries when no message
// refers to another.
func (s *Store) LoadReferences(ctx context.Context, msgs []*Message) error {
	var refIDs []string
	for _, m := range msgs {
		if m.ParentMessageID != nil {
			refIDs = append(refIDs, *m.ParentMessageID)
		}
		if m.ForwardedFromID != nil {
			refIDs = append(refIDs, *m.ForwardedFromID)
		}
	}
	if len(refIDs) == 0 {
		return nil
	}
	refs, err := s.MessagesByID(ctx, refIDs)
	if err != nil {
		return err
	}
	if err := s.loadOwnRelations(ctx, refs); err != nil {
		return err
	}
	byID := make(map[string]*Message, len(refs))
	for _, r := range refs {
		byID[r.ID] = r
	}
	for _, m := range msgs {
		if m.ParentMessageID != nil {
			m.ParentMessage = byID[*m.ParentMessageID]
		}
		if m.ForwardedFromID != nil {
			m.ForwardedFrom = byID[*m.ForwardedFromID]
		}
	}
	return nil
}

// LoadOwnRelations fills in what hangs off each message directly
// (attachments, reactions, read receipts, delivery marks), not the messages
// it refers to, with four queries whatever the number of messages.
func (s *Store) LoadOwnRelations(ctx context.Context, msgs []*Message) error {
	return s.loadOwnRelations(ctx, msgs)
}

// UserIDs returns every user a message refers to (sender, reactors, readers,
// delivered-to users, and those of its parent and forwarded messages), so the
// serializer can look them all up at once.
func (m *Message) UserIDs() []int64 {
	ids := []int64{m.SenderID}
	for _, r := range m.Reactions {
		ids = append(ids, r.UserID)
	}
	for _, r := range m.ReadReceipts {
		ids = append(ids, r.ReaderID)
	}
	ids = append(ids, m.DeliveredTo...)
	for _, ref := range []*Message{m.ParentMessage, m.ForwardedFrom} {
		if ref != nil {
			ids = append(ids, ref.UserIDs()...)
		}
	}
	return ids
}

// Now returns the current time as rtchat stores it: UTC, microsecond
// precision, so a value reads back from either database unchanged.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
