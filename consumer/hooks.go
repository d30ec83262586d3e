package consumer

import (
	"context"

	"github.com/rtchat/rtchat/handler"
)

// Hooks are the app's callbacks around a connection's life; rtchat.Hooks
// fills them. Every field is optional.
type Hooks struct {
	// OnConnect runs once the connection is upgraded and before anything is
	// set up for it (the index, presence, the session row, the rooms). An
	// error refuses the connection (see connectError); a panic closes it
	// with 1011. Nothing is left behind either way, and OnDisconnect does
	// not run.
	OnConnect func(ctx context.Context, c *Conn) error
	// OnDisconnect runs last when an accepted connection ends: after it
	// has left the index, its session row has been marked disconnected and
	// presence has been told (and the user's going offline announced).
	// During Close the row and the announcement are written in one batch
	// afterwards. A panic is logged (see recover.go).
	OnDisconnect func(ctx context.Context, c *Conn)
	// AroundEvent wraps the handling of every event: call next to run the
	// handler, or return an error (for example a *protocol.Error) to refuse
	// the event. r is the request the handler gets.
	AroundEvent func(ctx context.Context, c *Conn, r *handler.Request, next func(context.Context) error) error
}
