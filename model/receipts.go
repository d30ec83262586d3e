package model

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// MarkRead records that reader read msgs (a read counts as delivered too),
// clears the reader's notifications of them and moves the reader's read and
// delivered pointers forward in each room, in one transaction. Reading a
// message twice changes nothing. The caller leaves out the reader's own
// messages.
func (s *Store) MarkRead(ctx context.Context, reader int64, msgs []*Message, now time.Time) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		receipts := make([]*ReadReceipt, len(msgs))
		for i, m := range msgs {
			receipts[i] = &ReadReceipt{ID: newID(), MessageID: m.ID, ReaderID: reader, ReadAt: now}
		}
		if _, err := s.newInsert(tx, "ReadReceipt", &receipts).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		if err := markThreadsRead(ctx, tx, reader, msgs); err != nil {
			return err
		}
		return markDelivered(ctx, tx, reader, msgs, now, true)
	})
}

// MarkDelivered records that msgs reached user, clears the user's
// notifications of them and moves the user's delivered pointer forward, in
// one transaction. Acknowledging twice changes nothing.
func (s *Store) MarkDelivered(ctx context.Context, user int64, msgs []*Message, now time.Time) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return markDelivered(ctx, tx, user, msgs, now, false)
	})
}

func markDelivered(ctx context.Context, tx bun.Tx, user int64, msgs []*Message, now time.Time, read bool) error {
	ids := make([]string, len(msgs))
	dls := make([]*Delivery, len(msgs))
	top := map[string]int64{} // room -> highest seq among msgs
	for i, m := range msgs {
		ids[i] = m.ID
		dls[i] = &Delivery{MessageID: m.ID, UserID: user, DeliveredAt: now}
		top[m.RoomID] = max(top[m.RoomID], m.Seq)
	}
	if _, err := tx.NewInsert().Model(&dls).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	if err := clearNotifications(ctx, tx, user, ids); err != nil {
		return err
	}
	for room, seq := range top {
		q := tx.NewUpdate().Model((*Member)(nil)).
			Set("last_delivered_seq = CASE WHEN last_delivered_seq < ? THEN ? ELSE last_delivered_seq END", seq, seq)
		if read {
			q = q.Set("last_read_seq = CASE WHEN last_read_seq < ? THEN ? ELSE last_read_seq END", seq, seq)
		}
		if _, err := q.Where("room_id = ? AND user_id = ?", room, user).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
