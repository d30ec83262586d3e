package rtchat_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/broker/memory"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// The options whose effect no other test shows, one test each, over a real
// socket: each fails with the option's default.

// TestOptionWithEventMap: an event missing from the app's map is an
// unknown event (4003) and the connection stays usable for the others.
func TestOptionWithEventMap(t *testing.T) {
	events := eventmap.Default()
	events.Set(protocol.EventMessageTyping, nil)
	h := newHarness(t, dbtest.Open(t, "sqlite"), rtchat.WithEventMap(events))
	a := h.dial(t, 1)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
	pe := requestErr(t, a, protocol.EventMessageTyping, map[string]any{"room_id": room.ID, "typing": true})
	wantCode(t, pe, protocol.CodeInvalid)
	send(t, a, room.ID, "the other events still work")
}

// TestOptionWithMaxMessageSize: a 4 KB frame, far under the 64 KiB
// default, closes a connection limited to 2 KiB with 1009; a frame under
// the limit is served.
func TestOptionWithMaxMessageSize(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, "sqlite"), rtchat.WithMaxMessageSize(2<<10))
	a := h.dial(t, 1)
	ok := `{"event_type":"session.heartbeat","data":{"x":"` + strings.Repeat("x", 1500) + `"}}`
	if err := a.SendRaw(testCtx(t), websocket.TextMessage, []byte(ok)); err != nil {
		t.Fatal(err)
	}
	next(t, a, protocol.DispatchHeartbeat)
	big := `{"event_type":"session.heartbeat","data":{"x":"` + strings.Repeat("x", 4<<10) + `"}}`
	if err := a.SendRaw(testCtx(t), websocket.TextMessage, []byte(big)); err != nil {
		t.Logf("writing the oversize frame: %v", err) // the close code is the check
	}
	select {
	case <-a.Closed():
	case <-testCtx(t).Done():
		t.Fatal("connection not closed")
	}
	if code := a.CloseCode(); code != protocol.CloseMessageTooBig {
		t.Fatalf("close code %d (%v), want 1009", code, a.CloseError())
	}
}

// TestOptionWithEventTimeout: an event whose user lookup hangs is answered
// 4007 once the event timeout passes, not after the default 30s, and the
// connection serves the next event.
func TestOptionWithEventTimeout(t *testing.T) {
	hanging := func(ctx context.Context, ids []int64) (map[int64]rtchat.User, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	h := newHarness(t, dbtest.Open(t, "sqlite"), rtchat.WithUserLookup(hanging), rtchat.WithEventTimeout(200*time.Millisecond))
	a := h.dial(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.Request(ctx, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
	pe, ok := protocol.AsError(err)
	if !ok {
		t.Fatalf("room.create: %v, want an error frame within 5s", err)
	}
	wantCode(t, pe, protocol.CodeUnavailable)
	request(t, a, protocol.EventSessionHeartbeat, nil)
}

// TestOptionWithWriteTimeout: with a send buffer that never fills, a
// connection that stops reading is closed by the write timeout: within
// moments of its socket filling with a short one, where the default 10s
// keeps it open.
func TestOptionWithWriteTimeout(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	chat, err := rtchat.New(db, rtchat.WithHTTPAuth(bearerUser), rtchat.WithSendBuffer(100_000),
		rtchat.WithMaxContentLength(30_000), rtchat.WithWriteTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Migrate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	// Small socket buffers on both sides (a set size also stops the
	// kernel's autotuning), so that a few frames fill the way to a client
	// that does not read.
	srv := httptest.NewUnstartedServer(chat)
	srv.Listener = smallBufListener{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = chat.Close(ctx)
		srv.Close()
	})
	h := &harness{chat: chat, srv: srv, db: db, url: "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()}
	a := h.dial(t, 1)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{3}})

	// User 3 connects and never reads again.
	dialer := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			err = conn.(*net.TCPConn).SetReadBuffer(16 << 10)
		}
		return conn, err
	}}
	ws, resp, err := dialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer 3"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	waitFor(t, "user 3 registered", func() bool { return chat.Stats().Conns == 2 })

	// 500 KB: many times what the two sockets hold.
	big := strings.Repeat("x", 25_000)
	for i := range 20 {
		if _, err := a.SendMessage(testCtx(t), room.ID, big); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for chat.Stats().Conns == 2 {
		if time.Now().After(deadline) {
			t.Fatal("the silent connection was still open 3s after its socket filled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// smallBufListener gives every accepted connection a 16 KB send buffer.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		err = conn.(*net.TCPConn).SetWriteBuffer(16 << 10)
	}
	return conn, err
}

// lossyBroker loses the first seq-carrying room message on its way to the
// node.
type lossyBroker struct {
	broker.Broker
	lost atomic.Bool
}

func (b *lossyBroker) Subscribe(ctx context.Context, h broker.Handler) error {
	return b.Broker.Subscribe(ctx, func(m broker.Message) {
		if m.Kind == broker.KindRoom && m.Seq == 1 && b.lost.CompareAndSwap(false, true) {
			return
		}
		h(m)
	})
}

// TestOptionWithReorderWindow: the node holds a message that shows a gap
// for the whole reorder window before reading the lost one from the
// database (the default would fill it after 50ms), then delivers both in
// order.
func TestOptionWithReorderWindow(t *testing.T) {
	const window = 600 * time.Millisecond
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		h := newHarness(t, db, rtchat.WithBroker(&lossyBroker{Broker: memory.New()}), rtchat.WithReorderWindow(window))
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)
		if _, err := a.Send(testCtx(t), protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "lost"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the first message stored", func() bool { return h.count(t, "rtchat_messages", "room_id = ?", room.ID) == 1 })

		start := time.Now()
		if _, err := b.SendMessage(testCtx(t), room.ID, "shows the gap"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < window {
			t.Fatalf("the message after the gap was delivered after %v, within the %v window", d, window)
		}
		for want := int64(1); want <= 2; want++ {
			if m := decode[wireMessage](t, next(t, a, protocol.DispatchMessage)); m.Seq != want {
				t.Fatalf("got seq %d, want %d", m.Seq, want)
			}
		}
	})
}

// syncBuffer is a log sink the test reads while the chat writes to it.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOptionWithLogger: an internal error (4006 to the client, whose
// detail hides the cause) is logged with its cause to the app's logger.
func TestOptionWithLogger(t *testing.T) {
	var logs syncBuffer
	failing := func(context.Context, []int64) (map[int64]rtchat.User, error) {
		return nil, errors.New("user directory unreachable")
	}
	h := newHarness(t, dbtest.Open(t, "sqlite"), rtchat.WithUserLookup(failing), rtchat.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	a := h.dial(t, 1)
	pe := requestErr(t, a, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
	wantCode(t, pe, protocol.CodeInternal)
	if got := logs.String(); !strings.Contains(got, "event failed") || !strings.Contains(got, "user directory unreachable") {
		t.Fatalf("the app's logger got %q, want the event's failure and its cause", got)
	}
}
