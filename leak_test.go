package rtchat_test

import (
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestDisconnectsLeaveNothingBehind opens and closes 1,000 connections, a
// third with the full close handshake, a third sending a close frame and
// dropping the TCP connection, a third just dropping it, and checks that the
// fan-out index and presence empty and the goroutines return to the
// baseline.
func TestDisconnectsLeaveNothingBehind(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, gone.option())
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
		cycles := 1000
		if testing.Short() {
			cycles = 100
		}
		before := runtime.NumGoroutine()
		start := time.Now()
		for i := range cycles {
			user := int64(2 + i%2)
			ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer " + strconv.FormatInt(user, 10)}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if _, _, err := ws.ReadMessage(); err != nil { // the connection is registered
				t.Fatal(err)
			}
			switch i % 3 {
			case 0: // clean: close frame, then wait for the server's
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
							t.Fatalf("cycle %d: clean close ended with %v", i, err)
						}
						break
					}
				}
			case 1: // close frame, then drop without waiting
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			}
			_ = ws.NetConn().Close()
		}
		waitFor(t, "index back to one connection", func() bool { s := h.chat.Stats(); return s.Conns == 1 && s.Users == 1 && s.Rooms == 1 })
		gone.wait(t, 2, (cycles+1)/2) // every disconnect fully handled
		gone.wait(t, 3, cycles/2)
		var now int
		waitFor(t, "goroutines back to baseline", func() bool { now = runtime.NumGoroutine(); return now <= before+2 })
		t.Logf("%d cycles in %v; goroutines %d before, %d after", cycles, time.Since(start).Round(time.Millisecond), before, now)
		// Presence saw every device of 2 and 3 go: A hears they are offline.
		p := decode[wirePresence](t, request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{2, 3}}))
		if len(p.Users) != 2 || p.Users[0].Online || p.Users[1].Online {
			t.Fatalf("presence after the cycles = %+v, want 2 and 3 offline", p)
		}
		var open int
		if err := h.db.NewSelect().Table("rtchat_sessions").ColumnExpr("count(*)").Where("disconnected_at IS NULL").Scan(testCtx(t), &open); err != nil || open != 1 {
			t.Fatalf("%d open session rows (%v), want A's only", open, err)
		}
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
