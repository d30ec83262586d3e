package consumer

import (
	"context"
)

// Hooks are the app's callbacks around a connection's life (the original's
// CHAT_CONSUMER_CLASS). Every field is optional.
type Hooks struct {
	// OnConnect runs after the connection is registered and before pending
	// notifications are pushed.
	OnConnect func(ctx context.Context, c *Conn)
	// OnDisconnect runs last when a connection ends: after it has left
	// the index, its session row has been marked disconnected and presence
	// has been told (and the user's going offline announced). During Close
	// the row and the announcement are written in one batch afterwards.
	OnDisconnect func(ctx context.Context, c *Conn)
	// AroundEvent wraps the handling of every event: call next to run the
	// handler, or return an error (for example a *protocol.Error) to refuse
	// the event.
	AroundEvent func(ctx context.Context, c *Conn, event string, next func(context.Context) error) error
}
