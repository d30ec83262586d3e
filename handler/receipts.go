package handler

import (
	"context"
	"encoding/json"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type receiptData struct {
	MessageID json.RawMessage `json:"message_id"`
}

// receiptMessages decodes the message_id of read and acknowledged events,
// checks access and returns the messages the caller did not send, in seq
// order per room, and whether a list was given. The caller's own messages
// only have their notifications (reactions to them) cleared.
func receiptMessages(ctx context.Context, r *Request) ([]*model.Message, bool, error) {
	var in receiptData
	if err := r.Decode(&in); err != nil {
		return nil, false, err
	}
	ids, isList, err := messageIDs(in.MessageID, true)
	if err != nil {
		return nil, false, err
	}
	checks, err := accessMessages(ctx, r, ids)
	if err != nil {
		return nil, false, err
	}
	var msgs []*model.Message
	var own []string
	for _, m := range sortedMessages(checks) {
		if m.SenderID == r.UserID {
			own = append(own, m.ID)
		} else {
			msgs = append(msgs, m)
		}
	}
	if err := r.Env.Store.ClearNotifications(ctx, r.UserID, own); err != nil {
		return nil, false, err
	}
	return msgs, isList, nil
}

// MessageRead handles message.read: read receipts for the messages (own
// messages skipped, reading twice is no error), which also count as
// delivered and clear the caller's notifications, and move the caller's
// last_read_seq. readreceipt.dispatch goes to each room: one Message for a
// single id, a list per room for a list.
func MessageRead(ctx context.Context, r *Request) error {
	msgs, isList, err := receiptMessages(ctx, r)
	if err != nil || len(msgs) == 0 {
		return err
	}
	if err := r.Env.Store.MarkRead(ctx, r.UserID, msgs, model.Now()); err != nil {
		return err
	}
	byRoom, err := serializeByRoom(ctx, r, msgs)
	if err != nil {
		return err
	}
	for _, room := range byRoom {
		data, err := r.Env.Serialize(ctx, serializer.NameReadReceipts, serializer.MessagesInput{Messages: room.list, Models: room.models, Single: !isList}, nil)
		if err != nil {
			return err
		}
		if err := r.Out.Room(ctx, room.id, protocol.DispatchReadReceipt, data); err != nil {
			return err
		}
	}
	return nil
}

// MessageAcknowledged handles message.acknowledged: the caller joins the
// messages' delivered_to and leaves their notifications; each sender's
// connections get messagedelivered.dispatch with the list of their messages.
func MessageAcknowledged(ctx context.Context, r *Request) error {
	msgs, _, err := receiptMessages(ctx, r)
	if err != nil || len(msgs) == 0 {
		return err
	}
	if err := r.Env.Store.MarkDelivered(ctx, r.UserID, msgs, model.Now()); err != nil {
		return err
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, msgs); err != nil {
		return err
	}
	var ids []int64
	for _, m := range msgs {
		ids = append(ids, m.UserIDs()...)
	}
	us, err := serializer.Resolve(ctx, r.Env.Users, ids)
	if err != nil {
		return err
	}
	bySender := map[int64][]any{}
	models := map[int64][]*model.Message{}
	var senders []int64
	for _, m := range msgs {
		v, err := r.Env.Serializers.Serialize(ctx, serializer.NameMessage, m, us)
		if err != nil {
			return err
		}
		if _, seen := bySender[m.SenderID]; !seen {
			senders = append(senders, m.SenderID)
		}
		bySender[m.SenderID] = append(bySender[m.SenderID], v)
		models[m.SenderID] = append(models[m.SenderID], m)
	}
	for _, s := range senders {
		data, err := r.Env.Serializers.Serialize(ctx, serializer.NameDelivered, serializer.MessagesInput{Messages: bySender[s], Models: models[s]}, us)
		if err != nil {
			return err
		}
		if err := r.Out.User(ctx, protocol.DispatchDelivered, data, s); err != nil {
			return err
		}
	}
	return nil
}

type roomMessages struct {
	id     string
	list   []any
	models []*model.Message
}

// serializeByRoom reloads msgs' relations and serializes them grouped by
// room, rooms in the order they first appear.
func serializeByRoom(ctx context.Context, r *Request, msgs []*model.Message) ([]roomMessages, error) {
	if err := r.Env.Store.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, err
	}
	list, err := serializeMessages(ctx, r.Env, msgs)
	if err != nil {
		return nil, err
	}
	var out []roomMessages
	for i, m := range msgs {
		if len(out) == 0 || out[len(out)-1].id != m.RoomID {
			out = append(out, roomMessages{id: m.RoomID})
		}
		out[len(out)-1].list = append(out[len(out)-1].list, list[i])
		out[len(out)-1].models = append(out[len(out)-1].models, m)
	}
	return out, nil
}
