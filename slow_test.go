package rtchat_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// TestSlowConsumerIsDropped: a member whose connection stops reading fills
// its bounded send buffer and is closed; the sender and the other members
// are never held up by it. (The 4008 close frame reaches a client that still
// reads, after what was already on its way; this one never reads, so its
// socket has no room for it and it sees the connection end.)
func TestSlowConsumerIsDropped(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, "sqlite"), rtchat.WithSendBuffer(4), rtchat.WithMaxContentLength(30_000), rtchat.WithWriteTimeout(time.Second))
	a, b := h.dial(t, 1), h.dial(t, 2)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
	next(t, b, protocol.DispatchRoomCreate)

	// User 3 connects and never reads again.
	ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer 3"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	waitFor(t, "user 3 registered", func() bool { return h.chat.Stats().Conns == 3 })

	big := strings.Repeat("x", 25_000)
	sent := 0
	for h.chat.Stats().Conns == 3 {
		if sent == 2000 {
			t.Fatal("the silent connection was never dropped")
		}
		if _, err := a.SendMessage(testCtx(t), room.ID, big); err != nil {
			t.Fatalf("send %d: %v", sent, err)
		}
		sent++
		// B keeps up and gets every message, in order.
		if m := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); m.Seq != int64(sent) {
			t.Fatalf("B got seq %d, want %d", m.Seq, sent)
		}
		a.Drain(protocol.DispatchMessage)
	}
	// What reached the socket before it closed is still readable; the 4008
	// close frame follows it when the socket had room for it.
	frames := 0
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Logf("the silent connection was dropped after %d messages of 25 KB; it then read %d frames and %v", sent, frames, err)
			break
		}
		frames++
	}
	barrier(t, a)
	barrier(t, b)
}
