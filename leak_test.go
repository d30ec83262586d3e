package rtchat_test

import (
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/protocol"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestDisconnectsLeaveNothingBehind opens and closes connections, half
// cleanly and half by dropping the TCP connection, and checks that the
// fan-out index empties and the goroutines return to the baseline.
func TestDisconnectsLeaveNothingBehind(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
		before := runtime.NumGoroutine()
		for i := range 100 {
			user := int64(2 + i%2)
			ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer " + strconv.FormatInt(user, 10)}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if _, _, err := ws.ReadMessage(); err != nil { // chat.notifications: the connection is registered
				t.Fatal(err)
			}
			if i%2 == 0 {
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			}
			_ = ws.NetConn().Close()
		}
		waitFor(t, "index back to one connection", func() bool { s := h.chat.Stats(); return s.Conns == 1 && s.Users == 1 && s.Rooms == 1 })
		waitFor(t, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= before+2 })
		barrier(t, a)
	})
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
