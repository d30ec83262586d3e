package rtchat

import (
	"context"
	"encoding/json"

	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
)

// EventFunc handles one event a client sends (the original's
// EVENT_HANDLER_CLASS): it answers through r and returns nil, or returns an
// error that becomes the client's error frame (a *Error as it is; see
// WithErrorHandler). A request that succeeds without any frame for the
// requester is answered with done.dispatch when it carries a request_id.
type EventFunc func(ctx context.Context, r *EventRequest) error

// EventRequest is one frame of a client as an EventFunc receives it, and
// what the function needs to answer it. rtchat makes it; its methods are
// safe for the one EventFunc handling the frame.
type EventRequest struct {
	// Event is the frame's event_type.
	Event string
	// RequestID is the frame's request_id ("" when none was sent); every
	// answer to the requester carries it.
	RequestID string
	// UserID is the authenticated user.
	UserID int64
	// ConnID identifies the connection (and its session row).
	ConnID string
	// Data is the frame's raw data.
	Data json.RawMessage

	req   *handler.Request
	perms PermissionHandler
}

// Decode unmarshals the frame's data into dst and validates it with dst's
// `validate` tags: a field error is a 4003 *Error listing the fields.
func (r *EventRequest) Decode(dst any) error { return r.req.Decode(dst) }

// Reply sends an event to the requesting connection only, carrying the
// request_id.
func (r *EventRequest) Reply(eventType string, data any) error {
	return r.req.Out.Reply(eventType, data)
}

// SendToRoom sends an event to every connection of every member of the
// room, on every node; the requester's copy carries the request_id. It does
// not check that the user may: see RoomCheck and Permissions.
func (r *EventRequest) SendToRoom(ctx context.Context, roomID, eventType string, data any) error {
	return r.req.Out.Room(ctx, roomID, eventType, data)
}

// SendToUsers sends an event to every connection of each user, on every
// node; when the requester is among them, its copy carries the request_id.
func (r *EventRequest) SendToUsers(ctx context.Context, eventType string, data any, userIDs ...int64) error {
	return r.req.Out.User(ctx, eventType, data, userIDs...)
}

// Store returns rtchat's store over the app's database.
func (r *EventRequest) Store() *model.Store { return r.req.Env.Store }

// Permissions returns the chat's permission rules (WithPermissionHandler).
func (r *EventRequest) Permissions() PermissionHandler { return r.perms }

// RoomCheck loads a room and the user's membership of it (Member is nil
// for an outsider), with Action set to the event, ready for a
// PermissionHandler method. A room that does not exist is
// a 4004 *Error. It checks nothing itself.
func (r *EventRequest) RoomCheck(ctx context.Context, roomID string) (PermissionCheck, error) {
	chk, err := r.req.RoomCheck(ctx, roomID)
	return checkFrom(chk), err
}

// AccessMessage loads a message, its room and the user's membership of it,
// and asks Permissions().CanAccessMessage whether the user may read it. A
// message that does not exist (or is deleted) is a 4004 *Error; a refusal
// is the rule's error.
func (r *EventRequest) AccessMessage(ctx context.Context, messageID string) (PermissionCheck, error) {
	chk, err := r.req.AccessMessage(ctx, messageID)
	return checkFrom(chk), err
}

// Builtin returns the built-in handler of an event of the protocol
// ("message.send", "room.create", ...), so that an app can wrap it with
// WithEvent: check something first, then call it. It returns nil for a name
// that is not a built-in event (and WithEvent with a nil fn removes the
// event).
func Builtin(event string) EventFunc {
	fn, ok := eventmap.Default().Lookup(event)
	if !ok {
		return nil
	}
	return func(ctx context.Context, r *EventRequest) error { return fn(ctx, r.req) }
}

// handlerFunc adapts fn to the event map's handlers.
func (fn EventFunc) handlerFunc(perms PermissionHandler) handler.Func {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, hr *handler.Request) error {
		return fn(ctx, &EventRequest{
			Event: hr.Event, RequestID: hr.RequestID, UserID: hr.UserID, ConnID: hr.ConnID, Data: hr.Data,
			req: hr, perms: perms,
		})
	}
}
