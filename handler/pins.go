package handler

import (
	"context"
	"errors"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// pinData is the input of message.pin and message.unpin.
type pinData struct {
	MessageID string `json:"message_id" validate:"required,uuid"`
	// RoomID, when given, is the room the message must be in (4004
	// otherwise, as for a message that does not exist).
	RoomID string `json:"room_id" validate:"omitempty,uuid"`
}

// pinAttempts is how often message.pin and message.unpin check their
// permission again when the room changed between the check and the write
// (a role or a member changed) before they answer 4007.
const pinAttempts = 3

// MessagePin handles message.pin: the message is pinned in its room and
// messagepin.dispatch goes to the room. Permission: CanAccessMessage, then
// CanPin (by default a 1:1 participant, or an admin of a group or
// channel). A message pinned already changes nothing: the answer goes to
// the caller only, with changed false. A room holds at most
// protocol.MaxPinsPerRoom pins (4003 DetailTooManyPins beyond), counted in
// the statement that stores the pin, under the room row's lock, so nodes
// pinning at once cannot pass it.
func MessagePin(ctx context.Context, r *Request) error { return pinOrUnpin(ctx, r, true) }

// MessageUnpin handles message.unpin: the message's pin goes and
// messagepin.dispatch (pinned false) goes to the room. The same permission
// as message.pin. A message that is not pinned changes nothing: the answer
// goes to the caller only, with changed false.
func MessageUnpin(ctx context.Context, r *Request) error { return pinOrUnpin(ctx, r, false) }

func pinOrUnpin(ctx context.Context, r *Request, pin bool) error {
	var in pinData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if in.RoomID != "" {
		// A message of another room is not found in this one, whatever
		// the caller may read elsewhere.
		if _, err := r.Env.Store.MessageInRoom(ctx, in.RoomID, in.MessageID); err != nil {
			return err
		}
	}
	for attempt := 1; ; attempt++ {
		err := pinOnce(ctx, r, in.MessageID, pin)
		switch {
		case errors.Is(err, model.ErrStale) && attempt < pinAttempts:
			continue
		case errors.Is(err, model.ErrStale):
			return protocol.NewError(protocol.CodeUnavailable, "The room is changing; try again.")
		case errors.Is(err, model.ErrPinLimit):
			return protocol.NewError(protocol.CodeInvalid, protocol.DetailTooManyPins)
		}
		return err
	}
}

// pinOnce checks the permission, writes under the version of the room the
// check saw (model.ErrStale when it changed) and publishes.
func pinOnce(ctx context.Context, r *Request, messageID string, pin bool) error {
	checks, err := accessMessages(ctx, r, []string{messageID})
	if err != nil {
		return err
	}
	chk := checks[messageID]
	if err := r.perms().CanPin(ctx, chk); err != nil {
		return err
	}
	msg := chk.Message
	// Pins and unpins of one room leave this node in the order they were
	// stored.
	unlock := r.Env.LockRoom(msg.RoomID)
	defer unlock()
	var p *model.Pin
	var changed bool
	if pin {
		p, changed, err = r.Env.Store.PinMessage(ctx, &model.Pin{MessageID: msg.ID, RoomID: msg.RoomID, PinnedBy: r.UserID, PinnedAt: model.Now()},
			chk.Room.ACLVersion, protocol.MaxPinsPerRoom)
	} else {
		p, err = r.Env.Store.UnpinMessage(ctx, msg.RoomID, msg.ID, chk.Room.ACLVersion)
		changed = p != nil
	}
	if err != nil {
		return err
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, []*model.Message{msg}); err != nil {
		return err
	}
	ids := msg.UserIDs()
	if p != nil {
		ids = append(ids, p.PinnedBy)
	}
	ids = append(ids, r.UserID)
	us, err := serializer.Resolve(ctx, r.Env.Users, ids)
	if err != nil {
		return err
	}
	sers := r.Env.Serializers
	ev := serializer.MessagePinInput{RoomID: msg.RoomID, Model: msg, Pinned: pin, Changed: changed, Pin: p}
	if ev.Message, err = sers.Serialize(ctx, serializer.NameMessage, msg, us); err != nil {
		return err
	}
	if p != nil {
		if ev.PinnedBy, err = sers.Serialize(ctx, serializer.NameUser, p.PinnedBy, us); err != nil {
			return err
		}
	}
	if !pin && changed {
		if ev.UnpinnedBy, err = sers.Serialize(ctx, serializer.NameUser, r.UserID, us); err != nil {
			return err
		}
	}
	payload, err := sers.Serialize(ctx, serializer.NameMessagePin, ev, us)
	if err != nil {
		return err
	}
	if !changed {
		return r.Out.Reply(protocol.DispatchMessagePin, payload)
	}
	return r.Out.Room(ctx, msg.RoomID, protocol.DispatchMessagePin, payload)
}

// addPins adds the room's pins to room.info's answer out (a map, as the
// default Room serializer renders it; another shape is left alone):
// "pins", newest first, each rendered by the Pin serializer. With pins off
// (rtchat.WithPins(false)) the answer has no "pins".
func addPins(ctx context.Context, r *Request, roomID string, out any) error {
	m, ok := out.(map[string]any)
	if !ok || !r.Env.Settings.Pins {
		return nil
	}
	pins, err := r.Env.Store.Pins(ctx, roomID, protocol.MaxPinsPerRoom)
	if err != nil {
		return err
	}
	list := make([]any, 0, len(pins))
	if len(pins) > 0 {
		var ids []int64
		for _, p := range pins {
			ids = append(append(ids, p.PinnedBy), p.Message.UserIDs()...)
		}
		us, err := serializer.Resolve(ctx, r.Env.Users, ids)
		if err != nil {
			return err
		}
		for _, p := range pins {
			msg, err := r.Env.Serializers.Serialize(ctx, serializer.NameMessage, p.Message, us)
			if err != nil {
				return err
			}
			item, err := r.Env.Serializers.Serialize(ctx, serializer.NamePin, serializer.PinInput{Pin: p, Message: msg}, us)
			if err != nil {
				return err
			}
			list = append(list, item)
		}
	}
	m["pins"] = list
	return nil
}
