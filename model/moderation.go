package model

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Moderation actions as the audit trail records them.
const (
	AuditMute          = "mute"
	AuditUnmute        = "unmute"
	AuditBan           = "ban"
	AuditUnban         = "unban"
	AuditDeleteMessage = "delete_message"
)

// ErrMuted means the user is muted in the room: the write was refused by
// the statement or transaction that would have stored it.
var ErrMuted = errors.New("rtchat: muted in this room")

// ErrBanned means a user to be added to a room is banned from it; nothing
// was added.
var ErrBanned = errors.New("rtchat: banned from this room")

// Mute is a user muted in a room: the user may read but may not write until
// ExpiresAt (nil: until unmuted). The row outlives the membership, so
// leaving and joining again does not lift it.
type Mute struct {
	bun.BaseModel `bun:"table:rtchat_mutes,alias:mu"`

	RoomID    string     `bun:"room_id,pk,type:varchar(36)"`
	UserID    int64      `bun:"user_id,pk"`
	ExpiresAt *time.Time `bun:"expires_at"`
	MutedBy   int64      `bun:"muted_by,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
}

// Ban is a user banned from a room: removed, and not let back in (room.join,
// room.add_members) until ExpiresAt (nil: until unbanned).
type Ban struct {
	bun.BaseModel `bun:"table:rtchat_bans,alias:bn"`

	RoomID    string     `bun:"room_id,pk,type:varchar(36)"`
	UserID    int64      `bun:"user_id,pk"`
	ExpiresAt *time.Time `bun:"expires_at"`
	Reason    string     `bun:"reason,notnull"`
	BannedBy  int64      `bun:"banned_by,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
}

// AuditEntry is one moderation action of a room's audit trail. ID grows
// with every entry of the database, so newest first is ID descending.
type AuditEntry struct {
	bun.BaseModel `bun:"table:rtchat_moderation_log,alias:al"`

	ID     int64  `bun:"id,pk,autoincrement"`
	RoomID string `bun:"room_id,notnull,type:varchar(36)"`
	Action string `bun:"action,notnull,type:varchar(16)"`
	// ActorID is who acted; TargetID whom it was done to (the sender of a
	// deleted message).
	ActorID   int64      `bun:"actor_id,notnull"`
	TargetID  *int64     `bun:"target_id"`
	MessageID *string    `bun:"message_id,type:varchar(36)"`
	Reason    string     `bun:"reason,notnull"`
	ExpiresAt *time.Time `bun:"expires_at"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
}

// WithModeration turns the store's moderation checks on or off (default
// off for a bare store; rtchat.New turns them on unless
// WithModeration(false)). Off, no write looks at mutes and no addition at
// bans, so a write costs what it did before moderation.
func WithModeration(on bool) StoreOption { return func(s *Store) { s.moderation = on } }

// Moderation reports whether the store checks mutes and bans.
func (s *Store) Moderation() bool { return s.moderation }

// activeAt is the condition that a mute or ban row (alias) still holds at
// the time of the write.
func activeAt(alias string) string {
	return "(" + alias + ".expires_at IS NULL OR " + alias + ".expires_at > ?)"
}

// NotMuted returns ErrMuted when userID is muted in roomID at now, reading
// through db: a write's transaction calls it before it writes, so that the
// check and the write commit together. With moderation off it reads
// nothing.
func (s *Store) NotMuted(ctx context.Context, db bun.IDB, roomID string, userID int64, now time.Time) error {
	if !s.moderation {
		return nil
	}
	n, err := db.NewSelect().Model((*Mute)(nil)).
		Where("mu.room_id = ? AND mu.user_id = ?", roomID, userID).
		Where(activeAt("mu"), now).
		Count(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n > 0 {
		return ErrMuted
	}
	return nil
}

// notMutedByMessage is NotMuted for the room of a message.
func (s *Store) notMutedByMessage(ctx context.Context, db bun.IDB, messageID string, userID int64, now time.Time) error {
	if !s.moderation {
		return nil
	}
	n, err := db.NewSelect().Model((*Mute)(nil)).
		Join("JOIN rtchat_messages AS msg ON msg.room_id = mu.room_id").
		Where("msg.id = ? AND mu.user_id = ?", messageID, userID).
		Where(activeAt("mu"), now).
		Count(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n > 0 {
		return ErrMuted
	}
	return nil
}

// Mute mutes userID in the room until expires (nil: until unmuted),
// replacing any mute the user had there, and records it in the audit
// trail.
func (t *RoomTx) Mute(ctx context.Context, userID, by int64, expires *time.Time, now time.Time) error {
	m := &Mute{RoomID: t.Room.ID, UserID: userID, ExpiresAt: expires, MutedBy: by, CreatedAt: now}
	if _, err := t.tx.NewInsert().Model(m).
		On("CONFLICT (room_id, user_id) DO UPDATE").
		Set("expires_at = EXCLUDED.expires_at, muted_by = EXCLUDED.muted_by, created_at = EXCLUDED.created_at").
		Exec(ctx); err != nil {
		return mapErr(err)
	}
	return t.Audit(ctx, &AuditEntry{Action: AuditMute, ActorID: by, TargetID: &userID, ExpiresAt: expires, CreatedAt: now})
}

// Unmute lifts the mute of userID in the room, reporting whether there was
// one (expired or not), and records it in the audit trail when there was.
func (t *RoomTx) Unmute(ctx context.Context, userID, by int64, now time.Time) (bool, error) {
	res, err := t.tx.NewDelete().Model((*Mute)(nil)).Where("room_id = ? AND user_id = ?", t.Room.ID, userID).Exec(ctx)
	if err != nil {
		return false, mapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, mapErr(err)
	}
	return true, t.Audit(ctx, &AuditEntry{Action: AuditUnmute, ActorID: by, TargetID: &userID, CreatedAt: now})
}

// Ban bans userID from the room until expires (nil: until unbanned),
// replacing any ban the user had there, drops the user's pending join
// request, and records it in the audit trail. Removing the member is the
// caller's (RemoveMembers, in the same transaction).
func (t *RoomTx) Ban(ctx context.Context, userID, by int64, expires *time.Time, reason string, now time.Time) error {
	b := &Ban{RoomID: t.Room.ID, UserID: userID, ExpiresAt: expires, Reason: reason, BannedBy: by, CreatedAt: now}
	if _, err := t.tx.NewInsert().Model(b).
		On("CONFLICT (room_id, user_id) DO UPDATE").
		Set("expires_at = EXCLUDED.expires_at, reason = EXCLUDED.reason, banned_by = EXCLUDED.banned_by, created_at = EXCLUDED.created_at").
		Exec(ctx); err != nil {
		return mapErr(err)
	}
	if err := t.DeleteJoinRequests(ctx, []int64{userID}); err != nil {
		return err
	}
	return t.Audit(ctx, &AuditEntry{Action: AuditBan, ActorID: by, TargetID: &userID, Reason: reason, ExpiresAt: expires, CreatedAt: now})
}

// Unban lifts the ban of userID from the room, reporting whether there was
// one (expired or not), and records it in the audit trail when there was.
func (t *RoomTx) Unban(ctx context.Context, userID, by int64, now time.Time) (bool, error) {
	res, err := t.tx.NewDelete().Model((*Ban)(nil)).Where("room_id = ? AND user_id = ?", t.Room.ID, userID).Exec(ctx)
	if err != nil {
		return false, mapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, mapErr(err)
	}
	return true, t.Audit(ctx, &AuditEntry{Action: AuditUnban, ActorID: by, TargetID: &userID, CreatedAt: now})
}

// Banned returns the users among userIDs banned from the room at now. With
// moderation off it reads nothing.
func (t *RoomTx) Banned(ctx context.Context, userIDs []int64, now time.Time) ([]int64, error) {
	var ids []int64
	if !t.store.moderation || len(userIDs) == 0 {
		return ids, nil
	}
	err := t.tx.NewSelect().Model((*Ban)(nil)).Column("bn.user_id").
		Where("bn.room_id = ? AND bn.user_id IN (?)", t.Room.ID, bun.In(userIDs)).
		Where(activeAt("bn"), now).
		Order("bn.user_id ASC").
		Scan(ctx, &ids)
	return ids, mapErr(err)
}

// Audit adds an entry to the room's audit trail.
func (t *RoomTx) Audit(ctx context.Context, e *AuditEntry) error {
	e.RoomID = t.Room.ID
	_, err := t.tx.NewInsert().Model(e).Exec(ctx)
	return mapErr(err)
}

// AuditPage returns up to limit entries of a room's audit trail with an id
// below beforeID (0: from the newest), newest first, and whether older ones
// exist.
func (s *Store) AuditPage(ctx context.Context, roomID string, beforeID int64, limit int) ([]*AuditEntry, bool, error) {
	var es []*AuditEntry
	q := s.db.NewSelect().Model(&es).Where("al.room_id = ?", roomID).Order("al.id DESC").Limit(int64(limit) + 1)
	if beforeID > 0 {
		q = q.Where("al.id < ?", beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, false, mapErr(err)
	}
	more := len(es) > limit
	if more {
		es = es[:limit]
	}
	return es, more, nil
}

// DeleteBy is a deletion of messages of one room by a user (DeleteMessagesBy).
type DeleteBy struct {
	// RoomID is the room of every message; ActorID who deletes them.
	RoomID  string
	ActorID int64
	// Messages are the messages to delete, as read for the permission
	// check; those of another sender are recorded in the audit trail.
	Messages []*Message
	Soft     bool
	Now      time.Time
}

// DeleteMessagesBy is DeleteMessages by a user: in the same transaction it
// refuses a muted actor (ErrMuted, nothing deleted) and, with moderation
// on, records each message of another sender in the room's audit trail.
func (s *Store) DeleteMessagesBy(ctx context.Context, d DeleteBy) error {
	ids := make([]string, len(d.Messages))
	for i, m := range d.Messages {
		ids[i] = m.ID
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.NotMuted(ctx, tx, d.RoomID, d.ActorID, d.Now); err != nil {
			return err
		}
		if s.moderation {
			for _, m := range d.Messages {
				if m.SenderID == d.ActorID {
					continue
				}
				e := &AuditEntry{RoomID: d.RoomID, Action: AuditDeleteMessage, ActorID: d.ActorID, TargetID: &m.SenderID, MessageID: &m.ID, CreatedAt: d.Now}
				if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return deleteMessagesTx(ctx, tx, ids, d.Soft, d.Now)
	})
}

// BannedError is ErrBanned naming the banned users.
type BannedError struct {
	UserIDs []int64
}

// Error is ErrBanned's text.
func (e *BannedError) Error() string { return ErrBanned.Error() }

// Is makes errors.Is(err, ErrBanned) hold.
func (e *BannedError) Is(target error) bool { return target == ErrBanned }
