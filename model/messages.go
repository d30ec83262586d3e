package model

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// NewMessage is what InsertMessage stores in one transaction: the message,
// its attachments and, when NotifyUserIDs is not empty, one notification of
// NotificationType for those users.
type NewMessage struct {
	Message          *Message
	Attachments      []*Attachment
	NotifyUserIDs    []int64
	NotificationType string
}

// InsertMessage stores a message: it takes the room's next seq with one
// UPDATE ... RETURNING (which locks only that room), inserts the message and
// what comes with it, and moves the sender's read pointer to the new seq. It
// fills in Message.Seq. A duplicate client_msg_id of the same sender is
// ErrConflict and stores nothing. On any error msg.Seq is left 0.
func (s *Store) InsertMessage(ctx context.Context, nm NewMessage) error {
	msg := nm.Message
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var seq int64
		err := tx.NewUpdate().Model((*Room)(nil)).
			Set("last_seq = last_seq + 1").
			Set("last_activity_at = ?", msg.CreatedAt).
			Where("id = ?", msg.RoomID).
			Returning("last_seq").
			Scan(ctx, &seq)
		if err != nil {
			return err
		}
		msg.Seq = seq
		if _, err := tx.NewInsert().Model(msg).Exec(ctx); err != nil {
			msg.Seq = 0 // rolled back with the transaction
			return err
		}
		if len(nm.Attachments) > 0 {
			for i, a := range nm.Attachments {
				a.MessageID, a.Position = msg.ID, i
			}
			if _, err := tx.NewInsert().Model(&nm.Attachments).Exec(ctx); err != nil {
				return err
			}
		}
		if len(nm.NotifyUserIDs) > 0 {
			if err := insertNotification(ctx, tx, msg, nm.NotificationType, msg.SenderID, msg.CreatedAt, nm.NotifyUserIDs); err != nil {
				return err
			}
		}
		_, err = tx.NewUpdate().Model((*Member)(nil)).
			Set("last_read_seq = ?", seq).
			Where("room_id = ? AND user_id = ? AND last_read_seq < ?", msg.RoomID, msg.SenderID, seq).
			Exec(ctx)
		return err
	})
}

// MessageByClientID returns the message a sender stored with a client_msg_id.
func (s *Store) MessageByClientID(ctx context.Context, senderID int64, clientMsgID string) (*Message, error) {
	m := new(Message)
	err := s.db.NewSelect().Model(m).Where("msg.sender_id = ? AND msg.client_msg_id = ?", senderID, clientMsgID).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return m, nil
}

// HistoryQuery selects a page of a room's history by seq. With BeforeSeq the
// page is the newest messages below it, newest first; with AfterSeq the oldest
// above it, oldest first; with neither, the newest, newest first. Offset is
// only for the original's page-number pagination.
type HistoryQuery struct {
	RoomID    string
	BeforeSeq int64
	AfterSeq  int64
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
	if err := s.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, false, err
	}
	return msgs, more, nil
}

// MessagesByID returns visible messages by id, in no particular order.
func (s *Store) MessagesByID(ctx context.Context, ids []string) ([]*Message, error) {
	var msgs []*Message
	if len(ids) == 0 {
		return msgs, nil
	}
	err := s.db.NewSelect().Model(&msgs).Where("msg.id IN (?)", bun.In(ids)).Where("msg.is_deleted = ?", false).Scan(ctx)
	return msgs, mapErr(err)
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

// loadOwnRelations loads what hangs off each message directly.
func (s *Store) loadOwnRelations(ctx context.Context, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]string, len(msgs))
	byID := make(map[string]*Message, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
		byID[m.ID] = m
		m.Attachments, m.Reactions, m.ReadReceipts, m.DeliveredTo = []*Attachment{}, []*Reaction{}, []*ReadReceipt{}, []int64{}
	}
	byMsg := func(id string) *Message { return byID[id] }
	if err := loadRelated(ctx, s.db, ids, "att", "att.position ASC, att.id ASC", func(a *Attachment) {
		byMsg(a.MessageID).Attachments = append(byMsg(a.MessageID).Attachments, a)
	}); err != nil {
		return err
	}
	if err := loadRelated(ctx, s.db, ids, "rx", "rx.created_at ASC, rx.id ASC", func(r *Reaction) {
		byMsg(r.MessageID).Reactions = append(byMsg(r.MessageID).Reactions, r)
	}); err != nil {
		return err
	}
	if err := loadRelated(ctx, s.db, ids, "rr", "rr.read_at ASC, rr.id ASC", func(r *ReadReceipt) {
		byMsg(r.MessageID).ReadReceipts = append(byMsg(r.MessageID).ReadReceipts, r)
	}); err != nil {
		return err
	}
	return loadRelated(ctx, s.db, ids, "dl", "dl.delivered_at ASC, dl.user_id ASC", func(d *Delivery) {
		byMsg(d.MessageID).DeliveredTo = append(byMsg(d.MessageID).DeliveredTo, d.UserID)
	})
}

// loadRelated selects the rows of T (table alias alias) whose message_id is
// among ids, in order, and hands each to add.
func loadRelated[T any](ctx context.Context, db bun.IDB, ids []string, alias, order string, add func(*T)) error {
	var rows []*T
	err := db.NewSelect().Model(&rows).
		Where("?.message_id IN (?)", bun.Ident(alias), bun.In(ids)).
		OrderExpr(order).
		Scan(ctx)
	if err != nil {
		return mapErr(err)
	}
	for _, r := range rows {
		add(r)
	}
	return nil
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
