package model

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Pin is a pinned message of a room: one per message at most.
type Pin struct {
	bun.BaseModel `bun:"table:rtchat_pins,alias:pin"`

	MessageID string    `bun:"message_id,pk,type:varchar(36)"`
	RoomID    string    `bun:"room_id,notnull,type:varchar(36)"`
	PinnedBy  int64     `bun:"pinned_by,notnull"`
	PinnedAt  time.Time `bun:"pinned_at,notnull"`

	// Message is the pinned message with its relations, loaded by Pins.
	Message *Message `bun:"-"`
}

// ErrPinLimit means the room has as many pinned messages as it may have.
var ErrPinLimit = errors.New("rtchat: the room has the most pinned messages it may have")

// PinMessage pins p.MessageID in room p.RoomID, under the room row's lock
// and only while the room's acl_version is still aclVersion (the version
// the caller's permission check saw; ErrStale otherwise), in one
// transaction. The pin is stored by one conditional statement: only when
// the message is visible in the room and the room has fewer than limit
// pins of visible messages, so two nodes pinning at once never pass the
// limit (each waits for the other's lock, and counts its pin). A message
// already pinned is returned as it is, with created false; a message gone
// is ErrNotFound, a room at its limit ErrPinLimit.
func (s *Store) PinMessage(ctx context.Context, p *Pin, aclVersion int64, limit int) (pin *Pin, created bool, err error) {
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lockRoomAt(ctx, tx, p.RoomID, aclVersion); err != nil {
			return err
		}
		existing := new(Pin)
		err := tx.NewSelect().Model(existing).Where("pin.message_id = ?", p.MessageID).Scan(ctx)
		if err == nil {
			pin = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO rtchat_pins (message_id, room_id, pinned_by, pinned_at)
SELECT msg.id, msg.room_id, ?, ? FROM rtchat_messages AS msg
WHERE msg.id = ? AND msg.room_id = ? AND msg.is_deleted = ?
  AND (SELECT count(*) FROM rtchat_pins AS p JOIN rtchat_messages AS pm ON pm.id = p.message_id
       WHERE p.room_id = ? AND pm.is_deleted = ?) < ?`,
			p.PinnedBy, p.PinnedAt, p.MessageID, p.RoomID, false, p.RoomID, false, limit)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			pin, created = p, true
			return nil
		}
		visible, err := tx.NewSelect().Model((*Message)(nil)).
			Where("msg.id = ? AND msg.room_id = ? AND msg.is_deleted = ?", p.MessageID, p.RoomID, false).Exists(ctx)
		if err != nil {
			return err
		}
		if !visible {
			return ErrNotFound
		}
		return ErrPinLimit
	})
	if err != nil {
		return nil, false, err
	}
	return pin, created, nil
}

// UnpinMessage takes the pin of messageID in roomID away, under the room
// row's lock and only while the room's acl_version is still aclVersion
// (ErrStale otherwise). It returns the pin removed, or nil when the message
// was not pinned.
func (s *Store) UnpinMessage(ctx context.Context, roomID, messageID string, aclVersion int64) (*Pin, error) {
	var removed *Pin
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lockRoomAt(ctx, tx, roomID, aclVersion); err != nil {
			return err
		}
		pin := new(Pin)
		err := tx.NewSelect().Model(pin).Where("pin.message_id = ? AND pin.room_id = ?", messageID, roomID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Pin)(nil)).Where("message_id = ?", messageID).Exec(ctx); err != nil {
			return err
		}
		removed = pin
		return nil
	})
	return removed, err
}

// lockRoomAt takes the room row's lock inside tx (the lock a send's seq
// update takes) and checks that the room's acl_version is still version:
// ErrStale when the room changed since the permission check or is gone
// (checking again then finds out which).
func lockRoomAt(ctx context.Context, tx bun.Tx, roomID string, version int64) error {
	res, err := tx.NewUpdate().Model((*Room)(nil)).Set("acl_version = acl_version").
		Where("id = ? AND acl_version = ?", roomID, version).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrStale
	}
	return nil
}

// Pins returns up to limit pins of a room's visible messages, newest pin
// first, each with its message and the message's relations loaded.
func (s *Store) Pins(ctx context.Context, roomID string, limit int) ([]*Pin, error) {
	var pins []*Pin
	err := s.db.NewSelect().Model(&pins).
		Join("JOIN rtchat_messages AS msg ON msg.id = pin.message_id").
		Where("pin.room_id = ? AND msg.room_id = pin.room_id AND msg.is_deleted = ?", roomID, false).
		OrderExpr("pin.pinned_at DESC, msg.seq DESC").
		Limit(int64(limit)).
		Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	if len(pins) == 0 {
		return pins, nil
	}
	ids := make([]string, len(pins))
	for i, p := range pins {
		ids[i] = p.MessageID
	}
	msgs, err := s.MessagesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := s.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, err
	}
	byID := make(map[string]*Message, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
	}
	out := pins[:0]
	for _, p := range pins {
		// A message deleted between the two reads drops out.
		if p.Message = byID[p.MessageID]; p.Message != nil {
			out = append(out, p)
		}
	}
	return out, nil
}
