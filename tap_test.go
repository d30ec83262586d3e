package rtchat_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/protocol"
)

// tap is a bare WebSocket connection that keeps every frame it receives, as
// bytes, so a test can look at all of them: the client files frames by
// type, and a frame of a type nobody asks for would go unseen.
type tap struct {
	ws  *websocket.Conn
	ids atomic.Uint64

	mu     sync.Mutex // guards frames and notify
	frames [][]byte
	notify chan struct{} // closed and replaced when a frame arrives
	done   chan struct{} // closed when the read loop ends
}

// dialTap connects user with a tap; the connection closes at the end of the
// test.
func (h *harness) dialTap(t testing.TB, user int64) *tap {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer " + strconv.FormatInt(user, 10)}})
	if err != nil {
		t.Fatalf("tap user %d: %v", user, err)
	}
	resp.Body.Close()
	tp := &tap{ws: ws, notify: make(chan struct{}), done: make(chan struct{})}
	go tp.read()
	t.Cleanup(func() {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		select {
		case <-tp.done:
		case <-time.After(time.Second):
		}
		_ = ws.Close()
		<-tp.done
	})
	tp.waitFor(t, func(f protocol.Frame) bool { return f.EventType == protocol.DispatchNotifications })
	return tp
}

func (tp *tap) read() {
	defer close(tp.done)
	for {
		_, p, err := tp.ws.ReadMessage()
		if err != nil {
			return
		}
		tp.mu.Lock()
		tp.frames = append(tp.frames, p)
		close(tp.notify)
		tp.notify = make(chan struct{})
		tp.mu.Unlock()
	}
}

// all returns every frame received so far.
func (tp *tap) all() [][]byte {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([][]byte(nil), tp.frames...)
}

// waitFor waits for a received frame that match accepts and returns it.
func (tp *tap) waitFor(t testing.TB, match func(protocol.Frame) bool) protocol.Frame {
	t.Helper()
	ctx := testCtx(t)
	seen := 0
	for {
		tp.mu.Lock()
		frames, wake := tp.frames[seen:], tp.notify
		tp.mu.Unlock()
		for _, p := range frames {
			var f protocol.Frame
			if json.Unmarshal(p, &f) == nil && match(f) {
				return f
			}
		}
		seen += len(frames)
		select {
		case <-wake:
		case <-tp.done:
			t.Fatal("tap: connection ended")
		case <-ctx.Done():
			t.Fatal("tap: no matching frame")
		}
	}
}

// request sends an event and returns the first frame that answers it: its
// reply, the caller's copy of a broadcast, or its error frame.
func (tp *tap) request(t testing.TB, event string, data any) protocol.Frame {
	t.Helper()
	id := "tap-" + strconv.FormatUint(tp.ids.Add(1), 10)
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	frame, _ := json.Marshal(protocol.Request{EventType: event, Data: raw, RequestID: id})
	_ = tp.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := tp.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatalf("tap: write: %v", err)
	}
	return tp.waitFor(t, func(f protocol.Frame) bool { return f.RequestID == id })
}
