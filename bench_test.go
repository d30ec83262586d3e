package rtchat_test

import (
	"fmt"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// BenchmarkHeartbeat is the baseline: one request over a real socket that
// updates one row and answers the caller.
func BenchmarkHeartbeat(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			h := newHarness(b, dbtest.Open(b, kind))
			c := h.dial(b, 1)
			ctx := testCtx(b)
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Request(ctx, protocol.EventSessionHeartbeat, nil); err != nil {
					b.Fatal(err)
				}
				c.Drain(protocol.DispatchHeartbeat)
			}
		})
	}
}

// BenchmarkSend measures message.send in a group of n members, each with a
// connection: from the send until every member has the message.
func BenchmarkSend(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		for _, n := range []int{2, 10, 50} {
			b.Run(fmt.Sprintf("%s/members=%d", kind, n), func(b *testing.B) { benchSend(b, kind, n) })
		}
	}
}

// benchSend is one BenchmarkSend case, on a chat with opts.
func benchSend(b *testing.B, kind string, n int, opts ...rtchat.Option) {
	h := newHarness(b, dbtest.Open(b, kind), opts...)
	conns := make([]*client.Client, n)
	ids := make([]int64, 0, n-1)
	for i := range conns {
		conns[i] = h.dial(b, int64(i+1))
		if i > 0 {
			ids = append(ids, int64(i+1))
		}
	}
	room := createRoom(b, conns[0], map[string]any{"type": protocol.RoomGroup, "name": "bench", "participants": ids})
	for _, c := range conns[1:] {
		next(b, c, protocol.DispatchRoomCreate)
	}
	ctx := testCtx(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := conns[0].SendMessage(ctx, room.ID, "hello"); err != nil {
			b.Fatal(err)
		}
		for _, c := range conns {
			if _, err := c.Next(ctx, protocol.DispatchMessage); err != nil {
				b.Fatal(err)
			}
		}
	}
}
