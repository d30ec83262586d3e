package jsclient_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/browsertest"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/rtchat/rtchat/jsclient"
)

// testTimeout bounds each browser test, the browser's start included.
const testTimeout = 40 * time.Second

// server is a real rtchat server on SQLite that a test can stop and start
// again on the same address and database, as a restarted node is.
type server struct {
	t    *testing.T
	db   *bun.DB
	addr string // 127.0.0.1:port, the same across restarts
	opts []rtchat.Option

	chat    *rtchat.Chat // nil while stopped
	srv     *http.Server
	served  chan struct{} // closed when srv's Serve has returned
	upgrade atomic.Int64  // requests to the chat path, over all starts
}

// newServer starts a server for the test on a fresh SQLite file, with the
// test auth (the token "u<id>" is user id) and opts; it is stopped at the
// end of the test.
func newServer(t *testing.T, opts ...rtchat.Option) *server {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, db: db, addr: ln.Addr().String(), opts: opts}
	s.startOn(ln)
	t.Cleanup(s.stop)
	return s
}

// tokenAuth authenticates "?token=u<id>" (what rtchat.js sends) or
// "Authorization: Bearer u<id>" (the Go client's WithToken).
func tokenAuth(r *http.Request) (int64, error) {
	tok := r.URL.Query().Get("token")
	if tok == "" {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(tok, "u"), 10, 64)
	if err != nil || !strings.HasPrefix(tok, "u") || id <= 0 {
		return 0, errors.New("unknown token")
	}
	return id, nil
}

// newChat returns an rtchat.Chat of the server's database and options
// that no HTTP server serves: a second node without a shared broker.
func (s *server) newChat() *rtchat.Chat {
	s.t.Helper()
	chat, err := rtchat.New(s.db, append([]rtchat.Option{rtchat.WithHTTPAuth(tokenAuth)}, s.opts...)...)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := chat.Migrate(testCtx(s.t)); err != nil {
		s.t.Fatal(err)
	}
	return chat
}

// start starts the server again on its address.
func (s *server) start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to be free
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.startOn(ln)
}

func (s *server) startOn(ln net.Listener) {
	s.t.Helper()
	s.chat = s.newChat()
	page, err := os.ReadFile(filepath.Join("testdata", "page.html"))
	if err != nil {
		s.t.Fatal(err)
	}
	mux := http.NewServeMux()
	chat := s.chat
	mux.Handle(chat.Path(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.upgrade.Add(1)
		chat.ServeHTTP(w, r)
	}))
	mux.Handle("/static/", jsclient.Handler())
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.served = make(chan struct{})
	go func(srv *http.Server, served chan struct{}) {
		defer close(served)
		_ = srv.Serve(ln)
	}(s.srv, s.served)
}

// stop closes every connection with 1001 (chat.Close) and the listener.
// Stopping a stopped server does nothing.
func (s *server) stop() {
	if s.chat == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.chat.Close(ctx); err != nil {
		s.t.Errorf("chat.Close: %v", err)
	}
	_ = s.srv.Close()
	<-s.served
	s.chat = nil
}

// createGroup creates a group of creator and members from Go.
func (s *server) createGroup(creator int64, members ...int64) string {
	s.t.Helper()
	room, err := s.chat.CreateRoom(testCtx(s.t), creator, rtchat.RoomParams{Type: "GroupChat", Name: "g", Participants: members})
	if err != nil {
		s.t.Fatal(err)
	}
	return room.ID
}

// send sends a message from Go as user on chat (the server's when nil).
func (s *server) send(chat *rtchat.Chat, user int64, room, content string) rtchat.SentMessage {
	s.t.Helper()
	if chat == nil {
		chat = s.chat
	}
	m, err := chat.SendMessage(testCtx(s.t), rtchat.MessageParams{RoomID: room, UserID: user, Content: content})
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

// count counts the room's stored messages, those with clientMsgID when it
// is not "".
func (s *server) count(room, clientMsgID string) int {
	s.t.Helper()
	q := s.db.NewSelect().Table("rtchat_messages").Where("room_id = ?", room)
	if clientMsgID != "" {
		q = q.Where("client_msg_id = ?", clientMsgID)
	}
	n, err := q.Count(testCtx(s.t))
	if err != nil {
		s.t.Fatal(err)
	}
	return int(n)
}

// testCtx is a context for one call of a test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startBrowser starts Chromium for the test, bounded by testTimeout.
func startBrowser(t *testing.T) *browsertest.Browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return browsertest.Start(t, ctx)
}

// openPage opens the test page of host (host:port) as user and connects a
// Chat with the options (a JS object literal; the token is added).
func openPage(t *testing.T, b *browsertest.Browser, host string, user int64, options string) *browsertest.Page {
	t.Helper()
	p := loadPage(t, b, host, "u"+strconv.FormatInt(user, 10))
	var state string
	p.Eval("connect", `start({token: "u`+strconv.FormatInt(user, 10)+`", ...`+options+`})`, &state)
	if state != "online" {
		t.Fatalf("state after connect() = %q, want online", state)
	}
	return p
}

// loadPage opens the test page of host in a new tab and waits for the
// module to load.
func loadPage(t *testing.T, b *browsertest.Browser, host, name string) *browsertest.Page {
	t.Helper()
	p := b.Page(t, name)
	p.SetDescriber(`({status: document.getElementById("status").textContent, state: window.chat && chat.state, rec: window.rec})`)
	p.Do("open the test page", chromedp.Navigate("http://"+host+"/"), chromedp.WaitVisible(`#status`))
	p.Wait("the module is loaded", `() => document.getElementById("status").textContent === "ready"`)
	return p
}

// message is what the test page records of each message onMessage hands over.
type message struct {
	Room        string `json:"room"`
	Seq         int64  `json:"seq"`
	Content     string `json:"content"`
	ClientMsgID string `json:"client_msg_id"`
}

// stateChange is what the test page records of each state change.
type stateChange struct {
	State   string `json:"state"`
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Attempt int    `json:"attempt"`
	Delay   int    `json:"delay"`
}

// settled is a promise's outcome, as the test page's settle gives it.
type settled[T any] struct {
	OK           bool   `json:"ok"`
	Value        T      `json:"value"`
	Name         string `json:"name"`
	Message      string `json:"message"`
	Code         int    `json:"code"`
	Reason       string `json:"reason"`
	Detail       any    `json:"detail"`
	EventType    string `json:"eventType"`
	RequestID    string `json:"requestId"`
	IsProtocol   bool   `json:"isProtocol"`
	IsConnection bool   `json:"isConnection"`
}

// frame is a frame a request resolved with.
type frame struct {
	EventType string         `json:"eventType"`
	RequestID string         `json:"request_id"`
	Data      map[string]any `json:"data"`
}

// seqs returns the seqs of the room's messages in the order they came.
func seqs(ms []message, room string) []int64 {
	var out []int64
	for _, m := range ms {
		if m.Room == room {
			out = append(out, m.Seq)
		}
	}
	return out
}

// upTo returns 1..n.
func upTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}
