package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/protocol"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const goodToken = "good"

// fakeServer answers the client the way the tests need:
//   - any event X: {"eventType": "X.dispatch", "data": <data>, "request_id": id}
//   - "boom": an error frame with code 4003
//   - "push": two push.dispatch frames without request_id
//   - "close": a close frame with code 4008, no answer
//   - "hang": nothing
//   - "headers": headers.dispatch with the upgrade request's Origin
//   - a binary or non-JSON frame: a 4003 error frame without request_id
//
// The upgrade needs "Authorization: Bearer good", else HTTP 401.
type fakeServer struct {
	srv *httptest.Server
	wg  sync.WaitGroup // counts running handlers

	mu    sync.Mutex // guards conns
	conns map[*websocket.Conn]struct{}
}

func newFakeServer(t testing.TB) *fakeServer {
	t.Helper()
	fs := &fakeServer{conns: make(map[*websocket.Conn]struct{})}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.close)
	return fs
}

func (fs *fakeServer) url() string {
	return "ws" + strings.TrimPrefix(fs.srv.URL, "http") + "/messaging/"
}

// close stops the server and waits for every handler, so goleak sees none.
func (fs *fakeServer) close() {
	fs.srv.Close()
	fs.mu.Lock()
	for c := range fs.conns {
		_ = c.Close()
	}
	fs.mu.Unlock()
	fs.wg.Wait()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (fs *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+goodToken {
		http.Error(w, "no user", http.StatusUnauthorized)
		return
	}
	fs.wg.Add(1)
	defer fs.wg.Done()
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	fs.mu.Lock()
	fs.conns[conn] = struct{}{}
	fs.mu.Unlock()
	defer func() {
		fs.mu.Lock()
		delete(fs.conns, conn)
		fs.mu.Unlock()
		_ = conn.Close()
	}()

	for {
		mt, p, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var req protocol.Request
		if mt != websocket.TextMessage || json.Unmarshal(p, &req) != nil {
			out, _ := protocol.EncodeError(protocol.NewError(protocol.CodeInvalid, protocol.DetailMalformedFrame), "", "")
			_ = conn.WriteMessage(websocket.TextMessage, out)
			continue
		}
		var frames [][]byte
		switch req.EventType {
		case "boom":
			out, _ := protocol.EncodeError(protocol.NewError(protocol.CodeInvalid, "x"), req.EventType, req.RequestID)
			frames = append(frames, out)
		case "push":
			for n := 1; n <= 2; n++ {
				out, _ := protocol.EncodeEvent("push.dispatch", map[string]int{"n": n}, "")
				frames = append(frames, out)
			}
		case "close":
			msg := websocket.FormatCloseMessage(protocol.CodeResync, "fell behind")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		case "hang":
		case "headers":
			out, _ := protocol.EncodeEvent("headers.dispatch", map[string]string{"origin": r.Header.Get("Origin")}, req.RequestID)
			frames = append(frames, out)
		default:
			out, _ := protocol.EncodeEvent(req.EventType+".dispatch", req.Data, req.RequestID)
			frames = append(frames, out)
		}
		for _, f := range frames {
			if err := conn.WriteMessage(websocket.TextMessage, f); err != nil {
				return
			}
		}
	}
}

// dial connects to fs with the good token and closes the client at cleanup.
func dial(t testing.TB, fs *fakeServer, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), fs.url(), append([]Option{WithToken(goodToken)}, opts...)...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRequestReturnsTheReplyAndQueuesIt(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	f, err := c.Request(ctx, "echo", map[string]int{"a": 1})
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if f.EventType != "echo.dispatch" || f.RequestID == "" {
		t.Fatalf("frame = %+v, want echo.dispatch with a request_id", f)
	}
	got, err := Decode[map[string]int](f)
	if err != nil || got["a"] != 1 {
		t.Fatalf("Decode = %v, %v; want a=1", got, err)
	}
	if n := c.Pending("echo.dispatch"); n != 1 {
		t.Fatalf("Pending = %d, want 1: a frame that answered Request stays in the inbox", n)
	}
	queued, err := c.Next(ctx, "echo.dispatch")
	if err != nil || queued.RequestID != f.RequestID {
		t.Fatalf("Next = %+v, %v; want the same frame", queued, err)
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)
	a, err := c.Send(ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Send(ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a == "" || len(a) > protocol.MaxRequestIDLen {
		t.Fatalf("request ids %q, %q: want distinct, non-empty, at most %d chars", a, b, protocol.MaxRequestIDLen)
	}
	for _, id := range []string{a, b} {
		f, err := c.Next(ctx, "echo.dispatch")
		if err != nil || f.RequestID != id {
			t.Fatalf("Next = %+v, %v; want request_id %q", f, err, id)
		}
	}
}

func TestErrorFrameBecomesProtocolError(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	f, err := c.Request(ctx, "boom", nil)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid || pe.Detail != "x" {
		t.Fatalf("err = %v, want *protocol.Error code 4003 detail x", err)
	}
	if f.Error != pe || f.ErrorEvent != "boom" {
		t.Fatalf("frame = %+v, want the error frame of boom", f)
	}
	if n := c.Pending(ErrorKey); n != 1 {
		t.Fatalf("Pending(error) = %d, want 1", n)
	}
	ef, err := c.NextError(ctx)
	if err != nil || ef.Error == nil || ef.Error.Code != protocol.CodeInvalid {
		t.Fatalf("NextError = %+v, %v", ef, err)
	}
}

func TestNextReturnsFramesOldestFirst(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	if _, err := c.Send(ctx, "push", nil); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		f, err := c.Next(ctx, "push.dispatch")
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if f.RequestID != "" {
			t.Fatalf("push frame carries request_id %q", f.RequestID)
		}
		got, err := Decode[struct{ N int }](f)
		if err != nil || got.N != want {
			t.Fatalf("frame %d: n = %d, %v", want, got.N, err)
		}
	}
}

func TestPendingAfterBarrierAndDrain(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	if n := c.Pending("push.dispatch"); n != 0 {
		t.Fatalf("Pending before = %d", n)
	}
	if _, err := c.Send(ctx, "push", nil); err != nil {
		t.Fatal(err)
	}
	// The server answers in order, so once echo is answered both pushes are in.
	if _, err := c.Request(ctx, "echo", nil); err != nil {
		t.Fatal(err)
	}
	if n := c.Pending("push.dispatch"); n != 2 {
		t.Fatalf("Pending after barrier = %d, want 2", n)
	}
	if n := c.Pending("other.dispatch"); n != 0 {
		t.Fatalf("Pending(other) = %d, want 0", n)
	}
	c.Drain("push.dispatch")
	if n := c.Pending("push.dispatch"); n != 0 {
		t.Fatalf("Pending after Drain = %d, want 0", n)
	}
}

func TestServerCloseCodeIsSurfaced(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	if c.CloseError() != nil || c.CloseCode() != 0 {
		t.Fatalf("open client: CloseError %v, CloseCode %d", c.CloseError(), c.CloseCode())
	}
	if _, err := c.Send(ctx, "close", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Closed():
	case <-ctx.Done():
		t.Fatal("connection not closed")
	}
	var ce *websocket.CloseError
	if !errors.As(c.CloseError(), &ce) || ce.Code != protocol.CodeResync {
		t.Fatalf("CloseError = %v, want *websocket.CloseError 4008", c.CloseError())
	}
	if c.CloseCode() != protocol.CodeResync {
		t.Fatalf("CloseCode = %d, want 4008", c.CloseCode())
	}
	if _, err := c.Send(ctx, "echo", nil); !errors.As(err, &ce) {
		t.Fatalf("Send after close: %v, want the close error", err)
	}
}

func TestQueuedFramesOutliveTheConnection(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	if _, err := c.Send(ctx, "push", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, "close", nil); err != nil {
		t.Fatal(err)
	}
	<-c.Closed()
	for i := 0; i < 2; i++ {
		if _, err := c.Next(ctx, "push.dispatch"); err != nil {
			t.Fatalf("Next %d after close: %v", i, err)
		}
	}
	_, err := c.Next(ctx, "push.dispatch")
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != protocol.CodeResync {
		t.Fatalf("Next on an empty queue after close = %v, want the 4008 close error", err)
	}
}

func TestRequestReleasedWhenServerCloses(t *testing.T) {
	c := dial(t, newFakeServer(t))

	_, err := c.Request(testCtx(t), "close", nil)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != protocol.CodeResync {
		t.Fatalf("Request = %v, want the 4008 close error", err)
	}
}

func TestWaitersReleasedWhenClientCloses(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	errs := make(chan error, 2)
	go func() {
		_, err := c.Request(ctx, "hang", nil)
		errs <- err
	}()
	go func() {
		_, err := c.Next(ctx, "never.dispatch")
		errs <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("waiter returned %v, want a close error", err)
			}
		case <-ctx.Done():
			t.Fatal("waiter not released by Close")
		}
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestContextEndsWaits(t *testing.T) {
	c := dial(t, newFakeServer(t))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Request(ctx, "hang", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Request = %v, want DeadlineExceeded", err)
	}
	c.mu.Lock()
	n := len(c.waiters)
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left after cancel", n)
	}

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.Next(canceled, "never.dispatch"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next = %v, want Canceled", err)
	}
	if _, err := c.Send(canceled, "echo", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want Canceled", err)
	}
	// The connection still works.
	if _, err := c.Request(testCtx(t), "echo", nil); err != nil {
		t.Fatalf("Request after cancel: %v", err)
	}
}

func TestHandshakeFailureGivesStatus(t *testing.T) {
	fs := newFakeServer(t)
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"no token", nil},
		{"wrong token", []Option{WithToken("bad")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Dial(testCtx(t), fs.url(), tc.opts...)
			if c != nil {
				_ = c.Close()
			}
			var he *HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
				t.Fatalf("Dial = %v, want *HandshakeError 401", err)
			}
			if !strings.Contains(he.Body, "no user") {
				t.Fatalf("Body = %q", he.Body)
			}
			if !errors.Is(err, websocket.ErrBadHandshake) {
				t.Fatalf("err does not wrap ErrBadHandshake: %v", err)
			}
		})
	}
}

func TestWithHeaderAndDialer(t *testing.T) {
	fs := newFakeServer(t)
	d := *websocket.DefaultDialer
	c := dial(t, fs, WithHeader(http.Header{"Origin": {"http://example.test"}}), WithDialer(&d))

	f, err := c.Request(testCtx(t), "headers", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode[map[string]string](f)
	if err != nil || got["origin"] != "http://example.test" {
		t.Fatalf("server saw %v, %v", got, err)
	}
}

func TestSendRawMalformedFrames(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	for _, tc := range []struct {
		name string
		mt   int
		p    []byte
	}{
		{"broken json", websocket.TextMessage, []byte("{not json")},
		{"array", websocket.TextMessage, []byte(`[1,2]`)},
		{"binary", websocket.BinaryMessage, []byte{0, 1, 2}},
	} {
		if err := c.SendRaw(ctx, tc.mt, tc.p); err != nil {
			t.Fatalf("%s: SendRaw: %v", tc.name, err)
		}
		f, err := c.NextError(ctx)
		if err != nil || f.Error.Code != protocol.CodeInvalid || f.RequestID != "" {
			t.Fatalf("%s: NextError = %+v, %v", tc.name, f, err)
		}
	}
}

func TestSendMessageSendsClientMsgID(t *testing.T) {
	c := dial(t, newFakeServer(t))

	f, err := c.SendMessage(testCtx(t), "room-1", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if f.EventType != protocol.EventMessageSend+".dispatch" {
		t.Fatalf("eventType = %q", f.EventType)
	}
	got, err := Decode[struct {
		RoomID      string `json:"room_id"`
		Content     string `json:"content"`
		ClientMsgID string `json:"client_msg_id"`
	}](f)
	if err != nil || got.RoomID != "room-1" || got.Content != "hello" {
		t.Fatalf("sent %+v, %v", got, err)
	}
	if _, err := uuid.Parse(got.ClientMsgID); err != nil {
		t.Fatalf("client_msg_id %q: %v", got.ClientMsgID, err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	c := dial(t, newFakeServer(t))
	ctx := testCtx(t)

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.Request(ctx, "echo", map[string]int{"i": i})
			if err != nil {
				errs <- err
				return
			}
			got, err := Decode[map[string]int](f)
			if err != nil || got["i"] != i {
				errs <- fmt.Errorf("request %d got %v, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := c.Pending("echo.dispatch"); n != 50 {
		t.Fatalf("Pending = %d, want 50", n)
	}
}

func TestDecodeRejectsWrongShape(t *testing.T) {
	_, err := Decode[int](protocol.Frame{EventType: "x.dispatch", Data: json.RawMessage(`"s"`)})
	if err == nil {
		t.Fatal("Decode of a string into int succeeded")
	}
}

func TestCloseLeaksNoGoroutines(t *testing.T) {
	fs := newFakeServer(t)
	ctx := testCtx(t)
	c, err := Dial(ctx, fs.url(), WithToken(goodToken))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Request(ctx, "echo", nil); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = c.Request(ctx, "hang", nil) }()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Closed():
	default:
		t.Fatal("Closed not closed after Close")
	}
	fs.close()
	goleak.VerifyNone(t)
}
