package handler

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type reactData struct {
	Type            string `json:"type" validate:"required,oneof=add remove"`
	MessageID       string `json:"message_id" validate:"required,uuid"`
	ReactionContent string `json:"reaction_content" validate:"required_if=Type add,max=128"`
}

// MessageReact handles message.react. add: one reaction per user and
// message, a different one replaces the old, the same one again is 4005.
// remove: takes the user's reaction away. reaction.dispatch {status, type,
// action, message} goes to the room; a remove with nothing to remove
// answers status "failed" to the caller only, since nothing changed.
func MessageReact(ctx context.Context, r *Request) error {
	var in reactData
	if err := r.Decode(&in); err != nil {
		return err
	}
	checks, err := accessMessages(ctx, r, []string{in.MessageID})
	if err != nil {
		return err
	}
	chk := checks[in.MessageID]
	msg := chk.Message
	unlock := r.Env.LockRoom(msg.RoomID)
	defer unlock()
	status, action := "successful", in.Type
	switch in.Type {
	case "add":
		content := serializer.Sanitize(in.ReactionContent)
		if content == "" {
			return protocol.Invalid(protocol.FieldErrors{"reaction_content": {"This field may not be blank."}})
		}
		notify, err := notifyRecipients(ctx, r, msg.RoomID)
		if err != nil {
			return err
		}
		rx := &model.Reaction{ID: uuid.NewString(), MessageID: msg.ID, UserID: r.UserID, ReactionContent: content, CreatedAt: model.Now()}
		action, err = r.Env.Store.AddReaction(ctx, rx, msg, notify)
		if errors.Is(err, model.ErrSameReaction) {
			return protocol.NewError(protocol.CodeConflict, "You already reacted with this reaction.")
		}
		if err != nil {
			return err
		}
	case "remove":
		removed, err := r.Env.Store.RemoveReaction(ctx, msg.ID, r.UserID)
		if err != nil {
			return err
		}
		if !removed {
			status = "failed"
		}
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, []*model.Message{msg}); err != nil {
		return err
	}
	rendered, err := r.Env.Serialize(ctx, serializer.NameMessage, msg, msg.UserIDs())
	if err != nil {
		return err
	}
	ev := serializer.ReactionEventInput{Status: status, Type: in.Type, Action: action, Message: rendered, Model: msg}
	payload, err := r.Env.Serialize(ctx, serializer.NameReactionEvent, ev, msg.UserIDs())
	if err != nil {
		return err
	}
	if status == "failed" {
		return r.Out.Reply(protocol.DispatchReaction, payload)
	}
	return r.Out.Room(ctx, msg.RoomID, protocol.DispatchReaction, payload)
}
