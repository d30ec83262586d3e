package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/protocol"
)

// ErrClosed is returned by Call once Close has begun.
var ErrClosed = errors.New("rtchat: chat is closed")

// Answer is what the handler of a Call sent its caller, in order: its
// replies, and its copies of the room and user events it published that a
// requesting connection would have received (a message.dispatch to the
// room, a roomcreate.dispatch to the creator's room).
type Answer struct {
	Frames []AnswerFrame
}

// AnswerFrame is one frame of an Answer.
type AnswerFrame struct {
	EventType string
	Data      json.RawMessage
	// Reply is set for a frame sent to the caller alone (Outbox.Reply: a
	// room.info, or the stored message a repeated client_msg_id returns);
	// unset for the caller's copy of an event that went to others too.
	Reply bool
}

// Find returns the first frame of eventType.
func (a Answer) Find(eventType string) (AnswerFrame, bool) {
	for _, f := range a.Frames {
		if f.EventType == eventType {
			return f, true
		}
	}
	return AnswerFrame{}, false
}

// Call runs the handler the event map holds for event (so an app's
// override applies) on behalf of userID, as if one of the user's
// connections had sent it with data, but without a connection: the frames
// meant for the requester are returned in the Answer instead of written,
// and the room and user events go through the broker to every node as a
// connection's do (in seq order for new messages), to all the users'
// connections. userID 0 is the system (serializer.SystemUserID): the
// permission rules give way to it (handler.Request.System).
//
// The hooks around a connection's events (Hooks.AroundEvent) do not run:
// there is no connection. The event timeout applies on top of ctx, and
// Close ends the call. A
// failure is the *protocol.Error a client would get (mapped by the app's
// error handler, then MapError); when the cause is not itself a
// *protocol.Error it is wrapped too, so errors.Is finds it.
func (cs *Consumer) Call(ctx context.Context, userID int64, event string, data any) (Answer, error) {
	raw, err := callData(data)
	if err != nil {
		return Answer{}, protocol.Invalid(protocol.FieldErrors{"data": {err.Error()}})
	}
	fn, ok := cs.cfg.Events.Lookup(event)
	if !ok {
		return Answer{}, protocol.NewError(protocol.CodeInvalid, protocol.DetailInvalidEventType)
	}
	if cs.base.Err() != nil {
		return Answer{}, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.EventTimeout)
	defer cancel()
	defer context.AfterFunc(cs.base, cancel)()
	out := &callOutbox{outbox: outbox{cs: cs}, userID: userID}
	req := &handler.Request{
		Event: event, UserID: userID, System: userID == 0, Data: raw,
		Env: cs.cfg.Env, Out: out,
	}
	if err := cs.runCall(ctx, fn, req); err != nil {
		if pe, ok := protocol.AsError(err); ok {
			return out.answer, pe
		}
		pe := cs.wireError(err)
		if pe.Code == protocol.CodeInternal || pe.Code == protocol.CodeUnavailable {
			cs.log.Error("rtchat: call failed", "event", event, "user", userID, "code", pe.Code, "err", err)
		}
		return out.answer, fmt.Errorf("%w: %w", pe, err)
	}
	return out.answer, nil
}

// runCall runs fn, recovering a panic into an error as dispatch does.
func (cs *Consumer) runCall(ctx context.Context, fn handler.Func, req *handler.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			cs.log.Error("rtchat: handler panicked", "event", req.Event, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("rtchat: handler %s panicked: %v", req.Event, p)
		}
	}()
	return fn(ctx, req)
}

// callData is the JSON of a Call's data: as it is when it already is JSON.
func callData(data any) (json.RawMessage, error) {
	switch d := data.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return d, nil
	case []byte:
		return d, nil
	}
	return json.Marshal(data)
}

// callOutbox is the outbox of a Call: what a connection's outbox writes to
// the requester it keeps in answer; what it publishes it publishes the same
// way, with no requester's copy to hold back (there is no connection), so
// every connection of the users receives it. Join and Leave are the
// connection outbox's.
type callOutbox struct {
	outbox
	userID int64
	answer Answer
}

var _ handler.Outbox = (*callOutbox)(nil)

func (o *callOutbox) keep(frame []byte, reply bool) error {
	var f protocol.Frame
	if err := json.Unmarshal(frame, &f); err != nil {
		return err
	}
	o.answer.Frames = append(o.answer.Frames, AnswerFrame{EventType: f.EventType, Data: f.Data, Reply: reply})
	return nil
}

func (o *callOutbox) Reply(eventType string, data any) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	return o.keep(frame, true)
}

func (o *callOutbox) ReplyFrame(frame []byte) error { return o.keep(frame, true) }

func (o *callOutbox) Room(ctx context.Context, roomID, eventType string, data any) error {
	return o.RoomSeq(ctx, roomID, 0, eventType, data)
}

// RoomSeq publishes as the connection outbox does (a seq keeps the room's
// order on every node) and keeps the caller's copy: the handlers publish
// to rooms the caller takes part in, and the system stands for anyone.
func (o *callOutbox) RoomSeq(ctx context.Context, roomID string, seq int64, eventType string, data any) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	if err := o.cs.publish(ctx, broker.Message{Kind: broker.KindRoom, Room: roomID, Frame: frame, Seq: seq}); err != nil {
		return err
	}
	return o.keep(frame, false)
}

// User publishes to the users' connections, keeping the caller's copy when
// the caller is among them.
func (o *callOutbox) User(ctx context.Context, eventType string, data any, userIDs ...int64) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	if err := o.cs.publish(ctx, broker.Message{Kind: broker.KindUser, Users: userIDs, Frame: frame}); err != nil {
		return err
	}
	if slices.Contains(userIDs, o.userID) {
		return o.keep(frame, false)
	}
	return nil
}

// PublishRoom sends an event of the app's to every connection of the
// room's members, on every node, outside any handler.
func (cs *Consumer) PublishRoom(ctx context.Context, roomID, eventType string, data any) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	return cs.publish(ctx, broker.Message{Kind: broker.KindRoom, Room: roomID, Frame: frame})
}

// PublishUsers sends an event of the app's to every connection of the
// users, on every node, outside any handler.
func (cs *Consumer) PublishUsers(ctx context.Context, eventType string, data any, userIDs ...int64) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	return cs.publish(ctx, broker.Message{Kind: broker.KindUser, Users: userIDs, Frame: frame})
}
