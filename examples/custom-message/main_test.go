package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/exampleapp"
	"github.com/rtchat/rtchat/internal/exampleapp/exampletest"
	"github.com/rtchat/rtchat/internal/pgdb"
	"github.com/rtchat/rtchat/model"
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

// TestBuiltinEvents: rtchat's own events work with the app's Message.
func TestBuiltinEvents(t *testing.T) {
	eachDB(t, exampletest.BuiltinEvents)
}

// wireMessage is a message as clients get it, with the app's fields as
// pointers, so that a missing key is told from a default.
type wireMessage struct {
	ID       string         `json:"id"`
	Content  string         `json:"content"`
	IsEdited bool           `json:"is_edited"`
	Priority *string        `json:"priority"`
	Metadata map[string]any `json:"metadata"`
	IsPinned *bool          `json:"is_pinned"`
}

// wantFields fails unless m shows the app's fields with these values.
func wantFields(t *testing.T, what string, m wireMessage, priority string, metadata map[string]any, pinned bool) {
	t.Helper()
	if m.Priority == nil || *m.Priority != priority || m.Metadata == nil || !reflect.DeepEqual(m.Metadata, metadata) ||
		m.IsPinned == nil || *m.IsPinned != pinned {
		t.Fatalf("%s: priority %v, metadata %v, is_pinned %v; want %q, %v, %v",
			what, deref(m.Priority), m.Metadata, deref(m.IsPinned), priority, metadata, pinned)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return "(missing)"
	}
	return *p
}

// pair is a group of ann and bob, each connected once.
type pair struct {
	room     string
	ann, bob exampletest.Session
	a, b     *client.Client
}

func newPair(t *testing.T, e *exampletest.Env) *pair {
	t.Helper()
	p := &pair{ann: e.Register(t, "ann", "ann-password"), bob: e.Register(t, "bob", "bob-password")}
	p.a = e.Dial(t, e.WS, client.WithToken(p.ann.Token))
	p.b = e.Dial(t, e.WS, client.WithToken(p.bob.Token))
	p.room = exampletest.CreateGroup(t, p.a, "incidents", nil, []int64{p.bob.ID}, p.b)
	return p
}

// send sends a message over c with extra_fields ef (none when nil) and
// returns the sender's message.dispatch and the one other gets.
func send(t *testing.T, c, other *client.Client, room, content string, ef map[string]any) (sent, got wireMessage) {
	t.Helper()
	data := map[string]any{"room_id": room, "content": content}
	if ef != nil {
		data["extra_fields"] = ef
	}
	sent = decode[wireMessage](t, exampletest.Request(t, c, protocol.EventMessageSend, data, protocol.DispatchMessage))
	// The answer stays in the sender's inbox too: take it out, so the next
	// message.dispatch the sender waits for is another's.
	for _, conn := range []*client.Client{c, other} {
		f, err := conn.Next(exampletest.Ctx(t), protocol.DispatchMessage)
		if err != nil {
			t.Fatalf("waiting for the message.dispatch of %q: %v", content, err)
		}
		if got = decode[wireMessage](t, f); got.ID != sent.ID {
			t.Fatalf("a member got message %s, want %s", got.ID, sent.ID)
		}
	}
	return sent, got
}

// history returns the room's newest messages, newest first, over c.
func history(t *testing.T, c *client.Client, room string) []wireMessage {
	t.Helper()
	f := exampletest.Request(t, c, protocol.EventRoomMessages, map[string]any{"room_id": room}, protocol.DispatchRoomMessages)
	return decode[struct {
		Data struct {
			Messages []wireMessage `json:"messages"`
		} `json:"data"`
	}](t, f).Data.Messages
}

// stored reads a message from the database as the app's Message.
func stored(t *testing.T, db *bun.DB, id string) Message {
	t.Helper()
	var m Message
	if err := db.NewSelect().Model(&m).Where("id = ?", id).Scan(exampletest.Ctx(t)); err != nil {
		t.Fatalf("read message %s: %v", id, err)
	}
	return m
}

func countMessages(t *testing.T, db *bun.DB) int64 {
	t.Helper()
	n, err := db.NewSelect().Table("rtchat_messages").Count(exampletest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// openDB opens the app's database beside it, to look at its tables.
func openDB(t *testing.T, cfg exampleapp.Config) *bun.DB {
	t.Helper()
	db, err := cfg.OpenDB(exampletest.Ctx(t))
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

func TestSendFields(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		p := newPair(t, e)
		db := openDB(t, e.Config)
		meta := map[string]any{"source": "pager", "tags": []any{"db", "eu"}, "ack": map[string]any{"by": nil}}

		sent, got := send(t, p.a, p.b, p.room, "the database is down",
			map[string]any{"priority": "critical", "metadata": meta, "is_pinned": true})
		wantFields(t, "ann's own message.dispatch", sent, "critical", meta, true)
		wantFields(t, "bob's message.dispatch", got, "critical", meta, true)
		if m := stored(t, db, sent.ID); m.Priority != "critical" || !reflect.DeepEqual(m.Metadata, meta) || !m.IsPinned {
			t.Fatalf("stored %+v, want critical, %v, pinned", m, meta)
		}

		// Without the fields: the defaults.
		plain, got := send(t, p.b, p.a, p.room, "looking", nil)
		wantFields(t, "a plain send", plain, "normal", map[string]any{}, false)
		wantFields(t, "a plain send, as ann gets it", got, "normal", map[string]any{}, false)
		// Some of them: the others' defaults.
		some, _ := send(t, p.a, p.b, p.room, "fyi", map[string]any{"priority": "low"})
		wantFields(t, "a send with a priority alone", some, "low", map[string]any{}, false)

		// A bad field: 4003 naming it, nothing stored, the connection open.
		before := countMessages(t, db)
		for name, ef := range map[string]map[string]any{
			"a priority not in the list":  {"priority": "asap"},
			"an empty priority":           {"priority": ""},
			"a priority that is a number": {"priority": 3},
			"metadata that is a list":     {"metadata": []any{1}},
			"metadata that is null":       {"metadata": nil},
			"is_pinned that is a string":  {"is_pinned": "yes"},
		} {
			_, err := p.a.Request(exampletest.Ctx(t), protocol.EventMessageSend,
				map[string]any{"room_id": p.room, "content": "refused", "extra_fields": ef})
			exampletest.WantCode(t, name, err, protocol.CodeInvalid)
			pe, _ := protocol.AsError(err)
			for k := range ef {
				if !strings.Contains(fmt.Sprint(pe.Detail), "extra_fields."+k) {
					t.Fatalf("%s: detail %v does not name extra_fields.%s", name, pe.Detail, k)
				}
			}
		}
		if n := countMessages(t, db); n != before {
			t.Fatalf("refused sends stored %d messages", n-before)
		}
		if n := p.b.Pending(protocol.DispatchMessage); n != 0 {
			t.Fatalf("bob got %d message.dispatch of refused sends", n)
		}

		// History shows the fields, newest first.
		h := history(t, p.b, p.room)
		if len(h) != 3 {
			t.Fatalf("history has %d messages, want 3", len(h))
		}
		wantFields(t, "history: the priority alone", h[0], "low", map[string]any{}, false)
		wantFields(t, "history: the plain send", h[1], "normal", map[string]any{}, false)
		wantFields(t, "history: the critical one", h[2], "critical", meta, true)
	})
}

func TestModifyFields(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		p := newPair(t, e)
		db := openDB(t, e.Config)
		msg, _ := send(t, p.a, p.b, p.room, "deploy at noon", map[string]any{"metadata": map[string]any{"ticket": "OPS-1"}})
		update := func(ef map[string]any) wireMessage {
			t.Helper()
			f := exampletest.Request(t, p.a, protocol.EventMessageModify,
				map[string]any{"action": "update", "message_id": msg.ID, "extra_fields": ef}, protocol.DispatchModification)
			mine := decode[struct {
				Message wireMessage `json:"message"`
			}](t, f).Message
			f, err := p.b.Next(ctx, protocol.DispatchModification)
			if err != nil {
				t.Fatalf("bob waiting for the modification: %v", err)
			}
			theirs := decode[struct {
				Action  string      `json:"action"`
				Message wireMessage `json:"message"`
			}](t, f)
			if theirs.Action != "update" || !reflect.DeepEqual(theirs.Message, mine) {
				t.Fatalf("bob's modification = %s, want ann's %+v", f.Data, mine)
			}
			return mine
		}

		// The fields alone: changed, and not an edit.
		m := update(map[string]any{"priority": "urgent", "is_pinned": true})
		wantFields(t, "fields changed alone", m, "urgent", map[string]any{"ticket": "OPS-1"}, true)
		if m.IsEdited || m.Content != "deploy at noon" {
			t.Fatalf("changing fields alone = %+v, want the content unchanged and not edited", m)
		}
		// With content: an edit, and the fields given change.
		m = update(map[string]any{"content": "deploy at one", "is_pinned": false, "metadata": map[string]any{}})
		wantFields(t, "fields changed with the content", m, "urgent", map[string]any{}, false)
		if !m.IsEdited || m.Content != "deploy at one" {
			t.Fatalf("changing the content = %+v, want it edited", m)
		}

		// A bad value, an unknown field or nothing at all: 4003, no change.
		for name, ef := range map[string]map[string]any{
			"a priority not in the list": {"priority": "later", "is_pinned": true},
			"a field the app lacks":      {"colour": "red"},
			"nothing":                    {},
		} {
			_, err := p.a.Request(ctx, protocol.EventMessageModify,
				map[string]any{"action": "update", "message_id": msg.ID, "extra_fields": ef})
			exampletest.WantCode(t, name, err, protocol.CodeInvalid)
		}
		if s := stored(t, db, msg.ID); s.Priority != "urgent" || s.IsPinned || s.Content != "deploy at one" {
			t.Fatalf("stored %+v after refused updates, want urgent, not pinned, the new content", s)
		}
		// Bob cannot change ann's message.
		_, err := p.b.Request(ctx, protocol.EventMessageModify,
			map[string]any{"action": "update", "message_id": msg.ID, "extra_fields": map[string]any{"is_pinned": true}})
		exampletest.WantCode(t, "bob pins ann's message", err, protocol.CodePermissionDenied)

		h := history(t, p.b, p.room)
		if len(h) != 1 || !h[0].IsEdited {
			t.Fatalf("history = %+v, want the edited message", h)
		}
		wantFields(t, "history after the updates", h[0], "urgent", map[string]any{}, false)
	})
}

// plainServer is echoexample: rtchat's own Message, before the app's.
func plainServer(ctx context.Context, cfg exampleapp.Config) (*exampleapp.Server, error) {
	app, err := exampleapp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	chat, err := app.NewChat(ctx,
		rtchat.WithEchoAuth(func(c echo.Context) (int64, error) { return app.UserFromRequest(c.Request()) }))
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}
	e := echo.New()
	e.Use(chat.Middleware())
	for _, r := range app.Routes() {
		e.Add(r.Method, r.Path, echo.WrapHandler(r.Handler))
	}
	return &exampleapp.Server{Handler: e, App: app, Chat: chat}, nil
}

// TestRestart: an app that ran with rtchat's Message becomes this one, and
// restarts, on the same database: its messages get the defaults, the
// migration runs once, and messages keep their fields.
func TestRestart(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			cfg := exampletest.TestConfig()
			if kind == "postgres" {
				cfg.DatabaseURL = dbtest.PostgresDSN(t)
			} else {
				cfg.SQLitePath = filepath.Join(t.TempDir(), "example.db")
			}
			// Before: echoexample.
			e := exampletest.StartConfig(t, plainServer, cfg)
			p := newPair(t, e)
			old, _ := send(t, p.a, p.b, p.room, "before the app's columns", nil)
			if old.Priority != nil || old.IsPinned != nil || old.Metadata != nil {
				t.Fatalf("rtchat's own message shows the app's fields: %+v", old)
			}
			e.Shutdown(t)

			e = exampletest.StartConfig(t, newServer, cfg)
			a := e.Dial(t, e.WS, client.WithToken(e.Login(t, "ann", "ann-password").Token))
			b := e.Dial(t, e.WS, client.WithToken(e.Login(t, "bob", "bob-password").Token))
			h := history(t, b, p.room)
			if len(h) != 1 || h[0].ID != old.ID {
				t.Fatalf("history = %+v, want the message sent before", h)
			}
			wantFields(t, "a message sent before the migration", h[0], "normal", map[string]any{}, false)
			meta := map[string]any{"runbook": "https://example.org/rb/7"}
			pinned, _ := send(t, a, b, p.room, "after", map[string]any{"priority": "high", "metadata": meta, "is_pinned": true})
			e.Shutdown(t)

			// Restart: the migration finds nothing to do.
			e = exampletest.StartConfig(t, newServer, cfg)
			b = e.Dial(t, e.WS, client.WithToken(e.Login(t, "bob", "bob-password").Token))
			h = history(t, b, p.room)
			if len(h) != 2 || h[0].ID != pinned.ID {
				t.Fatalf("history after the restart = %+v, want 2 messages, %s newest", h, pinned.ID)
			}
			wantFields(t, "after the restart, the pinned message", h[0], "high", meta, true)
			wantFields(t, "after the restart, the old message", h[1], "normal", map[string]any{}, false)
			wantApplied(t, openDB(t, cfg), 1)
		})
	}
}

// wantApplied fails unless the app's bookkeeping holds n applied
// migrations.
func wantApplied(t *testing.T, db *bun.DB, n int64) {
	t.Helper()
	got, err := db.NewSelect().Table(migrationsTable).Count(exampletest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("%s has %d rows, want %d", migrationsTable, got, n)
	}
}

// hasColumns reports whether rtchat_messages has the app's columns.
func hasColumns(t *testing.T, db *bun.DB) bool {
	t.Helper()
	_, err := db.ExecContext(exampletest.Ctx(t), "SELECT priority, metadata, is_pinned FROM rtchat_messages LIMIT 0")
	return err == nil
}

// TestMigrateDown: the down migration drops the columns, and up adds them
// again.
func TestMigrateDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := exampletest.Ctx(t)
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		if hasColumns(t, db) {
			t.Fatal("rtchat's own table has the app's columns")
		}
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		if !hasColumns(t, db) {
			t.Fatal("Migrate did not add the columns")
		}
		mg, err := newMigrator(db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mg.Rollback(ctx); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if hasColumns(t, db) {
			t.Fatal("the rollback left the columns")
		}
		if err := Migrate(ctx, db); err != nil {
			t.Fatalf("migrate after the rollback: %v", err)
		}
		if !hasColumns(t, db) {
			t.Fatal("Migrate after the rollback did not add the columns")
		}
		wantApplied(t, db, 1)
	})
}

// TestMigrateNodesAtOnce: nodes starting at once on one Postgres, each with
// its own pool, migrate once between them.
func TestMigrateNodesAtOnce(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	ctx := exampletest.Ctx(t)
	const nodes = 4
	dbs := make([]*bun.DB, nodes)
	for i := range dbs {
		db, err := pgdb.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(2)
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	if err := model.Migrate(ctx, dbs[0]); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Migrate(ctx, db)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("nodes migrating at once: %v", err)
	}
	if !hasColumns(t, dbs[0]) {
		t.Fatal("no node added the columns")
	}
	wantApplied(t, dbs[0], 1)
}
