package model

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Grants that can be given to a member of a room, by the column that stores
// each. Groups use the first two, channels the last three.
const (
	GrantAddParticipants    = "can_add_new_participants"
	GrantRemoveParticipants = "can_remove_participants"
	GrantAddSubscribers     = "can_add_new_subscribers"
	GrantRemoveSubscribers  = "can_remove_subscribers"
	GrantSendMessages       = "can_send_messages"
)

// Grants returns the grants that apply to a room type: none for a 1:1.
func Grants(roomType string) []string {
	switch roomType {
	case TypeGroup:
		return []string{GrantAddParticipants, GrantRemoveParticipants}
	case TypeChannel:
		return []string{GrantAddSubscribers, GrantRemoveSubscribers, GrantSendMessages}
	}
	return nil
}

// IsGrant reports whether name is a grant of some room type.
func IsGrant(name string) bool {
	return slices.Contains(Grants(TypeGroup), name) || slices.Contains(Grants(TypeChannel), name)
}

// Memberships returns the memberships of room among userIDs; users who are
// not members are left out.
func (s *Store) Memberships(ctx context.Context, roomID string, userIDs []int64) ([]*Member, error) {
	return s.memberships(ctx, s.db, roomID, userIDs)
}

func (s *Store) memberships(ctx context.Context, db bun.IDB, roomID string, userIDs []int64) ([]*Member, error) {
	ms := []*Member{}
	if len(userIDs) == 0 {
		return ms, nil
	}
	err := db.NewSelect().Model(&ms).
		Where("m.room_id = ? AND m.user_id IN (?)", roomID, bun.In(userIDs)).
		Order("m.joined_at ASC", "m.user_id ASC").
		Scan(ctx)
	if err != nil {
		return ms, mapErr(err)
	}
	return ms, s.attachMembers(ctx, db, ms)
}

func (s *Store) members(ctx context.Context, db bun.IDB, roomID string) ([]*Member, error) {
	ms := []*Member{}
	err := db.NewSelect().Model(&ms).Where("m.room_id = ?", roomID).Order("m.joined_at ASC", "m.user_id ASC").Scan(ctx)
	if err != nil {
		return ms, mapErr(err)
	}
	return ms, s.attachMembers(ctx, db, ms)
}

// RoomTx is one transaction on one room whose row it has locked: every
// change of a room's membership, roles, grants or settings runs in one, so
// that two of them on the same room run one after the other and a count
// taken inside stays true until commit. On Postgres the lock is the row
// lock of an UPDATE; SQLite has a single writer anyway.
//
// Its methods use the transaction only; calling anything else that reaches
// the database from fn (the store, the app's user lookup) could wait for
// the transaction's own connection on SQLite.
type RoomTx struct {
	tx    bun.Tx
	store *Store
	// Room is the room as it is once locked.
	Room *Room
}

// RoomTx runs fn in one transaction holding the lock of room roomID. A room
// that does not exist (or no longer exists) is ErrNotFound; an error from fn
// rolls everything back and is returned as it is (store errors mapped).
func (s *Store) RoomTx(ctx context.Context, roomID string, fn func(ctx context.Context, tx *RoomTx) error) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The update takes the row lock first, before anything is read,
		// and moves acl_version, so a send checked against the room as it
		// was stores nothing (see InsertMessage).
		res, err := tx.NewUpdate().Model((*Room)(nil)).Set("acl_version = acl_version + 1").Where("id = ?", roomID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		room := new(Room)
		if err := tx.NewSelect().Model(room).Where("r.id = ?", roomID).Scan(ctx); err != nil {
			return mapErr(err)
		}
		return fn(ctx, &RoomTx{tx: tx, store: s, Room: room})
	})
}

// Members returns the room's members, oldest first.
func (t *RoomTx) Members(ctx context.Context) ([]*Member, error) {
	return t.store.members(ctx, t.tx, t.Room.ID)
}

// Memberships returns the memberships of the room among userIDs.
func (t *RoomTx) Memberships(ctx context.Context, userIDs []int64) ([]*Member, error) {
	return t.store.memberships(ctx, t.tx, t.Room.ID, userIDs)
}

// CountMembers counts the room's members.
func (t *RoomTx) CountMembers(ctx context.Context) (int, error) {
	n, err := t.tx.NewSelect().Model((*Member)(nil)).Where("m.room_id = ?", t.Room.ID).Count(ctx)
	return int(n), mapErr(err)
}

// AddMembers inserts member rows of the room. A user who is already a
// member is ErrConflict; users banned from the room are a *BannedError
// (errors.Is ErrBanned), and nobody is added.
func (t *RoomTx) AddMembers(ctx context.Context, ms []*Member) error {
	if len(ms) == 0 {
		return nil
	}
	// A user banned from the room is not let in (checked under the room's
	// lock, which a ban takes too).
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	banned, err := t.Banned(ctx, ids, Now())
	if err != nil {
		return err
	}
	if len(banned) > 0 {
		return &BannedError{UserIDs: banned}
	}
	// A newcomer starts with the history read: unread_count counts what
	// arrives after they joined.
	for _, m := range ms {
		m.LastReadSeq, m.LastDeliveredSeq = t.Room.LastSeq, t.Room.LastSeq
	}
	_, err = t.store.newInsert(t.tx, "Member", &ms).Exec(ctx)
	return mapErr(err)
}

// RemoveMembers deletes the memberships of userIDs, and with them their
// roles, grants and pending join requests, and the notifications of the
// room still waiting for them (which would otherwise show them the room's
// messages on their next connect). It returns how many members there were.
func (t *RoomTx) RemoveMembers(ctx context.Context, userIDs []int64) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	res, err := t.tx.NewDelete().Model((*Member)(nil)).
		Where("room_id = ? AND user_id IN (?)", t.Room.ID, bun.In(userIDs)).
		Exec(ctx)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr(err)
	}
	notes := t.tx.NewSelect().Model((*Notification)(nil)).Column("n.id").Where("n.room_id = ?", t.Room.ID)
	if _, err := t.tx.NewDelete().Model((*NotificationRecipient)(nil)).
		Where("user_id IN (?) AND notification_id IN (?)", bun.In(userIDs), notes).
		Exec(ctx); err != nil {
		return 0, mapErr(err)
	}
	// A notification is deleted once nobody waits for it.
	if _, err := t.tx.NewDelete().Model((*Notification)(nil)).
		Where("room_id = ?", t.Room.ID).
		Where("NOT EXISTS (SELECT 1 FROM rtchat_notification_recipients AS nr WHERE nr.notification_id = n.id)").
		Exec(ctx); err != nil {
		return 0, mapErr(err)
	}
	if err := t.DeleteJoinRequests(ctx, userIDs); err != nil {
		return 0, err
	}
	return int(n), nil
}

// SetRole sets the role of the members among userIDs.
func (t *RoomTx) SetRole(ctx context.Context, userIDs []int64, role string) error {
	if len(userIDs) == 0 {
		return nil
	}
	_, err := t.tx.NewUpdate().Model((*Member)(nil)).
		Set("role = ?", role).
		Where("room_id = ? AND user_id IN (?)", t.Room.ID, bun.In(userIDs)).
		Exec(ctx)
	return mapErr(err)
}

// SetGrants turns the grants on or off for the members among userIDs.
// Names that are not grants are ignored (IsGrant), so no caller's string
// ever becomes a column name.
func (t *RoomTx) SetGrants(ctx context.Context, userIDs []int64, grants []string, on bool) error {
	q := t.tx.NewUpdate().Model((*Member)(nil)).Where("room_id = ? AND user_id IN (?)", t.Room.ID, bun.In(userIDs))
	set := false
	for _, g := range grants {
		if IsGrant(g) {
			q = q.Set("? = ?", bun.Ident(g), on)
			set = true
		}
	}
	if !set || len(userIDs) == 0 {
		return nil
	}
	_, err := q.Exec(ctx)
	return mapErr(err)
}

// Update writes the named columns of t.Room and moves its updated_at to now.
func (t *RoomTx) Update(ctx context.Context, now time.Time, columns ...string) error {
	t.Room.UpdatedAt = now
	_, err := t.tx.NewUpdate().Model(t.Room).Column(append(columns, "updated_at")...).WherePK().Exec(ctx)
	return mapErr(err)
}

// Delete deletes the room with everything stored under it: messages and
// what hangs off them, notifications, memberships and join requests. The
// schema cascades too, but an app's SQLite connection may run without
// foreign keys, so nothing here relies on it.
func (t *RoomTx) Delete(ctx context.Context) error {
	id := t.Room.ID
	msgs := t.tx.NewSelect().Model((*Message)(nil)).Column("msg.id").Where("msg.room_id = ?", id)
	notes := t.tx.NewSelect().Model((*Notification)(nil)).Column("n.id").Where("n.room_id = ?", id)
	steps := []*bun.DeleteQuery{
		t.tx.NewDelete().Model((*NotificationRecipient)(nil)).Where("notification_id IN (?)", notes),
		t.tx.NewDelete().Model((*Notification)(nil)).Where("room_id = ?", id),
	}
	for _, m := range []any{(*MessageEdit)(nil), (*Attachment)(nil), (*Reaction)(nil), (*ReadReceipt)(nil), (*Delivery)(nil)} {
		steps = append(steps, t.tx.NewDelete().Model(m).Where("message_id IN (?)", msgs))
	}
	steps = append(steps,
		t.tx.NewDelete().Model((*Message)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*ThreadRead)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*Member)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*JoinRequest)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*Mute)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*Ban)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*AuditEntry)(nil)).Where("room_id = ?", id),
		t.tx.NewDelete().Model((*Room)(nil)).Where("id = ?", id),
	)
	for _, q := range steps {
		if _, err := q.Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// AddJoinRequest records that user asks to join the room and reports
// whether the request is new (false when one was already pending).
func (t *RoomTx) AddJoinRequest(ctx context.Context, userID int64, now time.Time) (bool, error) {
	res, err := t.tx.NewInsert().Model(&JoinRequest{RoomID: t.Room.ID, UserID: userID, CreatedAt: now}).
		On("CONFLICT DO NOTHING").
		Exec(ctx)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n > 0, mapErr(err)
}

// DeleteJoinRequests removes the pending requests of userIDs, once they
// are members.
func (t *RoomTx) DeleteJoinRequests(ctx context.Context, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	_, err := t.tx.NewDelete().Model((*JoinRequest)(nil)).
		Where("room_id = ? AND user_id IN (?)", t.Room.ID, bun.In(userIDs)).
		Exec(ctx)
	return mapErr(err)
}
