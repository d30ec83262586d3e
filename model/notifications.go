package model

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// insertNotification stores a notification of typ about msg, caused by actor
// at the time at, for userIDs.
func insertNotification(ctx context.Context, tx bun.Tx, msg *Message, typ string, actor int64, at time.Time, userIDs []int64) error {
	n := &Notification{ID: uuid.NewString(), RoomID: msg.RoomID, MessageID: msg.ID, NotificationType: typ, ActorID: actor, CreatedAt: at}
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
		// Only rooms the user is still in: a member who left or was
		// removed is not pushed the room's messages.
		Join("JOIN rtchat_members AS m ON m.room_id = n.room_id AND m.user_id = nr.user_id").
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

// ClearNotifications takes user off the recipients of the notifications of
// messageIDs (deleting those left without recipients), in one transaction.
func (s *Store) ClearNotifications(ctx context.Context, user int64, messageIDs []string) error {
	if len(messageIDs) == 0 {
		return nil
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return clearNotifications(ctx, tx, user, messageIDs)
	})
}

// clearNotifications takes user off the recipients of the notifications of
// messageIDs and deletes the notifications nobody is left to receive.
func clearNotifications(ctx context.Context, tx bun.Tx, user int64, messageIDs []string) error {
	if tx.Dialect().Name() == dialect.PG {
		// Two readers clearing at once would each still see the other's
		// recipient row and leave the notification behind: lock the
		// notifications first, in a fixed order.
		var ids []string
		if err := tx.NewSelect().Model((*Notification)(nil)).Column("id").
			Where("message_id IN (?)", bun.In(messageIDs)).Order("id").For("UPDATE").
			Scan(ctx, &ids); err != nil {
			return err
		}
	}
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
	return deleteNotificationsWhere(ctx, tx, "message_id IN (?)", bun.In(messageIDs))
}

// deleteReactionNotifications removes the REACTION notification a user's
// reaction to a message caused.
func deleteReactionNotifications(ctx context.Context, tx bun.Tx, messageID string, actor int64) error {
	return deleteNotificationsWhere(ctx, tx, "message_id = ? AND actor_id = ? AND notification_type = ?", messageID, actor, NotifyReaction)
}

func deleteNotificationsWhere(ctx context.Context, tx bun.Tx, where string, args ...any) error {
	sub := tx.NewSelect().Model((*Notification)(nil)).Column("id").Where(where, args...)
	if _, err := tx.NewDelete().Model((*NotificationRecipient)(nil)).Where("notification_id IN (?)", sub).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*Notification)(nil)).Where(where, args...).Exec(ctx)
	return err
}
