package handler

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type mediaData struct {
	MediaURL  string         `json:"media_url" validate:"required,http_url,max=2048"`
	MediaType string         `json:"media_type" validate:"required,oneof=image video audio file"`
	MimeType  string         `json:"mime_type" validate:"required,mimetype"`
	FileSize  int64          `json:"file_size" validate:"gte=0"`
	Metadata  map[string]any `json:"metadata"`
	Caption   string         `json:"caption" validate:"max=1024"`
}

type sendExtra struct {
	ParentMessageID string      `json:"parent_message_id" validate:"omitempty,uuid"`
	ForwardedFromID string      `json:"forwarded_from_id" validate:"omitempty,uuid"`
	Media           []mediaData `json:"media" validate:"max=20,dive"`
}

type sendData struct {
	RoomID      string    `json:"room_id" validate:"required,uuid"`
	Content     string    `json:"content"`
	ClientMsgID string    `json:"client_msg_id" validate:"omitempty,max=64"`
	ExtraFields sendExtra `json:"extra_fields"`
}

// MessageSend handles message.send: a text message, a reply
// (extra_fields.parent_message_id) or a forward (forwarded_from_id), with
// optional media, stored with the room's next seq and sent as
// message.dispatch to the room. A repeated client_msg_id of the same sender
// stores nothing and returns the stored message to the caller only.
func MessageSend(ctx context.Context, r *Request) error {
	var in sendData
	if err := r.Decode(&in); err != nil {
		return err
	}
	ef := in.ExtraFields
	if ef.ParentMessageID != "" && ef.ForwardedFromID != "" {
		return protocol.Invalid(protocol.FieldErrors{"extra_fields": {"A message is a reply or a forward, not both."}})
	}
	content, err := cleanContent(r, in.Content, len(ef.Media) > 0 || ef.ForwardedFromID != "")
	if err != nil {
		return err
	}
	// The room's lock is held from the permission check to the publish:
	// membership changes take it too, so a member removed meanwhile cannot
	// post, and the room's messages leave in seq order.
	unlock := r.Env.LockRoom(in.RoomID)
	defer unlock()
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
	notifyType := model.NotifyNewMessage
	for _, ref := range []struct {
		id  string
		dst **string
	}{{ef.ParentMessageID, &msg.ParentMessageID}, {ef.ForwardedFromID, &msg.ForwardedFromID}} {
		if ref.id == "" {
			continue
		}
		// The source of a reply or forward must be readable by the sender.
		checks, err := accessMessages(ctx, r, []string{ref.id})
		if err != nil {
			return err
		}
		// A reply stays in its room: quoting a message of another room
		// would show it to members who cannot read that room. A forward
		// is the sender's deliberate share.
		if ref.dst == &msg.ParentMessageID && checks[ref.id].Room.ID != chk.Room.ID {
			return protocol.Invalid(protocol.FieldErrors{"extra_fields.parent_message_id": {"You can only reply to a message of the same room."}})
		}
		*ref.dst = &ref.id
	}
	if msg.ParentMessageID != nil {
		notifyType = model.NotifyReply
	}
	msg.IsForwarded = msg.ForwardedFromID != nil
	atts := make([]*model.Attachment, len(ef.Media))
	for i, m := range ef.Media {
		atts[i] = &model.Attachment{ID: uuid.NewString(), MediaURL: m.MediaURL, MediaType: m.MediaType, MimeType: m.MimeType,
			FileSize: m.FileSize, Metadata: m.Metadata, Caption: m.Caption, CreatedAt: now}
	}
	notify, err := notifyRecipients(ctx, r, chk.Room.ID)
	if err != nil {
		return err
	}

	err = r.Env.Store.InsertMessage(ctx, model.NewMessage{Message: msg, Attachments: atts, NotifyUserIDs: notify, NotificationType: notifyType})
	if errors.Is(err, model.ErrConflict) && in.ClientMsgID != "" {
		// Two sends with one client_msg_id raced; the other one won.
		_, err = replayIfDuplicate(ctx, r, in.ClientMsgID)
		return err
	}
	if err != nil {
		return err
	}
	// A new message has no reactions, receipts or deliveries yet, and its
	// attachments are at hand: only what it refers to is read back.
	msg.Attachments, msg.Reactions, msg.ReadReceipts, msg.DeliveredTo = atts, []*model.Reaction{}, []*model.ReadReceipt{}, []int64{}
	if err := r.Env.Store.LoadReferences(ctx, []*model.Message{msg}); err != nil {
		return err
	}
	out, err := r.Env.Serialize(ctx, serializer.NameMessage, msg, msg.UserIDs())
	if err != nil {
		return err
	}
	return r.Out.RoomSeq(ctx, chk.Room.ID, msg.Seq, protocol.DispatchMessage, out)
}

// cleanContent checks the length of content (in characters, as sent) and
// sanitises it; empty content is refused unless the message carries
// something else (media, a forward).
func cleanContent(r *Request, content string, mayBeEmpty bool) (string, error) {
	if n := utf8.RuneCountInString(content); n > r.Env.Settings.MaxContentLength {
		return "", protocol.Invalid(protocol.FieldErrors{"content": {"Ensure this field has no more than " + itoa(r.Env.Settings.MaxContentLength) + " characters."}})
	}
	clean := serializer.Sanitize(content)
	if strings.TrimSpace(clean) == "" && !mayBeEmpty {
		return "", protocol.Invalid(protocol.FieldErrors{"content": {"This field may not be blank."}})
	}
	return clean, nil
}

// notifyRecipients returns who gets a notification for an event in a room:
// every member but the actor, or nobody when notifications are off.
func notifyRecipients(ctx context.Context, r *Request, roomID string) ([]int64, error) {
	if !r.Env.Settings.Notifications {
		return nil, nil
	}
	ids, err := r.Env.Store.MemberIDs(ctx, roomID)
	if err != nil {
		return nil, err
	}
	return withoutUser(ids, r.UserID), nil
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
