package handler

import (
	"context"
	"encoding/json"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type messageModifyData struct {
	Action      string                     `json:"action" validate:"required,oneof=update delete"`
	MessageID   json.RawMessage            `json:"message_id"`
	ExtraFields map[string]json.RawMessage `json:"extra_fields"`
}

// MessageModify handles message.modify: update (exactly one message: its
// content, whose previous version goes to the edit history, and the app's
// message fields that the Message serializer accepts, whose change alone is
// no edit; see extra_fields.go) or delete
// (one or many messages of one room; soft with WithSoftDelete, else hard).
// The caller must have sent every message; with moderation on, the room's
// admins may delete others' messages too (CanDeleteOthers; recorded in the
// audit trail), and the delete's messagemodification.dispatch names who
// deleted them (deleted_by). A caller muted in the room is refused (4002).
// messagemodification.dispatch goes to the room.
func MessageModify(ctx context.Context, r *Request) error {
	var in messageModifyData
	if err := r.Decode(&in); err != nil {
		return err
	}
	ids, _, err := messageIDs(in.MessageID, true)
	if err != nil {
		return err
	}
	var upd messageUpdate
	if in.Action == "update" {
		if len(ids) != 1 {
			return protocol.Invalid(protocol.FieldErrors{"message_id": {"You can only update one message at a time."}})
		}
		if upd, err = parseUpdate(r, in.ExtraFields); err != nil {
			return err
		}
	}
	checks, err := accessMessages(ctx, r, ids)
	if err != nil {
		return err
	}
	var room *model.Room
	for _, chk := range checks {
		if room != nil && chk.Room.ID != room.ID {
			return protocol.NewError(protocol.CodeInvalid, protocol.DetailSameRoom)
		}
		room = chk.Room
	}
	for _, chk := range checks {
		err := r.perms().CanModifyMessage(ctx, chk)
		if err != nil && in.Action == "delete" && r.Env.Settings.Moderation && chk.Message.SenderID != r.UserID {
			// Moderation: admins delete others' messages (never edit them).
			err = r.perms().CanDeleteOthers(ctx, chk)
		}
		if err != nil {
			return err
		}
	}
	unlock := r.Env.LockRoom(room.ID)
	defer unlock()
	now := model.Now()
	if in.Action == "delete" {
		msgs := make([]*model.Message, len(ids))
		for i, id := range ids {
			msgs[i] = checks[id].Message
		}
		// The deletion refuses a muted caller and records the others'
		// messages in the audit trail, in its own transaction.
		del := model.DeleteBy{RoomID: room.ID, ActorID: r.UserID, Messages: msgs, Soft: r.Env.Settings.SoftDelete, Now: now}
		if err := r.Env.Store.DeleteMessagesBy(ctx, del); err != nil {
			return err
		}
		mod := serializer.ModificationInput{Action: "delete", MessageIDs: ids}
		if r.Env.Settings.Moderation {
			by, err := r.Env.Serialize(ctx, serializer.NameUser, r.UserID, []int64{r.UserID})
			if err != nil {
				return err
			}
			mod.DeletedBy = by
		}
		out, err := r.Env.Serialize(ctx, serializer.NameModification, mod, nil)
		if err != nil {
			return err
		}
		return r.Out.Room(ctx, room.ID, protocol.DispatchModification, out)
	}
	msg := checks[ids[0]].Message
	if err := applyUpdate(ctx, r, msg, upd, now); err != nil {
		return err
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, []*model.Message{msg}); err != nil {
		return err
	}
	rendered, err := r.Env.Serialize(ctx, serializer.NameMessage, msg, msg.UserIDs())
	if err != nil {
		return err
	}
	out, err := r.Env.Serialize(ctx, serializer.NameModification, serializer.ModificationInput{Action: "update", Message: rendered, Model: msg}, msg.UserIDs())
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, room.ID, protocol.DispatchModification, out)
}

// updatedContent reads extra_fields of an update: content, and nothing else.
func updatedContent(r *Request, ef map[string]json.RawMessage) (string, error) {
	fields := protocol.FieldErrors{}
	for k := range ef {
		if k != "content" {
			fields.Add("extra_fields."+k, "This field cannot be changed.")
		}
	}
	var content string
	raw, ok := ef["content"]
	if !ok {
		fields.Add("extra_fields.content", "This field is required.")
	} else if json.Unmarshal(raw, &content) != nil {
		fields.Add("extra_fields.content", "Expected a string.")
	}
	if len(fields) > 0 {
		return "", protocol.Invalid(fields)
	}
	return cleanContent(r, content, false)
}

type editsData struct {
	MessageID string `json:"message_id" validate:"required,uuid"`
}

// MessageEdits handles message.edits: the previous versions of a message,
// oldest first, to the caller (a member of its room).
func MessageEdits(ctx context.Context, r *Request) error {
	var in editsData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if _, err := accessMessages(ctx, r, []string{in.MessageID}); err != nil {
		return err
	}
	edits, err := r.Env.Store.Edits(ctx, in.MessageID)
	if err != nil {
		return err
	}
	out, err := r.Env.Serialize(ctx, serializer.NameEditHistory, serializer.EditHistoryInput{MessageID: in.MessageID, Edits: edits}, nil)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchEdits, out)
}
