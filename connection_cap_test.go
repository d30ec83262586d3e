package rtchat_test

import (
	"testing"

	"github.com/rtchat/rtchat/client"
)

// With the default cap (WithMaxConnectionsPerUser, 100) the 101st
// connection of one user is closed with 4029 "too many connections"
// (docs/protocol.md §1) while the user's 100 others stay open and served.
func TestDefaultConnectionCap(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		conns := make([]*client.Client, 100)
		for i := range conns {
			conns[i] = h.dial(t, 1)
		}
		dialRefused(t, h, 1)
		for i, c := range conns {
			select {
			case <-c.Closed():
				t.Fatalf("connection %d closed: %v", i, c.CloseError())
			default:
			}
		}
		barrier(t, conns[0])
		barrier(t, conns[99])
		h.dial(t, 2) // another user has a cap of their own
	})
}
