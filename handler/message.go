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
	// ThreadRootID makes the message a reply in that root's thread
	// (threads.go).
	ThreadRootID string `json:"thread_root_id" validate:"omitempty,uuid"`
}

type sendData struct {
	RoomID      string    `json:"room_id" validate:"required,uuid"`
	Content     string    `json:"content"`
	ClientMsgID string    `json:"client_msg_id" validate:"omitempty,max=64"`
	ExtraFields sendExtra `json:"extra_fields"`

	// custom is the app's message value with its extra_fields (see
	// extra_fields.go), or nil.
	custom any
}

// sendAttempts is how often message.send checks its permission again when
// the room changed between the check and the write (a member added or
// removed, a grant changed) before it answers 4007.
const sendAttempts = 3

// MessageSend handles message.send: a text message, a reply
// (extra_fields.parent_message_id) or a forward (forwarded_from_id), with
// optional media, stored with the room's next seq and sent as
// message.dispatch to the room. A repeated client_msg_id of the same sender
// in the same room stores nothing and returns the stored message to the
// caller only, once the caller has passed the send permission again.
//
// The permission is checked against the room and membership as read, and
// the write stores only if the room's acl_version is still the one read,
// under the room row's lock (model.NewMessage.IfACLVersion): a change on any
// node in between makes the send check again. A plain send is two
// statements: the read and the write.
func MessageSend(ctx context.Context, r *Request) error {
	var in sendData
	if err := r.Decode(&in); err != nil {
		return err
	}
	ef := in.ExtraFields
	if ef.ParentMessageID != "" && ef.ForwardedFromID != "" {
		return protocol.Invalid(protocol.FieldErrors{"extra_fields": {"A message is a reply or a forward, not both."}})
	}
	if err := threadsAllowed(r, ef.ThreadRootID, "extra_fields.thread_root_id"); err != nil {
		return err
	}
	content, err := cleanContent(r, in.Content, len(ef.Media) > 0 || ef.ForwardedFromID != "")
	if err != nil {
		return err
	}
	if in.custom, err = customMessage(r); err != nil {
		return err
	}
	if content, err = beforeMessage(ctx, r, in.RoomID, content, len(ef.Media) > 0 || ef.ForwardedFromID != ""); err != nil {
		return err
	}
	// No lock: the database orders the room's messages (seq) and checks
	// the permission, and every node delivers them in seq order.
	for attempt := 1; ; attempt++ {
		msg, err := storeMessage(ctx, r, &in, content)
		switch {
		case errors.Is(err, model.ErrStale) && attempt < sendAttempts:
			continue
		case errors.Is(err, model.ErrStale):
			return protocol.NewError(protocol.CodeUnavailable, "The room is changing; try again.")
		case errors.Is(err, model.ErrConflict) && in.ClientMsgID != "":
			// The same client_msg_id is stored in this room already:
			// answer with it, to the caller only.
			return replay(ctx, r, in.RoomID, in.ClientMsgID)
		case err != nil:
			return err
		}
		out, err := r.Env.Serialize(ctx, serializer.NameMessage, msg, msg.UserIDs())
		if err != nil {
			return err
		}
		err = r.Out.RoomSeq(ctx, msg.RoomID, msg.Seq, protocol.DispatchMessage, out)
		afterMessage(ctx, r, msg) // stored, whether or not the publish failed
		return err
	}
}

// storeMessage checks the send permission and stores the message, returning
// it ready to serialize (its reply or forward source loaded), or
// model.ErrStale when the room changed after the check.
func storeMessage(ctx context.Context, r *Request, in *sendData, content string) (*model.Message, error) {
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventMessageSend)
	if err != nil {
		return nil, err
	}
	if err := r.perms().CanSend(ctx, chk); err != nil {
		return nil, err
	}
	now := model.Now()
	msg := &model.Message{ID: uuid.NewString(), RoomID: chk.Room.ID, SenderID: r.UserID, Content: content, CreatedAt: now, UpdatedAt: now}
	if in.ClientMsgID != "" {
		msg.ClientMsgID = &in.ClientMsgID
	}
	msg.Custom = in.custom
	ef := in.ExtraFields
	if ef.ThreadRootID != "" {
		msg.ThreadRootID = &ef.ThreadRootID
	}
	var source *model.Message
	switch {
	case ef.ParentMessageID != "":
		// The parent is read as any message the sender asks about (4004,
		// then CanAccessMessage), then CanReplyTo decides; by default a
		// reply stays in its room. The room and membership just read are
		// the parent's when it is of the same room.
		parent, err := r.Env.Store.MessageInRoom(ctx, chk.Room.ID, ef.ParentMessageID)
		pc := chk
		switch {
		case errors.Is(err, model.ErrNotFound):
			checks, err := accessMessages(ctx, r, []string{ef.ParentMessageID})
			if err != nil {
				return nil, err
			}
			pc = checks[ef.ParentMessageID]
			parent = pc.Message
		case err != nil:
			return nil, err
		default:
			pc.Message = parent
			if err := r.perms().CanAccessMessage(ctx, pc); err != nil {
				return nil, err
			}
		}
		rc := chk
		rc.Message = parent
		if err := r.Env.Perms.CanReplyTo(ctx, rc); err != nil {
			return nil, err
		}
		msg.ParentMessageID, msg.ParentMessage, source = &parent.ID, parent, parent
	case ef.ForwardedFromID != "":
		// The source of a forward must be readable by the sender.
		checks, err := accessMessages(ctx, r, []string{ef.ForwardedFromID})
		if err != nil {
			return nil, err
		}
		src := checks[ef.ForwardedFromID].Message
		msg.ForwardedFromID, msg.ForwardedFrom, msg.IsForwarded, source = &src.ID, src, true, src
	}
	atts := make([]*model.Attachment, len(ef.Media))
	for i, m := range ef.Media {
		// A caption is shown like content, so it is sanitised like content.
		// Metadata is plain data the page must never treat as markup
		// (docs/protocol.md), stored as sent.
		atts[i] = &model.Attachment{ID: uuid.NewString(), MediaURL: m.MediaURL, MediaType: m.MediaType, MimeType: m.MimeType,
			FileSize: m.FileSize, Metadata: m.Metadata, Caption: serializer.Sanitize(m.Caption), CreatedAt: now}
	}
	version := chk.Room.ACLVersion
	if err := r.Env.Store.InsertMessage(ctx, model.NewMessage{Message: msg, Attachments: atts, IfACLVersion: &version}); err != nil {
		if errors.Is(err, model.ErrStale) && msg.ThreadRootID != nil {
			// The root is checked by the write itself; only a refused
			// write costs reading it, to tell why.
			if rootErr := threadRootError(ctx, r, chk.Room.ID, *msg.ThreadRootID, "extra_fields.thread_root_id"); rootErr != nil {
				return nil, rootErr
			}
		}
		return nil, err
	}
	// A new message has no reactions, receipts or deliveries yet, and its
	// attachments and source are at hand: only the source's own relations
	// are read.
	msg.Attachments, msg.Reactions, msg.ReadReceipts, msg.DeliveredTo = atts, []*model.Reaction{}, []*model.ReadReceipt{}, []int64{}
	if source != nil {
		if err := r.Env.Store.LoadOwnRelations(ctx, []*model.Message{source}); err != nil {
			return nil, err
		}
	}
	return msg, nil
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

// replay answers the caller with the message it already stored in the room
// under clientMsgID.
func replay(ctx context.Context, r *Request, roomID, clientMsgID string) error {
	prev, err := r.Env.Store.MessageByClientID(ctx, roomID, r.UserID, clientMsgID)
	if err != nil {
		return err
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, []*model.Message{prev}); err != nil {
		return err
	}
	if err := r.Env.Store.LoadThreadStates(ctx, []*model.Message{prev}); err != nil {
		return err
	}
	out, err := r.Env.Serialize(ctx, serializer.NameMessage, prev, prev.UserIDs())
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchMessage, out)
}
