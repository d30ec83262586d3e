package handler

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type sendData struct {
	RoomID      string          `json:"room_id" validate:"required,uuid"`
	Content     *string         `json:"content" validate:"required"`
	ClientMsgID string          `json:"client_msg_id" validate:"omitempty,max=64"`
	ExtraFields json.RawMessage `json:"extra_fields"`
}

// MessageSend handles message.send: it stores a text message with the room's
// next seq and sends message.dispatch to the room. A repeated client_msg_id of
// the same sender stores nothing and returns the stored message to the
// caller only.
func MessageSend(ctx context.Context, r *Request) error {
	var in sendData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if err := checkExtraFields(in.ExtraFields); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(*in.Content); n > r.Env.Settings.MaxContentLength {
		return protocol.Invalid(protocol.FieldErrors{"content": {maxLenMessage(r.Env.Settings.MaxContentLength)}})
	}
	content := serializer.Sanitize(*in.Content)
	if strings.TrimSpace(content) == "" {
		return protocol.Invalid(protocol.FieldErrors{"content": {"This field may not be blank."}})
	}
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventMessageSend)
	if err != nil {
		return err
	}
	if err := r.Env.Perms.CanSend(ctx, chk); err != nil {
		return err
	}
	if in.ClientMsgID != "" {
		if done, err := replayIfDuplicate(ctx, r, in.ClientMsgID); done || err != nil {
			return err
		}
	}

	now := model.Now()
	msg := &model.Message{ID: uuid.NewString(), RoomID: chk.Room.ID, SenderID: r.UserID, Content: content, CreatedAt: now, UpdatedAt: now}
	if in.ClientMsgID != "" {
		msg.ClientMsgID = &in.ClientMsgID
	}
	unlock := r.Env.LockRoom(chk.Room.ID)
	defer unlock()
	if err := r.Env.Store.InsertMessage(ctx, model.NewMessage{Message: msg}); err != nil {
		if errors.Is(err, model.ErrConflict) && in.ClientMsgID != "" {
			// Two sends with one client_msg_id raced; the other one won.
			if _, err := replayIfDuplicate(ctx, r, in.ClientMsgID); err != nil {
				return err
			}
			return nil
		}
		return err
	}
	msg.Attachments, msg.Reactions, msg.ReadReceipts, msg.DeliveredTo = []*model.Attachment{}, []*model.Reaction{}, []*model.ReadReceipt{}, []int64{}
	out, err := r.Env.Serialize(ctx, serializer.NameMessage, msg, msg.UserIDs())
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, chk.Room.ID, protocol.DispatchMessage, out)
}

// replayIfDuplicate answers the caller with the message already stored under
// clientMsgID, reporting whether there was one.
func replayIfDuplicate(ctx context.Context, r *Request, clientMsgID string) (bool, error) {
	prev, err := r.Env.Store.MessageByClientID(ctx, r.UserID, clientMsgID)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, []*model.Message{prev}); err != nil {
		return true, err
	}
	out, err := r.Env.Serialize(ctx, serializer.NameMessage, prev, prev.UserIDs())
	if err != nil {
		return true, err
	}
	return true, r.Out.Reply(protocol.DispatchMessage, out)
}

// checkExtraFields accepts an absent or empty extra_fields. Replies,
// forwards and media are the messages issue's work; until then they are
// refused rather than silently dropped.
func checkExtraFields(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var ef map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ef); err != nil {
		return protocol.Invalid(protocol.FieldErrors{"extra_fields": {"Expected an object."}})
	}
	for k, v := range ef {
		if string(v) != "null" && string(v) != `""` && string(v) != "[]" {
			return protocol.Invalid(protocol.FieldErrors{"extra_fields": {k + " is not supported yet."}})
		}
	}
	return nil
}

func maxLenMessage(n int) string {
	return "Ensure this field has no more than " + itoa(n) + " characters."
}
