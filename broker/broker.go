// Package broker carries rtchat's events between nodes. A node publishes
// every room and user event and every membership change through its Broker;
// every node (the publisher included) receives them and writes them to its
// own connections. The memory broker serves one process; the redis broker
// serves many.
package broker

import "context"

// Kind says what a Message asks the receiving nodes to do.
type Kind uint8

// The kinds of message.
const (
	// KindRoom writes Frame to every local connection in Room's fan-out.
	KindRoom Kind = iota + 1
	// KindUser writes Frame to every local connection of each of Users.
	KindUser
	// KindJoin adds every local connection of Users to Room's fan-out.
	// Its Seq is the room's last_seq as the membership change committed it:
	// the new members' view of the room starts after it.
	KindJoin
	// KindLeave removes every local connection of Users from Room's fan-out.
	KindLeave
	// KindResync is never published: a broker hands it to its own node's
	// Handler when the node may have missed messages (its subscription was
	// lost and is back). The node then reads from the database what its
	// connections may have missed: the rooms of each connection and every
	// room's messages by seq.
	KindResync
)

// Message is one event on its way to every node.
type Message struct {
	Kind  Kind    `json:"k"`
	Room  string  `json:"r,omitempty"`
	Users []int64 `json:"u,omitempty"`
	// Frame is the encoded frame to write.
	Frame []byte `json:"f,omitempty"`
	// EchoConn is the connection whose request caused the event; it gets
	// EchoFrame (the same frame carrying its request_id) instead of Frame.
	EchoConn  string `json:"ec,omitempty"`
	EchoFrame []byte `json:"ef,omitempty"`
	// Seq is the room's seq of a KindRoom event that carries one (a new
	// message): every node delivers those in seq order, fills gaps from
	// the database and drops the ones it has already delivered. 0 is an
	// unordered event, delivered as it arrives. On KindJoin, see there.
	Seq int64 `json:"s,omitempty"`
	// PublishedAt is when the message was published, in Unix nanoseconds
	// by the publishing node's clock, or 0 (not stamped: the publisher
	// takes no metrics, or predates the field). Receivers measure the
	// broker's lag with it (rtchat_broker_lag_seconds); nothing else
	// depends on it, so nodes with and without it interoperate.
	PublishedAt int64 `json:"t,omitempty"`
}

// Handler receives the messages of every node. A broker should keep each
// node's publishing order; across nodes messages interleave in any order,
// and seq-carrying messages may arrive late, twice or not at all (the
// receiving node orders them, drops repeats and fills gaps from the
// database). A broker that may lose messages (a subscription that went
// down) hands its Handler a KindResync message once it receives again.
// Handlers may be called concurrently.
type Handler func(Message)

// Broker publishes messages to every node, this one included.
type Broker interface {
	// Publish sends m to every node. For one publisher, messages arrive in
	// the order they were published.
	Publish(ctx context.Context, m Message) error
	// Subscribe sets the handler of this node's incoming messages. It is
	// called once, before the first Publish.
	Subscribe(ctx context.Context, h Handler) error
	// Close stops delivery and releases the broker's resources.
	Close() error
}
