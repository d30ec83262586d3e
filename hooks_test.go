package rtchat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
)

// eachDBWith is eachDB for tests whose options record what they see: mk
// makes the recorder and the options anew for each variant, which run in
// parallel.
func eachDBWith[T any](t *testing.T, mk func() (T, []rtchat.Option), fn func(t *testing.T, h *harness, rec T)) {
	t.Helper()
	t.Parallel()
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			rec, opts := mk()
			fn(t, newHarness(t, dbtest.Open(t, kind), opts...), rec)
		})
	}
	t.Run("two-nodes", func(t *testing.T) {
		t.Parallel()
		redistest.URL(t)
		rec, opts := mk()
		fn(t, newTwoNodes(t, dbtest.Open(t, "postgres"), opts...), rec)
	})
}

// dialClosed connects user, checks that the server closes the connection
// before any frame, and returns the close code and reason.
func dialClosed(t testing.TB, h *harness, user int64) (int, string) {
	t.Helper()
	ctx := testCtx(t)
	c, err := client.Dial(ctx, h.node(user).url, client.WithToken(strconv.FormatInt(user, 10)))
	if err != nil {
		t.Fatalf("dial user %d: %v", user, err)
	}
	defer c.Close()
	if f, err := c.Next(ctx, protocol.DispatchNotifications); err == nil {
		t.Fatalf("user %d: a refused connection got %s", user, f.EventType)
	}
	var ce *websocket.CloseError
	if !errors.As(c.CloseError(), &ce) {
		t.Fatalf("user %d: connection ended with %v, want a close frame", user, c.CloseError())
	}
	return ce.Code, ce.Text
}

// wantNothingOf checks that user left nothing behind on the chat seen by
// the member a (who shares a room with user, and had no presence frame
// queued before user connected): no session row, offline for a, never
// announced, not in the fan-out of any node.
func wantNothingOf(t testing.TB, h *harness, a *client.Client, user int64) {
	t.Helper()
	if n := h.count(t, "rtchat_sessions", "user_id = ?", user); n != 0 {
		t.Errorf("user %d has %d session rows, want none", user, n)
	}
	p := decode[wirePresence](t, request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{user}}))
	if len(p.Users) != 1 || p.Users[0].Online {
		t.Errorf("presence of user %d = %+v, want offline", user, p)
	}
	next(t, a, protocol.DispatchPresence) // the answer, or an announcement of the user before it
	users := 0
	for _, n := range []*harness{h, h.peer} {
		if n != nil {
			users += n.chat.Stats().Users
		}
	}
	if users != 1 {
		t.Errorf("%d users in the fan-out, want the member's only", users)
	}
	barrier(t, a)
	if n := a.Pending(protocol.DispatchPresence); n != 0 {
		t.Errorf("user %d was announced to the room (%d presence frames)", user, n)
	}
}

var errBanned = errors.New("banned user")

// TestOnConnectRefuses: an OnConnect error closes the connection with the
// app's code (the error handler's mapping, else a wrapped *Error's code,
// else 4002) and leaves nothing behind; OnDisconnect does not run for it.
func TestOnConnectRefuses(t *testing.T) {
	type rec struct {
		mu          sync.Mutex
		disconnects map[int64]int
	}
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"a plain error is 4002", errors.New("no"), protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
		{"a wrapped Error gives its code", fmt.Errorf("refused: %w", &rtchat.Error{Code: 4403, Detail: "account suspended"}), 4403, "account suspended"},
		{"the error handler maps the error", fmt.Errorf("lookup: %w", errBanned), 4409, "banned"},
		{"a code no close frame carries is 4002", &rtchat.Error{Code: 1000, Detail: "odd"}, protocol.CodePermissionDenied, "odd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDBWith(t, func() (*rec, []rtchat.Option) {
				r := &rec{disconnects: map[int64]int{}}
				return r, []rtchat.Option{
					rtchat.WithHooks(rtchat.Hooks{
						OnConnect: func(_ context.Context, e rtchat.ConnectEvent) error {
							if e.Conn.UserID == 9 {
								return tc.err
							}
							return nil
						},
						OnDisconnect: func(_ context.Context, e rtchat.DisconnectEvent) {
							r.mu.Lock()
							defer r.mu.Unlock()
							r.disconnects[e.Conn.UserID]++
						},
					}),
					rtchat.WithErrorHandler(func(err error) *rtchat.Error {
						if errors.Is(err, errBanned) {
							return &rtchat.Error{Code: 4409, Detail: "banned"}
						}
						return nil
					}),
				}
			}, func(t *testing.T, h *harness, r *rec) {
				a := h.dial(t, 1)
				createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{9}})
				barrier(t, a)
				a.Drain(protocol.DispatchPresence)
				code, reason := dialClosed(t, h, 9)
				if code != tc.code || reason != tc.reason {
					t.Fatalf("refused with %d %q, want %d %q", code, reason, tc.code, tc.reason)
				}
				wantNothingOf(t, h, a, 9)
				// The user's other connections are not affected: user 1
				// still works, and 9 never counted as disconnected.
				request(t, a, protocol.EventRoomList, nil)
				r.mu.Lock()
				defer r.mu.Unlock()
				if r.disconnects[9] != 0 {
					t.Fatalf("OnDisconnect ran %d times for a refused connection", r.disconnects[9])
				}
			})
		})
	}
}

// TestOnConnectRefusesBeforeAnythingIsSetUp: while OnConnect runs, the
// connection has no session row, the user is offline for the others and
// the connection is in no fan-out; once it accepts, all three are there.
func TestOnConnectRefusesBeforeAnythingIsSetUp(t *testing.T) {
	type seen struct {
		rows, users int
		online      bool
		err         error
	}
	// The variants run one after the other; each sets the check its
	// OnConnect makes (the hook is an option, given before the harness).
	var check atomic.Pointer[func(context.Context, rtchat.ConnectEvent) error]
	eachNodeDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{9}})
		barrier(t, a)
		ch := make(chan seen, 1)
		fn := func(ctx context.Context, e rtchat.ConnectEvent) error {
			var s seen
			s.err = h.db.NewSelect().Table("rtchat_sessions").ColumnExpr("count(*)").Where("id = ?", e.Conn.ID).Scan(ctx, &s.rows)
			s.users = h.chat.Stats().Users
			f, err := a.Request(ctx, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{9}})
			var p wirePresence
			if err == nil {
				err = json.Unmarshal(f.Data, &p)
			}
			s.err = errors.Join(s.err, err)
			s.online = len(p.Users) != 1 || p.Users[0].Online
			ch <- s
			return nil
		}
		check.Store(&fn)
		b := h.dial(t, 9)
		if s := <-ch; s.err != nil || s.rows != 0 || s.online || s.users != 1 {
			t.Fatalf("while OnConnect ran: %+v, want no session row, 9 offline, only user 1 in the fan-out", s)
		}
		request(t, b, protocol.EventRoomList, nil)
		if n := h.count(t, "rtchat_sessions", "user_id = 9 AND disconnected_at IS NULL"); n != 1 {
			t.Fatalf("after OnConnect accepted: %d open session rows of 9, want 1", n)
		}
		if s := h.chat.Stats(); s.Users != 2 {
			t.Fatalf("after OnConnect accepted: stats %+v, want 2 users", s)
		}
	}, rtchat.WithHooks(rtchat.Hooks{OnConnect: func(ctx context.Context, e rtchat.ConnectEvent) error {
		if e.Conn.UserID != 9 {
			return nil
		}
		return (*check.Load())(ctx, e)
	}}))
}

// TestOnConnectPanic: a panic in OnConnect closes the connection with
// 1011 and leaves nothing behind, goroutines included.
func TestOnConnectPanic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		h := newHarness(t, db, rtchat.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
			rtchat.WithHooks(rtchat.Hooks{OnConnect: func(_ context.Context, e rtchat.ConnectEvent) error {
				if e.Conn.UserID == 9 {
					panic("app bug")
				}
				return nil
			}}))
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{9}})
		barrier(t, a)
		a.Drain(protocol.DispatchPresence)
		before := runtime.NumGoroutine()
		for range 20 {
			if code, _ := dialClosed(t, h, 9); code != protocol.CloseInternalError {
				t.Fatalf("close code %d, want 1011", code)
			}
		}
		wantNothingOf(t, h, a, 9)
		var now int
		waitFor(t, "goroutines back to baseline", func() bool { now = runtime.NumGoroutine(); return now <= before+2 })
	})
}

// TestOnDisconnectDuration: OnDisconnect gets the connection and how long
// it lasted.
func TestOnDisconnectDuration(t *testing.T) {
	got := make(chan rtchat.DisconnectEvent, 4)
	eachNodeDB(t, func(t *testing.T, h *harness) {
		start := time.Now()
		c := h.dial(t, 1)
		opened := time.Now()
		request(t, c, protocol.EventRoomList, nil)
		time.Sleep(50 * time.Millisecond) // a connection that lasts a while
		closing := time.Now()
		_ = c.Close()
		var e rtchat.DisconnectEvent
		select {
		case e = <-got:
		case <-testCtx(t).Done():
			t.Fatal("OnDisconnect did not run")
		}
		if lo, hi := closing.Sub(opened), time.Since(start)+time.Millisecond; e.Duration < lo || e.Duration > hi {
			t.Fatalf("duration %v, want between %v and %v", e.Duration, lo, hi)
		}
		if e.Conn.UserID != 1 || e.Conn.Request == nil || e.Conn.Request.Header.Get("Authorization") != "Bearer 1" {
			t.Fatalf("conn %+v", e.Conn)
		}
		if n := h.count(t, "rtchat_sessions", "id = ? AND user_id = 1 AND disconnected_at IS NOT NULL", e.Conn.ID); n != 1 {
			t.Fatalf("Conn.ID is not the closed session row's id (%d rows)", n)
		}
	}, rtchat.WithHooks(rtchat.Hooks{OnDisconnect: func(_ context.Context, e rtchat.DisconnectEvent) { got <- e }}))
}

// auditLog records every event AroundEvent sees and refuses room.create
// for user 2.
type auditLog struct {
	mu      sync.Mutex
	entries []string // "user event request_id data -> result"
}

func (l *auditLog) hook(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
	var err error
	if e.Name == protocol.EventRoomCreate && e.Conn.UserID == 2 {
		err = &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: "Only staff create rooms."}
	} else {
		err = next(ctx)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, fmt.Sprintf("%d %s %s %s -> %v", e.Conn.UserID, e.Name, e.RequestID, e.Data, err))
	return err
}

func (l *auditLog) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

// TestAroundEvent: an audit log sees every event with its request_id and
// data; refusing one event type answers its error frame (with event_type
// and request_id) and stores nothing, while the others go through.
func TestAroundEvent(t *testing.T) {
	eachDBWith(t, func() (*auditLog, []rtchat.Option) {
		l := &auditLog{}
		return l, []rtchat.Option{rtchat.WithHooks(rtchat.Hooks{AroundEvent: l.hook})}
	}, func(t *testing.T, h *harness, l *auditLog) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "staff", "participants": []int64{2}})
		f, err := b.Request(testCtx(t), protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "mine", "participants": []int64{1}})
		pe, ok := protocol.AsError(err)
		if !ok || pe.Code != protocol.CodePermissionDenied || pe.Detail != "Only staff create rooms." {
			t.Fatalf("room.create by 2: %v", err)
		}
		if f.ErrorEvent != protocol.EventRoomCreate || f.RequestID == "" {
			t.Fatalf("error frame %+v, want event_type and request_id", f)
		}
		if n := h.count(t, "rtchat_rooms", "name = ?", "mine"); n != 0 {
			t.Fatalf("a refused room.create stored %d rooms", n)
		}
		m := send(t, b, room.ID, "hello") // other events of 2 go through
		if m.Content != "hello" {
			t.Fatalf("message %+v", m)
		}
		// The hook records an event once its handler returned, which is
		// after the client has its answer: wait for the entries.
		waitFor(t, "the audit log", func() bool {
			return l.has("1 room.create ") && l.has(`2 room.create `+f.RequestID+` {"name":"mine"`) && l.has("Only staff") &&
				l.has("2 message.send ") && l.has(`"content":"hello"`)
		})
	})
}

// messageHooks records what BeforeMessage and AfterMessage see. Before
// refuses "forbidden" content, shouts "shout" content adding a script
// that must be sanitised away, and grows "grow" content past the limit.
type messageHooks struct {
	mu     sync.Mutex
	before []rtchat.MessageEvent
	after  []rtchat.MessageEvent
}

func (r *messageHooks) options() []rtchat.Option {
	return []rtchat.Option{rtchat.WithMaxContentLength(100), rtchat.WithHooks(rtchat.Hooks{
		BeforeMessage: func(_ context.Context, e *rtchat.MessageEvent) error {
			r.mu.Lock()
			r.before = append(r.before, *e)
			r.mu.Unlock()
			switch {
			case strings.Contains(e.Content, "forbidden"):
				return &rtchat.Error{Code: protocol.CodeInvalid, Detail: "Moderated."}
			case strings.HasPrefix(e.Content, "shout"):
				e.Content = strings.ToUpper(e.Content) + "<script>alert(1)</script>!"
			case e.Content == "grow":
				e.Content = strings.Repeat("x", 101)
			}
			return nil
		},
		AfterMessage: func(_ context.Context, e rtchat.MessageEvent) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.after = append(r.after, e)
		},
	})}
}

// TestMessageHooks: BeforeMessage changes content (sanitised and checked
// again) or refuses the message (nothing stored, nothing sent); AfterMessage
// sees the stored message with its seq.
func TestMessageHooks(t *testing.T) {
	eachDBWith(t, func() (*messageHooks, []rtchat.Option) {
		r := &messageHooks{}
		return r, r.options()
	}, func(t *testing.T, h *harness, r *messageHooks) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		barrier(t, b)

		m := post(t, a, room.ID, "shout hi")
		want := serializer.Sanitize("SHOUT HI<script>alert(1)</script>!")
		if m.Content != want || strings.Contains(m.Content, "script") || !strings.HasPrefix(m.Content, "SHOUT HI") {
			t.Fatalf("content %q, want %q", m.Content, want)
		}
		if got := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); got.Content != want {
			t.Fatalf("the room got %q", got.Content)
		}

		rows := h.count(t, "rtchat_messages", "room_id = ?", room.ID)
		wantError(t, refuse(t, a, protocol.EventMessageSend, roomData(room.ID, "content", "this is forbidden")), protocol.CodeInvalid, "Moderated.")
		pe := refuse(t, a, protocol.EventMessageSend, roomData(room.ID, "content", "grow"))
		if pe.Code != protocol.CodeInvalid || !strings.Contains(fmt.Sprint(pe.Detail), "content") {
			t.Fatalf("grown content: %v, want 4003 on content", pe)
		}
		if n := h.count(t, "rtchat_messages", "room_id = ?", room.ID); n != rows {
			t.Fatalf("refused messages stored: %d rows, want %d", n, rows)
		}
		barrier(t, b)
		if n := b.Pending(protocol.DispatchMessage); n != 0 {
			t.Fatalf("the room got %d refused messages", n)
		}

		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.before) != 3 {
			t.Fatalf("BeforeMessage ran %d times, want 3", len(r.before))
		}
		bf := r.before[0]
		if bf.Conn == nil || bf.Conn.UserID != 1 || bf.UserID != 1 || bf.RoomID != room.ID || bf.Content != "shout hi" || bf.Message != nil {
			t.Fatalf("BeforeMessage saw %+v", bf)
		}
		if len(r.after) != 1 {
			t.Fatalf("AfterMessage ran %d times, want once (refused messages are not stored)", len(r.after))
		}
		af := r.after[0]
		if af.Message == nil || af.Message.ID != m.ID || af.Message.Seq != m.Seq || af.Message.Seq == 0 || af.Content != want || af.Conn == nil || af.Conn.ID != bf.Conn.ID || af.RoomID != room.ID {
			t.Fatalf("AfterMessage saw %+v (message %+v), want the stored message %+v", af, af.Message, m)
		}
	})
}
