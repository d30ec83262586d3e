package rtchat_test

import (
	"testing"

	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// BenchmarkRoomCreate measures a room.create of the most users one request
// may name by default (500 participants, none connected), from the request
// to its answer, with a heartbeat (one row, one answer) as the baseline of
// the same run: the ratio is what one big request costs the node.
func BenchmarkRoomCreate(b *testing.B) {
	ids := make([]int64, 500)
	for i := range ids {
		ids[i] = int64(i + 2)
	}
	data := map[string]any{"type": protocol.RoomGroup, "name": "big", "participants": ids, "extra_fields": map[string]any{"max_participants": 501}}
	for _, kind := range dbtest.Kinds {
		h := newHarness(b, dbtest.Open(b, kind))
		c := h.dial(b, 1)
		ctx := testCtx(b)
		b.Run(kind+"/heartbeat", func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Request(ctx, protocol.EventSessionHeartbeat, nil); err != nil {
					b.Fatal(err)
				}
				c.Drain(protocol.DispatchHeartbeat)
			}
		})
		b.Run(kind+"/participants=500", func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Request(ctx, protocol.EventRoomCreate, data); err != nil {
					b.Fatal(err)
				}
				c.Drain(protocol.DispatchRoomCreate)
			}
		})
	}
}
