package rtchat

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
)

// Conn is one WebSocket connection as the hooks see it.
type Conn struct {
	// ID identifies the connection; it is also the id of its session row.
	ID string
	// UserID is the authenticated user.
	UserID int64
	// Request is the HTTP upgrade request (its headers, its context's
	// values as the app's middleware left them).
	Request *http.Request
	// ConnectedAt is when the connection was upgraded.
	ConnectedAt time.Time
}

// Hooks are the app's callbacks around each connection, event and message
// (the original's CHAT_CONSUMER_CLASS); see WithHooks. Every field is
// optional. Each takes an event struct, so that fields can be added later
// without breaking the app's code. A hook's error becomes a wire error as
// any handler error does: through WithErrorHandler first, then the default
// mapping (a *Error as it is).
type Hooks struct {
	// OnConnect runs when a connection has been upgraded, before anything
	// is set up for it: it is not yet in presence (the user is not online
	// for others), has no session row and is in no room. An error refuses
	// the connection: it is closed with the code of the WithErrorHandler
	// mapping of the error, else of a *Error the error wraps, else 4002,
	// and the error's detail as the close reason; nothing is left behind
	// and OnDisconnect does not run. A panic closes it with 1011 (internal
	// error), in the same way. It runs on the connection's reader, before
	// any frame of the client is read.
	OnConnect func(ctx context.Context, e ConnectEvent) error
	// OnDisconnect runs last when an accepted connection ends, whoever
	// closed it: after it has left the fan-out, its session row has been
	// marked disconnected and presence has been told (and the user's going
	// offline announced). During Close the row and the announcement are
	// written in one batch afterwards. A panic is logged.
	OnDisconnect func(ctx context.Context, e DisconnectEvent)
	// AroundEvent wraps the handling of every event a client sends: call
	// next to run the event's handler, or return an error to refuse the
	// event (the client gets the error frame, with the event's event_type
	// and request_id, as for a handler's error). It is the place of an
	// app's audit log or of a limit of its own.
	AroundEvent func(ctx context.Context, e Event, next func(context.Context) error) error
	// BeforeMessage runs in message.send once the frame is decoded and its
	// content checked (length, sanitised, not blank), before the send
	// permission is checked and the message stored. It may change
	// e.Content, which is then sanitised and checked again, or return an
	// error to refuse the message: the sender gets the error frame and
	// nothing is stored. It also runs for messages sent from Go (e.Conn is
	// nil then).
	BeforeMessage func(ctx context.Context, e *MessageEvent) error
	// AfterMessage runs once a message has been stored and published
	// (e.Message is the stored message, with its seq): the place for
	// webhooks and indexing. It runs on the sender's reader before the
	// next frame is read: hand slow work to a goroutine of its own.
	AfterMessage func(ctx context.Context, e MessageEvent)
}

// ConnectEvent is what Hooks.OnConnect receives.
type ConnectEvent struct {
	// Conn is the connection being set up.
	Conn Conn
}

// DisconnectEvent is what Hooks.OnDisconnect receives.
type DisconnectEvent struct {
	// Conn is the connection that ended.
	Conn Conn
	// Duration is how long the connection lasted, from ConnectedAt.
	Duration time.Duration
}

// Event is what Hooks.AroundEvent receives: one frame of a client.
type Event struct {
	// Conn is the connection that sent the frame.
	Conn Conn
	// Name is the frame's event_type.
	Name string
	// RequestID is the frame's request_id ("" when none was sent).
	RequestID string
	// Data is the frame's raw data.
	Data json.RawMessage
}

// MessageEvent is what Hooks.BeforeMessage and Hooks.AfterMessage receive:
// a message being sent.
type MessageEvent struct {
	// Conn is the sender's connection, nil when the message is sent from
	// Go (the server-side API).
	Conn *Conn
	// UserID is the sender; 0 is the system.
	UserID int64
	// RoomID is the room the message is sent to.
	RoomID string
	// Content is the message's text, sanitised. BeforeMessage may change
	// it.
	Content string
	// Message is the stored message, with its seq; set for AfterMessage
	// only.
	Message *model.Message
}

// connOf is the hooks' view of a consumer connection.
func connOf(c *consumer.Conn) Conn {
	return Conn{ID: c.ID(), UserID: c.UserID(), Request: c.Request(), ConnectedAt: c.ConnectedAt()}
}

// consumerHooks adapts the connection and event hooks to the consumer's.
func (h Hooks) consumerHooks() consumer.Hooks {
	var out consumer.Hooks
	if fn := h.OnConnect; fn != nil {
		out.OnConnect = func(ctx context.Context, c *consumer.Conn) error {
			return fn(ctx, ConnectEvent{Conn: connOf(c)})
		}
	}
	if fn := h.OnDisconnect; fn != nil {
		out.OnDisconnect = func(ctx context.Context, c *consumer.Conn) {
			fn(ctx, DisconnectEvent{Conn: connOf(c), Duration: time.Since(c.ConnectedAt())})
		}
	}
	if fn := h.AroundEvent; fn != nil {
		out.AroundEvent = func(ctx context.Context, c *consumer.Conn, r *handler.Request, next func(context.Context) error) error {
			return fn(ctx, Event{Conn: connOf(c), Name: r.Event, RequestID: r.RequestID, Data: r.Data}, next)
		}
	}
	return out
}

// messageHooks adapts the message hooks to the handlers'; conn finds the
// sender's connection on this node (nil for a message sent from Go).
func (h Hooks) messageHooks(conn func(userID int64, connID string) *consumer.Conn) handler.MessageHooks {
	event := func(d handler.Draft) MessageEvent {
		e := MessageEvent{UserID: d.UserID, RoomID: d.RoomID, Content: d.Content}
		if c := conn(d.UserID, d.ConnID); c != nil {
			v := connOf(c)
			e.Conn = &v
		}
		return e
	}
	var out handler.MessageHooks
	if fn := h.BeforeMessage; fn != nil {
		out.Before = func(ctx context.Context, d *handler.Draft) error {
			e := event(*d)
			if err := fn(ctx, &e); err != nil {
				return err
			}
			d.Content = e.Content
			return nil
		}
	}
	if fn := h.AfterMessage; fn != nil {
		out.After = func(ctx context.Context, d handler.Draft, m *model.Message) {
			e := event(d)
			e.Message = m
			fn(ctx, e)
		}
	}
	return out
}
