package exampletest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// testMetrics: after a short chat, GET /metrics serves the chat's rtchat_
// metrics, with the counts of that chat, beside the Go runtime's.
func testMetrics(t *testing.T, e *Env) {
	ctx := testCtx(t)
	alice := e.Register(t, "alice", "alice-password")
	bob := e.Register(t, "bob", "bob-password")
	a := e.Dial(t, e.WS, client.WithToken(alice.Token))
	b := e.Dial(t, e.WS, client.WithToken(bob.Token))
	f, err := a.Request(ctx, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{bob.ID}})
	if err != nil {
		t.Fatalf("room.create: %v", err)
	}
	room := decode[roomDetail](t, f)
	const sends = 2
	for i := range sends {
		if _, err := a.SendMessage(ctx, room.ID, fmt.Sprintf("message %d", i+1)); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
		nextMessage(t, b, "bob")
	}
	_, err = a.Request(ctx, protocol.EventMessageSend, map[string]any{"content": "no room"})
	WantCode(t, "message.send without room_id", err, protocol.CodeInvalid)

	// An event is counted once its handler has returned, which may be
	// just after its answer reached the client: scrape until the counts
	// are there (or the deadline).
	wants := []string{
		"rtchat_connections_open 2",
		"rtchat_connections_opened_total 2",
		`rtchat_events_total{code="ok",event="room.create"} 1`,
		fmt.Sprintf(`rtchat_events_total{code="ok",event="message.send"} %d`, sends),
		`rtchat_events_total{code="4003",event="message.send"} 1`,
		fmt.Sprintf("rtchat_send_latency_seconds_count %d", sends),
		`rtchat_event_duration_seconds_count{event="message.send"} 3`,
	}
	var r Response
	var missing []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r = e.Do(t, http.MethodGet, "/metrics", "", nil, nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("GET /metrics = %d %q, want 200 text/plain", r.Status, r.Header.Get("Content-Type"))
		}
		lines := strings.Split(string(r.Body), "\n")
		missing = slices.DeleteFunc(slices.Clone(wants), func(w string) bool { return slices.Contains(lines, w) })
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range missing {
		t.Errorf("GET /metrics has no line %q", want)
	}
	for _, name := range []string{"# TYPE rtchat_fanout_duration_seconds histogram", "# TYPE rtchat_broker_lag_seconds histogram", "# TYPE go_goroutines gauge"} {
		if !strings.Contains(string(r.Body), name) {
			t.Errorf("GET /metrics has no %q", name)
		}
	}
}
