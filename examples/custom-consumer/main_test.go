package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/exampleapp"
	"github.com/rtchat/rtchat/internal/exampleapp/exampletest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestExample runs the examples' scenarios against this app: it serves
// everything echoexample does.
func TestExample(t *testing.T) {
	exampletest.Run(t, newServer)
}

// eachDB runs fn on a fresh app on SQLite and on Postgres
// (RTCHAT_TEST_POSTGRES; skipped without it outside CI).
func eachDB(t *testing.T, fn func(t *testing.T, e *exampletest.Env)) {
	exampletest.Each(t, newServer, fn)
}

// eachDBAboveSendLimit is eachDB with rtchat's own message.send limit
// raised above the app's SendLimit, so that what refuses the send after
// SendLimit in a burst is the app's hook, the thing under test, and not
// rtchat (exampleapp.DefaultRateLimits allows bursts of 20).
func eachDBAboveSendLimit(t *testing.T, fn func(t *testing.T, e *exampletest.Env)) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			cfg := exampletest.ConfigFor(t, kind)
			rl := exampleapp.DefaultRateLimits()
			rl.Events[protocol.EventMessageSend] = exampleapp.Rate{PerSecond: 5, Burst: 2 * SendLimit}
			cfg.RateLimits = &rl
			fn(t, exampletest.StartConfig(t, newServer, cfg))
		})
	}
}

// TestBuiltinEvents: rtchat's own events work beside the app's.
func TestBuiltinEvents(t *testing.T) {
	eachDB(t, exampletest.BuiltinEvents)
}

// team is a group of ann (its creator, an admin), eddy (made an admin),
// bob and cat (plain members), and olga outside it.
type team struct {
	room                      string
	ann, eddy, bob, cat, olga exampletest.Session
	a, ed, b, c, o            *client.Client
}

func newTeam(t *testing.T, e *exampletest.Env) *team {
	t.Helper()
	tm := &team{
		ann: e.Register(t, "ann", "ann-password"), eddy: e.Register(t, "eddy", "eddy-password"),
		bob: e.Register(t, "bob", "bob-password"), cat: e.Register(t, "cat", "cat-password"),
		olga: e.Register(t, "olga", "olga-password"),
	}
	tm.a = e.Dial(t, e.WS, client.WithToken(tm.ann.Token))
	tm.ed = e.Dial(t, e.WS, client.WithToken(tm.eddy.Token))
	tm.b = e.Dial(t, e.WS, client.WithToken(tm.bob.Token))
	tm.c = e.Dial(t, e.WS, client.WithToken(tm.cat.Token))
	tm.o = e.Dial(t, e.WS, client.WithToken(tm.olga.Token))
	tm.room = exampletest.CreateGroup(t, tm.a, "team", nil, []int64{tm.eddy.ID, tm.bob.ID, tm.cat.ID}, tm.ed, tm.b, tm.c)
	exampletest.Request(t, tm.a, protocol.EventRoomModify, map[string]any{
		"room_id": tm.room, "action": "add_admin", "data": map[string]any{"users": []int64{tm.eddy.ID}},
	}, protocol.DispatchRoomUpdate)
	return tm
}

type message struct {
	ID string `json:"id"`
}

func send(t *testing.T, c *client.Client, room, content string) string {
	t.Helper()
	f, err := c.SendMessage(exampletest.Ctx(t), room, content)
	if err != nil {
		t.Fatalf("send %q: %v", content, err)
	}
	m, err := client.Decode[message](f)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// openDB opens the app's database beside it, to look at its tables.
func openDB(t *testing.T, e *exampletest.Env) *bun.DB {
	t.Helper()
	db, err := e.Config.OpenDB(exampletest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func decode[T any](t *testing.T, f protocol.Frame) T {
	t.Helper()
	v, err := client.Decode[T](f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPin(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		tm := newTeam(t, e)
		msg := send(t, tm.b, tm.room, "pin me")
		pin := func(c *client.Client, id any) error {
			_, err := c.Request(ctx, EventPin, map[string]any{"message_id": id})
			return err
		}

		exampletest.WantCode(t, "bob, a plain member, pins", pin(tm.b, msg), protocol.CodePermissionDenied)
		exampletest.WantCode(t, "olga, outside the room, pins", pin(tm.o, msg), protocol.CodePermissionDenied)
		exampletest.WantCode(t, "ann pins a message that does not exist", pin(tm.a, uuid.NewString()), protocol.CodeNotFound)
		exampletest.WantCode(t, "ann pins without a uuid", pin(tm.a, "not-a-uuid"), protocol.CodeInvalid)
		exampletest.WantCode(t, "ann pins a number", pin(tm.a, 12), protocol.CodeInvalid)

		f := exampletest.Request(t, tm.ed, EventPin, map[string]any{"message_id": msg}, DispatchPinned)
		want := Pinned{MessageID: msg, PinnedBy: tm.eddy.ID}
		if got := decode[Pinned](t, f); got != want {
			t.Fatalf("eddy's message.pinned = %+v, want %+v", got, want)
		}
		for name, c := range map[string]*client.Client{"ann": tm.a, "bob": tm.b, "cat": tm.c} {
			f, err := c.Next(ctx, DispatchPinned)
			if err != nil {
				t.Fatalf("%s waiting for %s: %v", name, DispatchPinned, err)
			}
			if got := decode[Pinned](t, f); got != want {
				t.Fatalf("%s's message.pinned = %+v, want %+v", name, got, want)
			}
		}
		exampletest.WantCode(t, "ann pins it again", pin(tm.a, msg), protocol.CodeConflict)

		// Olga is outside the room: a barrier, then nothing for her.
		exampletest.Request(t, tm.o, protocol.EventRoomList, nil, protocol.DispatchRoomList)
		if n := tm.o.Pending(DispatchPinned); n != 0 {
			t.Fatalf("olga, outside the room, got %d message.pinned", n)
		}

		var pins []Pin
		if err := openDB(t, e).NewSelect().Model(&pins).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(pins) != 1 || pins[0].MessageID != msg || pins[0].RoomID != tm.room || pins[0].PinnedBy != tm.eddy.ID || pins[0].PinnedAt.IsZero() {
			t.Fatalf("example_pinned_messages = %+v, want eddy's pin of %s", pins, msg)
		}
	})
}

func TestFlag(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		tm := newTeam(t, e)
		msg := send(t, tm.a, tm.room, "flag me")

		cases := []struct {
			name   string
			data   map[string]any
			reason string
		}{
			{"without a reason", map[string]any{"message_id": msg}, DefaultFlagReason},
			{"with a blank reason", map[string]any{"message_id": msg, "reason": "  "}, DefaultFlagReason},
			{"with a reason", map[string]any{"message_id": msg, "reason": "spam"}, "spam"},
		}
		for _, tc := range cases {
			f := exampletest.Request(t, tm.b, EventFlag, tc.data, DispatchFlagged)
			if got, want := decode[Flagged](t, f), (Flagged{Status: "flagged", Reason: tc.reason}); got != want {
				t.Fatalf("bob flags %s: %+v, want %+v", tc.name, got, want)
			}
			want := Alert{MessageID: msg, RoomID: tm.room, FlaggedBy: tm.bob.ID, Reason: tc.reason}
			for name, c := range map[string]*client.Client{"ann": tm.a, "eddy": tm.ed} {
				f, err := c.Next(ctx, DispatchAlert)
				if err != nil {
					t.Fatalf("%s, an admin, waiting for the alert of a flag %s: %v", name, tc.name, err)
				}
				if got := decode[Alert](t, f); got != want {
					t.Fatalf("%s's alert = %+v, want %+v", name, got, want)
				}
			}
		}

		// An admin's flag alerts the other admin only.
		exampletest.Request(t, tm.ed, EventFlag, map[string]any{"message_id": msg, "reason": "off topic"}, DispatchFlagged)
		if f, err := tm.a.Next(ctx, DispatchAlert); err != nil || decode[Alert](t, f).FlaggedBy != tm.eddy.ID {
			t.Fatalf("ann waiting for eddy's alert: %v", err)
		}

		_, err := tm.o.Request(ctx, EventFlag, map[string]any{"message_id": msg})
		exampletest.WantCode(t, "olga, outside the room, flags", err, protocol.CodePermissionDenied)
		_, err = tm.b.Request(ctx, EventFlag, map[string]any{"message_id": uuid.NewString()})
		exampletest.WantCode(t, "bob flags a message that does not exist", err, protocol.CodeNotFound)
		_, err = tm.b.Request(ctx, EventFlag, map[string]any{"message_id": msg, "reason": 5})
		exampletest.WantCode(t, "bob flags with a number for a reason", err, protocol.CodeInvalid)

		// Barriers, then: the plain members and the outsider got no alert,
		// and the flagger none of their own.
		for name, c := range map[string]*client.Client{"bob": tm.b, "cat": tm.c, "olga": tm.o, "eddy": tm.ed} {
			exampletest.Request(t, c, protocol.EventRoomList, nil, protocol.DispatchRoomList)
			if n := c.Pending(DispatchAlert); n != 0 {
				t.Fatalf("%s got %d moderation.alert more than expected", name, n)
			}
		}

		var flags []Flag
		if err := openDB(t, e).NewSelect().Model(&flags).Order("created_at").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(flags) != 4 || flags[2].Reason != "spam" || flags[2].FlaggedBy != tm.bob.ID || flags[3].FlaggedBy != tm.eddy.ID || flags[0].RoomID != tm.room {
			t.Fatalf("example_message_flags = %+v, want bob's three flags and eddy's", flags)
		}
	})
}

func TestAnalytics(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		tm := newTeam(t, e)
		var ids []string
		for i := range 3 {
			ids = append(ids, send(t, tm.a, tm.room, fmt.Sprintf("ann %d", i)))
		}
		for i := range 2 {
			ids = append(ids, send(t, tm.b, tm.room, fmt.Sprintf("bob %d", i)))
		}
		other := exampletest.CreateGroup(t, tm.c, "elsewhere", nil, []int64{tm.olga.ID}, tm.o)
		send(t, tm.c, other, "not counted in the team")

		analytics := func(c *client.Client, room, timeframe string) Analytics {
			t.Helper()
			f := exampletest.Request(t, c, EventAnalytics, map[string]any{"room_id": room, "timeframe": timeframe}, EventAnalytics)
			return decode[Analytics](t, f)
		}
		want := func(got Analytics, timeframe string, count, senders int64) {
			t.Helper()
			if w := (Analytics{RoomID: tm.room, Timeframe: timeframe, MessageCount: count, UniqueSenders: senders}); got != w {
				t.Fatalf("analytics = %+v, want %+v", got, w)
			}
		}
		want(analytics(tm.c, tm.room, "24h"), "24h", 5, 2)

		exampletest.Request(t, tm.a, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": ids[0]}, protocol.DispatchModification)
		want(analytics(tm.c, tm.room, "24h"), "24h", 4, 2)

		// One of bob's messages from three days ago counts in 7d and 30d only.
		db := openDB(t, e)
		if _, err := db.NewUpdate().Table("rtchat_messages").Set("created_at = ?", time.Now().Add(-72*time.Hour).UTC()).
			Where("id = ?", ids[4]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		want(analytics(tm.c, tm.room, "24h"), "24h", 3, 2)
		want(analytics(tm.c, tm.room, "7d"), "7d", 4, 2)
		want(analytics(tm.c, tm.room, "30d"), "30d", 4, 2)
		if _, err := db.NewUpdate().Table("rtchat_messages").Set("created_at = ?", time.Now().Add(-72*time.Hour).UTC()).
			Where("id = ?", ids[3]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		want(analytics(tm.c, tm.room, "24h"), "24h", 2, 1)

		cases := []struct {
			name string
			c    *client.Client
			data map[string]any
			code int
		}{
			{"a timeframe not offered", tm.c, map[string]any{"room_id": tm.room, "timeframe": "1y"}, protocol.CodeInvalid},
			{"no timeframe", tm.c, map[string]any{"room_id": tm.room}, protocol.CodeInvalid},
			{"no room", tm.c, map[string]any{"timeframe": "24h"}, protocol.CodeInvalid},
			{"an outsider", tm.o, map[string]any{"room_id": tm.room, "timeframe": "24h"}, protocol.CodePermissionDenied},
			{"a room that does not exist", tm.c, map[string]any{"room_id": uuid.NewString(), "timeframe": "24h"}, protocol.CodeNotFound},
		}
		for _, tc := range cases {
			_, err := tc.c.Request(ctx, EventAnalytics, tc.data)
			exampletest.WantCode(t, "analytics with "+tc.name, err, tc.code)
		}
	})
}

func TestSendLimit(t *testing.T) {
	eachDBAboveSendLimit(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		tm := newTeam(t, e)
		for i := range SendLimit {
			send(t, tm.b, tm.room, fmt.Sprintf("message %d", i+1))
		}
		_, err := tm.b.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": tm.room, "content": "one too many"})
		exampletest.WantCode(t, fmt.Sprintf("send number %d within a minute", SendLimit+1), err, protocol.CodeRateLimited)

		// The connection stays open for the other events; the limit is per
		// connection, so bob's second one sends.
		exampletest.Request(t, tm.b, protocol.EventRoomInfo, map[string]any{"room_id": tm.room}, protocol.DispatchRoomInfo)
		f := exampletest.Request(t, tm.b, EventAnalytics, map[string]any{"room_id": tm.room, "timeframe": "24h"}, EventAnalytics)
		if got := decode[Analytics](t, f); got.MessageCount != SendLimit {
			t.Fatalf("analytics after the refused send = %+v, want %d messages: the refused one was not stored", got, SendLimit)
		}
		b2 := e.Dial(t, e.WS, client.WithToken(tm.bob.Token))
		send(t, b2, tm.room, "from another connection")
		_, err = tm.b.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": tm.room, "content": "still too many"})
		exampletest.WantCode(t, "another send on the limited connection", err, protocol.CodeRateLimited)
		select {
		case <-tm.b.Closed():
			t.Fatalf("the limited connection closed: %v", tm.b.CloseError())
		default:
		}
	})
}

func TestSendLimiterWindow(t *testing.T) {
	l := NewSendLimiter(2, time.Minute)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		conn string
		at   time.Duration
		ok   bool
	}{
		{"first send", "c1", 0, true},
		{"second send", "c1", 10 * time.Second, true},
		{"third within the minute", "c1", 59 * time.Second, false},
		{"another connection", "c2", 59 * time.Second, true},
		{"a minute after the first", "c1", time.Minute, true},
		{"again before the second is a minute old", "c1", 69 * time.Second, false},
		{"a minute after the second", "c1", 70 * time.Second, true},
	}
	for _, s := range steps {
		err := l.Allow(s.conn, t0.Add(s.at))
		if (err == nil) != s.ok {
			t.Fatalf("%s: Allow = %v, want allowed %v", s.name, err, s.ok)
		}
		if err != nil {
			exampletest.WantCode(t, s.name, err, protocol.CodeRateLimited)
		}
	}
	l.Forget("c1")
	if err := l.Allow("c1", t0.Add(71*time.Second)); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
}

func sessionStats(t *testing.T, e *exampletest.Env, token string) SessionStats {
	t.Helper()
	res := e.Do(t, http.MethodGet, "/api/sessions/stats", "", nil, http.Header{"Authorization": {"Bearer " + token}})
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/sessions/stats: HTTP %d %s", res.Status, res.Body)
	}
	var s SessionStats
	if err := json.Unmarshal(res.Body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionLength(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ann := e.Register(t, "ann", "ann-password")
		if res := e.Do(t, http.MethodGet, "/api/sessions/stats", "", nil, nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("GET /api/sessions/stats without a session: HTTP %d, want 401", res.Status)
		}
		if s := sessionStats(t, e, ann.Token); s != (SessionStats{}) {
			t.Fatalf("stats before any connection = %+v", s)
		}
		start := time.Now()
		c := e.Dial(t, e.WS, client.WithToken(ann.Token))
		if s := sessionStats(t, e, ann.Token); s.Active != 1 || s.Ended != 0 {
			t.Fatalf("stats with one connection open = %+v, want 1 active", s)
		}
		const held = 100 * time.Millisecond
		time.Sleep(held) // the session's length, not a wait for something
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		s := sessionStats(t, e, ann.Token)
		for s.Ended == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			s = sessionStats(t, e, ann.Token)
		}
		elapsed := time.Since(start).Seconds()
		if s.Active != 0 || s.Ended != 1 || s.TotalSeconds < held.Seconds() || s.TotalSeconds > elapsed || s.LongestSeconds != s.TotalSeconds {
			t.Fatalf("stats after the disconnect = %+v, want one session of %v to %.3fs", s, held, elapsed)
		}
	})
}

// TestMigrateAgain: the app's migrations run at every start; on a database
// that has them they change nothing and keep the rows.
func TestMigrateAgain(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := exampletest.Ctx(t)
			db := dbtest.Open(t, kind)
			if err := Migrate(ctx, db); err != nil {
				t.Fatalf("first migration: %v", err)
			}
			pin := &Pin{MessageID: uuid.NewString(), RoomID: uuid.NewString(), PinnedBy: 1, PinnedAt: time.Now().UTC()}
			if _, err := db.NewInsert().Model(pin).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := Migrate(ctx, db); err != nil {
				t.Fatalf("second migration: %v", err)
			}
			if n, err := db.NewSelect().Model((*Pin)(nil)).Count(ctx); err != nil || n != 1 {
				t.Fatalf("pins after migrating again: %d, %v; want 1", n, err)
			}
		})
	}
}
