// Package redis is the broker of many nodes: every node publishes its
// events to Redis Pub/Sub and every node, the publisher included, receives
// them and hands them to its Handler.
//
//	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	chat, err := rtchat.New(db, rtchat.WithBroker(redisbroker.New(client)))
//
// # One channel
//
// Every message goes to one channel, "<prefix>:events" (WithPrefix). This
// is the first design, chosen because it is simple and correct: every node
// needs the room, user, join/leave and presence events of the rooms its
// connections hold, and a node cannot know in advance which rooms those
// are (a membership change on another node adds a room to a connection).
// With one channel a node never misses an event because it subscribed to
// a room too late. The cost is that every node decodes every event of the
// cluster; per-room (or per-shard) channels, subscribed as connections
// join and leave rooms, are the later optimisation.
//
// # Order and loss
//
// Redis delivers a channel's messages to each subscriber in the order it
// received the PUBLISH commands, so one publisher's messages (published
// one after another) arrive in publish order, and the handler is called
// for one message at a time, in that order. Pub/Sub is at most once: what
// is published while a node's subscription is down never reaches that
// node. So once subscribed again, the broker hands its node a
// broker.KindResync message, and the node reads from the database what
// its connections may have missed (their rooms, and every room's messages
// by seq).
//
// # Failures
//
// A node that loses Redis keeps serving its own connections: what it
// publishes meanwhile goes to its own handler at once and into a bounded
// backlog (WithBacklog), which a goroutine of the broker publishes in order
// as soon as Redis takes it, so the other nodes get it late instead of
// never. While the subscription is down or the backlog is not empty,
// Publish does not wait for Redis. The subscriber runs on its own
// connection and goroutine: when the connection is lost, or stays silent
// through a ping (WithPingInterval), it closes it and subscribes again on
// a new one, waiting between attempts with capped exponential backoff and
// jitter (WithBackoff); once subscribed again it hands its node the
// KindResync message.
//
// The *goredis.Client belongs to the caller: Close stops the subscriber and
// leaves the client open.
package redis
