package rtchat_test

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
)

// The tests of this file make the app's code and the presence manager
// panic around a connection's life; without the recovery they end the test
// binary. They count goroutines, so they do not run in parallel.

// panicUser is the user whose calls panic.
const panicUser = 9

// panickyPresence is presence.NewMemory whose calls for panicUser panic
// while the method's flag is set: Connect and Disconnect once the memory
// has recorded the change (the worst place: the user is online, or
// offline, and rtchat does not know).
type panickyPresence struct {
	*presence.Memory
	connect, disconnect atomic.Bool
}

func (p *panickyPresence) Connect(ctx context.Context, userID int64, connID string, limit int) (bool, error) {
	first, err := p.Memory.Connect(ctx, userID, connID, limit)
	if userID == panicUser && p.connect.Load() {
		panic("presence bug in Connect")
	}
	return first, err
}

func (p *panickyPresence) Disconnect(ctx context.Context, userID int64, connID string) (bool, error) {
	last, err := p.Memory.Disconnect(ctx, userID, connID)
	if userID == panicUser && p.disconnect.Load() {
		panic("presence bug in Disconnect")
	}
	return last, err
}

// logBuffer collects what a chat logs, for the tests that check a panic
// was logged.
type logBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Contains(b.buf.String(), s)
}

func (b *logBuffer) option() rtchat.Option {
	return rtchat.WithLogger(slog.New(slog.NewTextHandler(b, nil)))
}

// panicSetup is a chat on db where user 1 shares a one-to-one room with
// panicUser, and a is user 1's connection, with nothing pending. It
// returns the goroutine count once a is set up.
func panicSetup(t *testing.T, db *bun.DB, opts ...rtchat.Option) (*harness, *client.Client, string, int) {
	t.Helper()
	h := newHarness(t, db, opts...)
	a := h.dial(t, 1)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{panicUser}})
	barrier(t, a)
	a.Drain(protocol.DispatchPresence)
	return h, a, room.ID, runtime.NumGoroutine()
}

// wantLeftNothing waits until panicUser has left nothing behind on h: no
// open session row, not in the fan-out (only user 1 is), offline in mem
// (when the test has its presence manager) and for user 1, and the
// goroutines back to before.
func wantLeftNothing(t *testing.T, h *harness, a *client.Client, mem presence.Manager, before int) {
	t.Helper()
	ctx := testCtx(t)
	waitFor(t, "the panicking user to leave nothing behind", func() bool {
		if mem != nil {
			if online, err := mem.Online(ctx, []int64{panicUser}); err != nil || online[panicUser] {
				return false
			}
		}
		return h.chat.Stats().Users == 1 &&
			h.count(t, "rtchat_sessions", "user_id = ? AND disconnected_at IS NULL", panicUser) == 0
	})
	barrier(t, a)
	a.Drain(protocol.DispatchPresence) // an offline announcement is not a leftover
	p := decode[wirePresence](t, request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{panicUser}}))
	if len(p.Users) != 1 || p.Users[0].Online {
		t.Fatalf("presence of user %d for user 1 = %+v, want offline", panicUser, p)
	}
	var now int
	waitFor(t, "goroutines back to baseline", func() bool { now = runtime.NumGoroutine(); return now <= before+2 })
}

// TestPresenceConnectPanic: a presence manager that panics in Connect (after
// recording the connection) closes the connection with 1011, and the
// connection leaves nothing behind: no session row, not in the fan-out,
// the user offline again, no goroutine. The user connects normally once
// the manager is fixed.
func TestPresenceConnectPanic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var logs logBuffer
		p := &panickyPresence{Memory: presence.NewMemory()}
		h, a, _, before := panicSetup(t, db, logs.option(), rtchat.WithPresence(p))
		p.connect.Store(true)
		for range 20 {
			if code, _ := dialClosed(t, h, panicUser); code != protocol.CloseInternalError {
				t.Fatalf("close code %d, want 1011", code)
			}
		}
		wantLeftNothing(t, h, a, p, before)
		if n := h.count(t, "rtchat_sessions", "user_id = ?", panicUser); n != 0 {
			t.Fatalf("%d session rows of the refused connections, want none", n)
		}
		if !logs.contains("connect panicked") {
			t.Fatalf("the panic was not logged:\n%s", logs.buf.String())
		}
		p.connect.Store(false)
		b := h.dial(t, panicUser)
		request(t, b, protocol.EventRoomList, nil)
	})
}

// TestPresenceDisconnectPanic: a presence manager that panics in Disconnect
// and an OnDisconnect hook that panics do not end the process; the steps
// after the panic still run (the hook), and the connection leaves nothing
// behind.
func TestPresenceDisconnectPanic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var logs logBuffer
		var hooked atomic.Int32
		p := &panickyPresence{Memory: presence.NewMemory()}
		h, a, _, before := panicSetup(t, db, logs.option(), rtchat.WithPresence(p),
			rtchat.WithHooks(rtchat.Hooks{OnDisconnect: func(_ context.Context, e rtchat.DisconnectEvent) {
				if e.Conn.UserID == panicUser {
					hooked.Add(1)
					panic("app bug in OnDisconnect")
				}
			}}))
		p.disconnect.Store(true)
		for i := range 5 {
			b := h.dial(t, panicUser)
			request(t, b, protocol.EventRoomList, nil)
			_ = b.Close()
			waitFor(t, "OnDisconnect after the presence panic", func() bool { return hooked.Load() == int32(i+1) })
		}
		wantLeftNothing(t, h, a, p, before)
		for _, want := range []string{"presence disconnect panicked", "OnDisconnect panicked"} {
			if !logs.contains(want) {
				t.Fatalf("no %q in the log:\n%s", want, logs.buf.String())
			}
		}
	})
}

// panickyPresenceSerializer is the Presence serializer, panicking while
// armed: every presence announcement then panics.
type panickyPresenceSerializer struct {
	armed atomic.Bool
	calls atomic.Int32
}

func (s *panickyPresenceSerializer) Serialize(ctx context.Context, v any, users serializer.Users) (any, error) {
	if s.armed.Load() {
		s.calls.Add(1)
		panic("app bug in the Presence serializer")
	}
	return serializer.Default(serializer.NamePresence).Serialize(ctx, v, users)
}

// TestPresenceAnnouncementPanic: an announcement that panics (here in the
// app's serializer) is recovered and logged, whether it runs in the
// connect work, the disconnect work or the batch timer; the connection
// that caused it is served normally, and presence works again once the bug
// is gone.
func TestPresenceAnnouncementPanic(t *testing.T) {
	for _, interval := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run("interval "+interval.String(), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *bun.DB) {
				var logs logBuffer
				ser := &panickyPresenceSerializer{}
				h, a, _, before := panicSetup(t, db, logs.option(), rtchat.WithPresenceInterval(interval),
					rtchat.WithSerializer(serializer.NamePresence, ser))
				ser.armed.Store(true)
				b := h.dial(t, panicUser) // the online announcement panics
				request(t, b, protocol.EventRoomList, nil)
				waitFor(t, "the online announcement", func() bool { return ser.calls.Load() >= 1 })
				_ = b.Close() // the offline one too
				waitFor(t, "the offline announcement", func() bool { return ser.calls.Load() >= 2 })
				if !logs.contains("presence announcement panicked") {
					t.Fatalf("the panic was not logged:\n%s", logs.buf.String())
				}
				ser.armed.Store(false)
				wantLeftNothing(t, h, a, nil, before)
			})
		})
	}
}

// panickyLookup is namedUsers, panicking while armed.
type panickyLookup struct{ armed atomic.Bool }

func (l *panickyLookup) lookup(ctx context.Context, ids []int64) (map[int64]rtchat.User, error) {
	if l.armed.Load() && slices.Contains(ids, 1) {
		panic("app bug in the user lookup")
	}
	return namedUsers(ctx, ids)
}

// TestUserLookupPanicOnConnect: a user lookup that panics while the
// pending notifications are serialised on connect closes the connection
// with 1011, and the connection leaves nothing behind: no open session
// row, not in the fan-out, the user offline, no goroutine.
func TestUserLookupPanicOnConnect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var logs logBuffer
		var users panickyLookup
		h, a, room, before := panicSetup(t, db, logs.option(), rtchat.WithUserLookup(users.lookup))
		send(t, a, room, "a notification for 9, from 1") // 9's pending notification names 1
		users.armed.Store(true)
		for range 20 {
			if code, _ := dialClosed(t, h, panicUser); code != protocol.CloseInternalError {
				t.Fatalf("close code %d, want 1011", code)
			}
		}
		wantLeftNothing(t, h, a, nil, before)
		if !logs.contains("connect panicked") {
			t.Fatalf("the panic was not logged:\n%s", logs.buf.String())
		}
		users.armed.Store(false)
		b := h.dial(t, panicUser)
		request(t, b, protocol.EventRoomList, nil)
	})
}
