package consumer

import (
	"context"
	"errors"
	"time"

	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/model"
)

// Metrics receives the consumer's measurements (rtchat.WithMetrics fills it
// with Prometheus collectors). Config.Metrics nil takes none: every hot
// path checks for nil before it reads a clock, so a chat without metrics
// does no work for them. The methods are called concurrently and must not
// block.
type Metrics interface {
	// ConnOpened counts a connection upgraded (before the app's OnConnect
	// hook decides on it).
	ConnOpened()
	// ConnClosed counts a connection ended, with its close code: the
	// server's when the server closed it, the client's close frame's when
	// the client did, 1006 when the socket ended without either.
	ConnClosed(code int)
	// Event counts a frame handled: event is its event type when the event
	// map holds it, "" otherwise (a frame that is not a request, an unknown
	// event type, a binary frame); code is 0 for success or the protocol
	// code it was answered with; d is from the frame's read to its answer
	// (measured only for events in the map; 0 otherwise).
	Event(event string, code int, d time.Duration)
	// Send is the latency of a message.send that succeeded: from its
	// frame's read until it was stored and published (with the memory
	// broker, which delivers as it publishes, also fanned out to this
	// node's connections).
	Send(d time.Duration)
	// Fanout is how long queuing one room event to every local connection
	// of the room took.
	Fanout(d time.Duration)
	// Resync counts a connection closed with 4008.
	Resync(reason ResyncReason)
	// BrokerLag is how long a broker message took from its publish (on
	// any node) to its arrival here; only messages stamped with their
	// publish time (broker.Message.PublishedAt) are measured.
	BrokerLag(d time.Duration)
	// DatabaseError counts a failure because the database could not be
	// reached or was busy (model.ErrUnavailable). op is the event type
	// (as for Event) or one of the OpConnect, OpDisconnect, OpFill,
	// OpMembership works.
	DatabaseError(op string)
	// RateLimited counts a frame refused by a rate limit.
	RateLimited()
}

// ResyncReason says why a connection was closed with 4008.
type ResyncReason uint8

// The reasons for a 4008.
const (
	// ResyncFellBehind: the connection's send buffer was full.
	ResyncFellBehind ResyncReason = iota + 1
	// ResyncMembership: its rooms changed in a way this node could not
	// apply (a membership change whose read failed, a leave the database
	// contradicts, rooms changed while the node was cut off from the
	// broker).
	ResyncMembership
)

// The work names of Metrics.DatabaseError besides event types.
const (
	OpConnect    = "connect"    // the session row, the rooms and notifications of a connecting connection
	OpDisconnect = "disconnect" // the session row of an ending connection
	OpFill       = "fill"       // the read of a gap in a room's seq order
	OpMembership = "membership" // the read of a membership change
)

// databaseError counts err under op when it says the database was
// unavailable; the caller checked cs.metrics.
func (cs *Consumer) databaseError(op string, err error) {
	if errors.Is(err, model.ErrUnavailable) {
		cs.metrics.DatabaseError(op)
	}
}

// eventLabel is event when the event map holds it, "" otherwise.
func (cs *Consumer) eventLabel(event string) string {
	if _, ok := cs.cfg.Events.Lookup(event); ok {
		return event
	}
	return ""
}

// publish publishes m through the broker, stamped with its publish time
// when metrics are taken (for BrokerLag on every node).
func (cs *Consumer) publish(ctx context.Context, m broker.Message) error {
	if cs.metrics != nil {
		m.PublishedAt = time.Now().UnixNano()
	}
	return cs.cfg.Broker.Publish(ctx, m)
}

// observeLag measures a received message's broker lag; a clock of another
// node that runs ahead counts as 0.
func (cs *Consumer) observeLag(m broker.Message) {
	if m.PublishedAt == 0 {
		return
	}
	cs.metrics.BrokerLag(max(time.Duration(time.Now().UnixNano()-m.PublishedAt), 0))
}

// closeCode returns the code a connection was closed with (see
// Metrics.ConnClosed).
func (c *Conn) closeCode() int {
	if code := c.closedWith.Load(); code != 0 {
		return int(code)
	}
	return 1006
}
