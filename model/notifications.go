package model

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

func insertNotification(ctx context.Context, tx bun.Tx, msg *Message, typ string, userIDs []int64) error {
	n := &Notification{ID: uuid.NewString(), RoomID: msg.RoomID, MessageID: msg.ID, NotificationType: typ, CreatedAt: msg.CreatedAt}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return err
	}
	rs := make([]*NotificationRecipient, len(userIDs))
	for i, u := range userIDs {
		rs[i] = &NotificationRecipient{NotificationID: n.ID, UserID: u}
	}
	_, err := tx.NewInsert().Model(&rs).Exec(ctx)
	return err
}

// PendingNotifications returns the notifications a user has not yet
// acknowledged or read, oldest first, with their messages loaded.
func (s *Store) PendingNotifications(ctx context.Context, userID int64) ([]*Notification, error) {
	var ns []*Notification
	err := s.db.NewSelect().Model(&ns).
		Join("JOIN rtchat_notification_recipients AS nr ON nr.notification_id = n.id").
		Where("nr.user_id = ?", userID).
		Order("n.created_at ASC", "n.id ASC").
		Scan(ctx)
	if err != nil || len(ns) == 0 {
		return ns, mapErr(err)
	}
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.MessageID
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
	out := ns[:0]
	for _, n := range ns {
		if n.Message = byID[n.MessageID]; n.Message != nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// clearNotifications takes user off the recipients of the notifications of
// messageIDs and deletes the notifications nobody is left to receive.
func clearNotifications(ctx context.Context, tx bun.Tx, user int64, messageIDs []string) error {
	sub := tx.NewSelect().Model((*Notification)(nil)).Column("id").Where("message_id IN (?)", bun.In(messageIDs))
	if _, err := tx.NewDelete().Model((*NotificationRecipient)(nil)).
		Where("user_id = ? AND notification_id IN (?)", user, sub).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*Notification)(nil)).
		Where("message_id IN (?)", bun.In(messageIDs)).
		Where("NOT EXISTS (SELECT 1 FROM rtchat_notification_recipients AS nr WHERE nr.notification_id = n.id)").
		Exec(ctx)
	return err
}

// deleteNotifications removes every notification of messageIDs.
func deleteNotifications(ctx context.Context, tx bun.Tx, messageIDs []string) error {
	sub := tx.NewSelect().Model((*Notification)(nil)).Column("id").Where("message_id IN (?)", bun.In(messageIDs))
	if _, err := tx.NewDelete().Model((*NotificationRecipient)(nil)).Where("notification_id IN (?)", sub).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*Notification)(nil)).Where("message_id IN (?)", bun.In(messageIDs)).Exec(ctx)
	return err
}
