package model

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// insertNotification stores a notification of typ about msg, caused by actor
// at the time at, for userIDs.
func (s *Store) insertNotification(ctx context.Context, tx bun.Tx, msg *Message, typ string, actor int64, at time.Time, userIDs []int64) error {
	n := &Notification{ID: uuid.NewString(), RoomID: msg.RoomID, MessageID: msg.ID, NotificationType: typ, ActorID: actor, CreatedAt: at}
	if _, err := s.newInsert(tx, "Notification", n).Exec(ctx); err != nil {
		return err
	}
	rs := make([]*NotificationRecipient, len(userIDs))
	for i, u := range userIDs {
		rs[i] = &NotificationRecipient{NotificationID: n.ID, UserID: u}
	}
	_, err := tx.NewInsert().Model(&rs).Exec(ctx)
	return err
}

// MaxPendingPerRoom is how many message notifications of one room
// PendingNotifications returns at most: the newest ones. The rest are still
// unread (room.list counts them) and room.messages pages through them.
const MaxPendingPerRoom = 100

// PendingNotifications returns what a user has not yet acknowledged or read,
// oldest first, with the messages loaded: a NEW_MESSAGE (or REPLY, for a
// reply) for every message of the user's rooms above the member's delivered
// pointer that someone else sent (the newest MaxPendingPerRoom per room),
// and the REACTION notifications addressed to the user. Message
// notifications are not stored per recipient: they follow from the
// pointers, which message.acknowledged and message.read move forward.
func (s *Store) PendingNotifications(ctx context.Context, userID int64) ([]*Notification, error) {
	ranked := s.db.NewSelect().Model((*Message)(nil)).
		Column("msg.id").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY msg.room_id ORDER BY msg.seq DESC) AS rn").
		Join("JOIN rtchat_members AS m ON m.room_id = msg.room_id AND m.user_id = ?", userID).
		Where("msg.seq > m.last_delivered_seq").
		Where("msg.sender_id <> ?", userID).
		Where("msg.is_deleted = ?", false)
	var msgs []*Message
	if err := s.db.NewSelect().Model(&msgs).
		Where("msg.id IN (SELECT p.id FROM (?) AS p WHERE p.rn <= ?)", ranked, MaxPendingPerRoom).
		Scan(ctx); err != nil {
		return nil, mapErr(err)
	}
	if err := s.attachMessages(ctx, s.db, msgs); err != nil {
		return nil, err
	}
	var ns []*Notification
	for _, m := range msgs {
		typ := NotifyNewMessage
		if m.ParentMessageID != nil {
			typ = NotifyReply
		}
		n := &Notification{ID: messageNotificationID(m.ID), RoomID: m.RoomID, MessageID: m.ID,
			NotificationType: typ, ActorID: m.SenderID, CreatedAt: m.CreatedAt, Message: m}
		if cm := s.custom.Model("Notification"); cm != nil {
			// Message notifications have no row: their app value is
			// the template's.
			n.Custom = cm.New(n)
		}
		ns = append(ns, n)
	}
	var reactions []*Notification
	err := s.db.NewSelect().Model(&reactions).
		Join("JOIN rtchat_notification_recipients AS nr ON nr.notification_id = n.id").
		// Only rooms the user is still in: a member who left or was
		// removed is not pushed the room's messages.
		Join("JOIN rtchat_members AS m ON m.room_id = n.room_id AND m.user_id = nr.user_id").
		Where("nr.user_id = ?", userID).
		Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := s.attachNotifications(ctx, reactions); err != nil {
		return nil, err
	}
	if len(reactions) > 0 {
		ids := make([]string, len(reactions))
		for i, n := range reactions {
			ids[i] = n.MessageID
		}
		reacted, err := s.MessagesByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*Message, len(reacted))
		for _, m := range reacted {
			byID[m.ID] = m
		}
		for _, n := range reactions {
			if n.Message = byID[n.MessageID]; n.Message != nil {
				ns = append(ns, n)
				msgs = append(msgs, n.Message)
			}
		}
	}
	if err := s.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, err
	}
	slices.SortFunc(ns, func(a, b *Notification) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ns, nil
}

// notificationSpace makes the ids of message notifications: derived from
// the message, so the same pending notification keeps its id across
// connects without a row of its own.
var notificationSpace = uuid.MustParse("5b1f6c3e-2f0e-4e59-9a53-6d1b7c0c2a11")

func messageNotificationID(messageID string) string {
	return uuid.NewSHA1(notificationSpace, []byte(messageID)).String()
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
