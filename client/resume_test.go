package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/uptrace/bun"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// node is a real rtchat server that a test can stop and start again on the
// same address and database, as a deploy restarts a process.
type node struct {
	t    testing.TB
	db   *bun.DB
	addr string
	opts []rtchat.Option

	// refuse, while set, answers the upgrades of user 1 with HTTP 503,
	// so a test decides when the session may come back.
	refuse atomic.Bool

	chat *rtchat.Chat
	srv  *httptest.Server
}

func startNode(t testing.TB, db *bun.DB, opts ...rtchat.Option) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, db: db, addr: ln.Addr().String(), opts: opts}
	n.start(ln)
	t.Cleanup(n.stop)
	return n
}

func (n *node) url() string { return "ws://" + n.addr + "/messaging/" }

func bearerUser(r *http.Request) (int64, error) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strconv.ParseInt(tok, 10, 64)
}

// start serves a new rtchat.Chat on ln, or on a new listener at the same
// address when ln is nil.
func (n *node) start(ln net.Listener) {
	n.t.Helper()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", n.addr); err != nil {
			n.t.Fatalf("listen again on %s: %v", n.addr, err)
		}
	}
	chat, err := rtchat.New(n.db, append([]rtchat.Option{rtchat.WithHTTPAuth(bearerUser)}, n.opts...)...)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		n.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.refuse.Load() && r.Header.Get("Authorization") == "Bearer 1" {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		chat.ServeHTTP(w, r)
	}))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	n.chat, n.srv = chat, srv
}

// stop closes every connection with 1001 and the listener; it does nothing
// when the node is stopped already.
func (n *node) stop() {
	if n.chat == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.chat.Close(ctx); err != nil {
		n.t.Errorf("chat.Close: %v", err)
	}
	n.srv.Close()
	n.chat, n.srv = nil, nil
}

func (n *node) restart() {
	n.stop()
	n.start(nil)
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialUser connects user with the plain client.
func dialUser(t testing.TB, n *node, user int64) *client.Client {
	t.Helper()
	c, err := client.Dial(ctxFor(t), n.url(), client.WithToken(strconv.FormatInt(user, 10)))
	if err != nil {
		t.Fatalf("dial user %d: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// resume opens a session for user 1 with short backoffs.
func resume(t testing.TB, n *node, opts ...client.SessionOption) *client.Session {
	t.Helper()
	opts = append([]client.SessionOption{
		client.WithDialOptions(client.WithToken("1")),
		client.WithBackoff(5*time.Millisecond, 100*time.Millisecond),
	}, opts...)
	s, err := client.Resume(ctxFor(t), n.url(), opts...)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// oneToOne creates the 1:1 room of users 1 and 2 as c (user 2).
func oneToOne(t testing.TB, c *client.Client) string {
	t.Helper()
	f, err := c.Request(ctxFor(t), protocol.EventRoomCreate, map[string]any{"type": "OneToOneChat", "participants": []int64{1}})
	if err != nil {
		t.Fatalf("room.create: %v", err)
	}
	room, err := client.Decode[struct{ ID string }](f)
	if err != nil {
		t.Fatal(err)
	}
	return room.ID
}

func sendAs(t testing.TB, c *client.Client, room, content string) {
	t.Helper()
	if _, err := c.SendMessage(ctxFor(t), room, content); err != nil {
		t.Fatalf("send %q: %v", content, err)
	}
}

// nextMessage waits for the session's next message.
func nextMessage(t testing.TB, s *client.Session) client.Message {
	t.Helper()
	select {
	case m, ok := <-s.Messages():
		if !ok {
			t.Fatalf("Messages closed: %v", s.Err())
		}
		return m
	case <-ctxFor(t).Done():
		t.Fatal("no message")
	}
	return client.Message{}
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx := ctxFor(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestSessionDeliversMissedMessagesAfterRestart(t *testing.T) {
	n := startNode(t, dbtest.Open(t, "sqlite"))
	peer := dialUser(t, n, 2)
	room := oneToOne(t, peer)
	// The room is caught up from its start, whether the session's first
	// room.list runs before or after m1.
	s := resume(t, n, client.WithResumeFrom(map[string]int64{room: 0}))
	sendAs(t, peer, room, "m1")

	n.refuse.Store(true) // user 1 stays away until the peer has sent
	n.restart()
	peer = dialUser(t, n, 2)
	for i := 2; i <= 6; i++ {
		sendAs(t, peer, room, fmt.Sprintf("m%d", i))
	}
	n.refuse.Store(false)
	sendAs(t, peer, room, "m7")

	first := nextMessage(t, s)
	if first.Seq != 1 || first.Content != "m1" || first.RoomID != room || first.SenderID != 2 {
		t.Fatalf("first message %+v, want m1 with seq 1 from user 2", first)
	}
	for i := 2; i <= 7; i++ {
		m := nextMessage(t, s)
		if m.Seq != int64(i) || m.Content != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d: got seq %d %q", i, m.Seq, m.Content)
		}
	}
	// Nothing twice: the next message is the next one sent.
	sendAs(t, peer, room, "m8")
	if m := nextMessage(t, s); m.Seq != 8 || m.Content != "m8" {
		t.Fatalf("after m7: got seq %d %q, want m8", m.Seq, m.Content)
	}
}

// A room created while the session is away is delivered from its first
// message, over several room.messages pages.
func TestSessionCatchesUpNewRoomPageByPage(t *testing.T) {
	n := startNode(t, dbtest.Open(t, "sqlite"))
	s := resume(t, n)
	waitFor(t, "the session to connect", s.Connected)
	n.refuse.Store(true)
	n.restart()
	peer := dialUser(t, n, 2)
	room := oneToOne(t, peer)
	const total = 450 // three pages of at most 200
	for i := 1; i <= total; i++ {
		sendAs(t, peer, room, strconv.Itoa(i))
	}
	n.refuse.Store(false)
	for i := 1; i <= total; i++ {
		m := nextMessage(t, s)
		if m.RoomID != room || m.Seq != int64(i) || m.Content != strconv.Itoa(i) {
			t.Fatalf("message %d: got room %s seq %d %q", i, m.RoomID, m.Seq, m.Content)
		}
	}
	sendAs(t, peer, room, "live")
	if m := nextMessage(t, s); m.Seq != total+1 || m.Content != "live" {
		t.Fatalf("after the catch-up: got seq %d %q", m.Seq, m.Content)
	}
}

func TestSessionRetriesSendInFlightAcrossRestart(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	// On the first node, user 1's first message.send is held until the
	// test has dropped the connection; then it is stored, and its answer
	// goes nowhere.
	inFlight := make(chan struct{})
	release := make(chan struct{})
	var held atomic.Bool
	hooks := rtchat.Hooks{AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
		if e.Name == protocol.EventMessageSend && e.Conn.UserID == 1 && held.CompareAndSwap(false, true) {
			close(inFlight)
			<-release
			return next(context.WithoutCancel(ctx))
		}
		return next(ctx)
	}}
	n := startNode(t, db, rtchat.WithHooks(hooks))
	room := oneToOne(t, dialUser(t, n, 2))
	s := resume(t, n)

	type result struct {
		m   client.Message
		err error
	}
	sent := make(chan result, 1)
	go func() {
		m, err := s.SendMessage(context.Background(), room, "through the restart")
		sent <- result{m, err}
	}()
	<-inFlight
	stopped := make(chan struct{})
	n.refuse.Store(true)
	go func() {
		n.stop()
		close(stopped)
	}()
	waitFor(t, "the session to see the drop", func() bool { return !s.Connected() })
	close(release)
	<-stopped
	n.start(nil)
	n.refuse.Store(false)

	r := <-sent
	if r.err != nil {
		t.Fatalf("SendMessage: %v", r.err)
	}
	if r.m.Content != "through the restart" || r.m.Seq != 1 || r.m.ClientMsgID == "" {
		t.Fatalf("answer %+v", r.m)
	}
	var rows int
	if err := db.NewSelect().Table("rtchat_messages").ColumnExpr("count(*)").Where("client_msg_id = ?", r.m.ClientMsgID).Scan(ctxFor(t), &rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d rows for the client_msg_id, want 1", rows)
	}
	// The session delivers its own message once too.
	if m := nextMessage(t, s); m.ID != r.m.ID {
		t.Fatalf("delivered %+v, want the sent message", m)
	}
	if _, err := s.SendMessage(ctxFor(t), room, "after"); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, s); m.Seq != 2 || m.Content != "after" {
		t.Fatalf("after: got seq %d %q", m.Seq, m.Content)
	}
}

func TestSessionWithoutReconnectEndsOnFirstDrop(t *testing.T) {
	n := startNode(t, dbtest.Open(t, "sqlite"))
	room := oneToOne(t, dialUser(t, n, 2))
	s := resume(t, n, client.WithoutReconnect())
	waitFor(t, "the session to connect", s.Connected)
	n.stop()

	<-s.Done()
	var ce *websocket.CloseError
	if err := s.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("Err() = %v, want a close with 1001", err)
	}
	if _, ok := <-s.Messages(); ok {
		t.Fatal("Messages still open")
	}
	if _, err := s.SendMessage(ctxFor(t), room, "late"); err == nil || !errors.As(err, &ce) {
		t.Fatalf("SendMessage after the end: %v, want the close error", err)
	}
	if err := s.Close(); err != nil || !errors.As(s.Err(), &ce) {
		t.Fatalf("Close: %v, Err after Close: %v", err, s.Err())
	}
}

func TestSessionCloseEndsPendingCalls(t *testing.T) {
	n := startNode(t, dbtest.Open(t, "sqlite"))
	s := resume(t, n)
	waitFor(t, "the session to connect", s.Connected)
	n.refuse.Store(true)
	n.stop() // the session now redials in vain
	waitFor(t, "the session to see the drop", func() bool { return !s.Connected() })
	done := make(chan error, 1)
	go func() {
		_, err := s.SendMessage(context.Background(), "00000000-0000-0000-0000-000000000000", "never")
		done <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, client.ErrSessionClosed) {
		t.Fatalf("pending SendMessage: %v, want ErrSessionClosed", err)
	}
	if !errors.Is(s.Err(), client.ErrSessionClosed) {
		t.Fatalf("Err() = %v", s.Err())
	}
}

func TestResumeRejectsBadBackoff(t *testing.T) {
	if _, err := client.Resume(context.Background(), "ws://127.0.0.1:1/", client.WithBackoff(time.Second, time.Millisecond)); err == nil {
		t.Fatal("want an error for min > max")
	}
}
