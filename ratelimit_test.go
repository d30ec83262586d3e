package rtchat_test

import (
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/protocol"
)

// With a rate limit, frames over it are answered 4029 with a retry hint and
// change nothing; the connection stays open, and other connections are not
// affected.
func TestRateLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}}) // 1 frame of a's burst
		next(t, b, protocol.DispatchRoomCreate)
		ctx := testCtx(t)
		for range 10 {
			if _, err := a.Send(ctx, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "flood"}); err != nil {
				t.Fatal(err)
			}
		}
		// The burst of 5 had one frame spent on room.create: 4 sends pass,
		// 6 are refused (a token comes back only every 2 s).
		for range 6 {
			f, err := a.NextError(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if f.Error.Code != protocol.CodeRateLimited || !strings.Contains(f.Error.Detail.(string), "retry in") {
				t.Fatalf("error = %+v", f.Error)
			}
		}
		waitFor(t, "the 4 allowed messages", func() bool { return a.Pending(protocol.DispatchMessage) == 4 })
		if n := countRows(t, h, "rtchat_messages", "1 = 1"); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
		// b is not limited by a's flood.
		send(t, b, room.ID, "still here")
	}, rtchat.WithRateLimit(0.5, 5))
}
