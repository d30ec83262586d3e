package rtchat_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// fuzzBarrier is the request_id of the heartbeat sent after each fuzzed
// frame: its answer shows the connection survived and that every answer to
// the fuzzed frame has arrived.
const fuzzBarrier = "fuzz-barrier"

// FuzzFrameOverSocket sends one fuzzed frame (text, or binary) over a real
// socket to a real server on SQLite, as user 2, a member of a group with
// user 1, the bystander. "$ROOM" and "$MSG" in the frame become the
// group's id and the id of a message of user 1's in it, so that the
// fuzzer reaches past the id checks. One server serves the whole run.
//
// Invariants, for every input:
//   - the connection survives the frame (a heartbeat after it is
//     answered), or closes with 1009 for a frame over the size limit,
//     the only close a single frame may cause;
//   - every frame the server sends is JSON, and no answer is an internal
//     (4500) or unavailable (4007) error;
//   - an error answer leaves the database as it was (no partial write);
//   - once the connection ends, the process holds no goroutine more than
//     before it, and the bystander's connection is open and answers.
func FuzzFrameOverSocket(f *testing.F) {
	const maxSize = 16 << 10
	h := newHarness(f, dbtest.Open(f, "sqlite"), rtchat.WithMaxMessageSize(maxSize),
		rtchat.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	a := h.dial(f, 1)
	room := createRoom(f, a, map[string]any{"type": protocol.RoomGroup, "name": "fuzz", "participants": []int64{2}})
	msg := send(f, a, room.ID, "hello from the bystander")
	tables := fuzzRowTables(f, h)
	settle := func(t testing.TB, before int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for h.chat.Stats().Conns != 1 || runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("after the connection: stats %+v, %d goroutines, want the bystander's and %d\n%s",
					h.chat.Stats(), runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(time.Millisecond)
		}
	}

	f.Fuzz(func(t *testing.T, binary bool, frame []byte) {
		// The previous input has settled: what runs now is the server, the
		// bystander and the fuzzing engine, whose goroutines may start
		// after the setup above.
		before := runtime.NumGoroutine()
		frame = bytes.ReplaceAll(frame, []byte("$ROOM"), []byte(room.ID))
		frame = bytes.ReplaceAll(frame, []byte("$MSG"), []byte(msg.ID))
		rows := fuzzRowCounts(t, h, tables)
		ws, resp, err := websocket.DefaultDialer.Dial(h.url, http.Header{"Authorization": {"Bearer 2"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := ws.ReadMessage(); err != nil { // chat.notifications
			t.Fatal(err)
		}
		kind := websocket.TextMessage
		if binary {
			kind = websocket.BinaryMessage
		}
		if err := ws.WriteMessage(kind, frame); err != nil {
			t.Fatal(err)
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"event_type":"session.heartbeat","request_id":"`+fuzzBarrier+`"}`))
		failed := false
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig && len(frame) > maxSize {
					break
				}
				t.Fatalf("frame %q (binary %v) ended the connection: %v", frame, binary, err)
			}
			var got protocol.Frame
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("the server sent a frame that is not JSON: %q", data)
			}
			if got.Error != nil {
				if got.Error.Code == protocol.CodeInternal || got.Error.Code == protocol.CodeUnavailable {
					t.Fatalf("frame %q answered %d %v", frame, got.Error.Code, got.Error.Detail)
				}
				failed = true
			}
			if got.RequestID == fuzzBarrier && got.Error == nil {
				break
			}
		}
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = ws.Close()
		if now := fuzzRowCounts(t, h, tables); failed && !slices.Equal(rows, now) {
			t.Fatalf("frame %q was refused but changed the database: %v -> %v", frame, rows, now)
		}
		settle(t, before)
		// The bystander is unaffected: open, answering, and user 2 is back
		// in the group for the next input if the frame took them out.
		barrier(t, a)
		for ev := range pendingFrames(a) {
			a.Drain(ev)
		}
		if h.count(t, "rtchat_members", "room_id = ? AND user_id = 2", room.ID) == 0 {
			request(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": []int64{2}})
			a.Drain(protocol.DispatchRoomAddMembers)
		}
	})
}

// fuzzRowTables lists rtchat's tables whose rows an event may add or remove
// (every one but the session rows, which each connection writes).
func fuzzRowTables(t testing.TB, h *harness) []string {
	t.Helper()
	var names []string
	if err := h.db.NewSelect().TableExpr("sqlite_master").Column("name").
		Where("type = 'table' AND name LIKE 'rtchat_%' AND name <> 'rtchat_sessions'").
		Scan(testCtx(t), &names); err != nil {
		t.Fatal(err)
	}
	if len(names) < 5 {
		t.Fatalf("tables %v: expected rtchat's", names)
	}
	return names
}

// fuzzRowCounts counts the rows of each table, in one query.
func fuzzRowCounts(t testing.TB, h *harness, tables []string) []int {
	t.Helper()
	parts := make([]string, len(tables))
	for i, name := range tables {
		parts[i] = "SELECT count(*) FROM " + name
	}
	var out []int
	if err := h.db.NewRaw(strings.Join(parts, " UNION ALL ")).Scan(testCtx(t), &out); err != nil || len(out) != len(tables) {
		t.Fatalf("count rows: %v (%d counts)", err, len(out))
	}
	return out
}
