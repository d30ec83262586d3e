package rtchat_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// statementCounter is a bun query hook that records the statements run
// while it is on.
type statementCounter struct {
	mu    sync.Mutex // guards on and stmts
	on    bool
	stmts []string
}

// background are the statements a chat runs on its own, whenever a timer
// says (the session retention sweep, at start and then hourly): not part of
// any event, so never counted.
var background = []string{`DELETE FROM "rtchat_sessions"`}

func (s *statementCounter) record(query string) {
	for _, b := range background {
		if strings.HasPrefix(query, b) {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on {
		s.stmts = append(s.stmts, query)
	}
}

// BeforeQuery and AfterQuery make it a bun query hook (SQLite: every
// statement goes through bun).
func (s *statementCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (s *statementCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) { s.record(e.Query) }

// TraceQueryStart and TraceQueryEnd make it a pgx tracer (Postgres: it
// sees every statement on the wire, bun's and the send path's prepared
// ones alike, BEGIN and COMMIT included).
func (s *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	s.record(d.SQL)
	return ctx
}

func (s *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countedDB returns a fresh database of kind whose statements counter
// records.
func countedDB(t *testing.T, kind string, counter *statementCounter) *bun.DB {
	t.Helper()
	if kind == "sqlite" {
		db := dbtest.Open(t, kind)
		db.AddQueryHook(counter)
		return db
	}
	cfg, err := pgx.ParseConfig(dbtest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tracer = counter
	sqldb := stdlib.OpenDB(*cfg)
	db := bun.NewDB(sqldb, pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// during returns the statements run while fn runs.
func (s *statementCounter) during(fn func()) []string {
	s.mu.Lock()
	s.on, s.stmts = true, nil
	s.mu.Unlock()
	fn()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = false
	return s.stmts
}

// TestSendStatementCount counts the SQL statements of message.send, a reply
// and a forward on both databases, so that a regression on the hot path
// shows. On Postgres a plain send is the read of the room with the sender's
// membership and one statement that takes the seq under the room row's
// lock, checks the acl_version, and stores the message, its attachments and
// the sender's read pointer; SQLite, without writes in WITH, runs the same
// write as a transaction of statements (no round trips: it is in process),
// one of them the message's plain text for its search index (on Postgres a
// generated column of the message row). A thread reply costs Postgres
// nothing more: the root's count is in the same statement.
func TestSendStatementCount(t *testing.T) {
	want := map[string]map[string]int{
		// case: dialect -> statements
		"plain":            {"pg": 2, "sqlite": 7},
		"client_msg_id":    {"pg": 2, "sqlite": 7},
		"with media":       {"pg": 2, "sqlite": 8},
		"reply":            {"pg": 4, "sqlite": 9},
		"forward":          {"pg": 6, "sqlite": 11},
		"retried (stored)": {"pg": 4, "sqlite": 7},
		// A thread reply counts itself on its root in the same statement
		// (Postgres) or one more statement of the transaction (SQLite).
		"thread reply": {"pg": 2, "sqlite": 8},
	}
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) { countSendStatements(t, kind, want) })
	}
}

func countSendStatements(t *testing.T, kind string, want map[string]map[string]int) {
	counter := &statementCounter{}
	h := newHarness(t, countedDB(t, kind, counter), rtchat.WithInactivityThreshold(time.Hour))
	dialect := "sqlite"
	if kind == "postgres" {
		dialect = "pg"
	}
	a, b := h.dial(t, 1), h.dial(t, 2)
	g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
	other := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "other", "participants": []int64{2}})
	b.Drain(protocol.DispatchRoomCreate)
	first := send(t, a, g.ID, "first")
	b.Drain(protocol.DispatchMessage)
	cases := []struct {
		name string
		data map[string]any
	}{
		{"plain", map[string]any{"room_id": g.ID, "content": "hi"}},
		{"client_msg_id", map[string]any{"room_id": g.ID, "content": "hi", "client_msg_id": "k-1"}},
		{"with media", map[string]any{"room_id": g.ID, "content": "pic", "extra_fields": map[string]any{"media": []map[string]any{
			{"media_url": "https://cdn.example/a.png", "media_type": "image", "mime_type": "image/png"},
			{"media_url": "https://cdn.example/b.png", "media_type": "image", "mime_type": "image/png"}}}}},
		{"reply", map[string]any{"room_id": g.ID, "content": "re", "extra_fields": map[string]any{"parent_message_id": first.ID}}},
		{"forward", map[string]any{"room_id": other.ID, "extra_fields": map[string]any{"forwarded_from_id": first.ID}}},
		{"retried (stored)", map[string]any{"room_id": g.ID, "content": "hi", "client_msg_id": "k-1"}},
		{"thread reply", map[string]any{"room_id": g.ID, "content": "t", "extra_fields": map[string]any{"thread_root_id": first.ID}}},
	}
	for _, tc := range cases {
		stmts := counter.during(func() {
			if _, err := a.Request(testCtx(t), protocol.EventMessageSend, tc.data); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		})
		a.Drain(protocol.DispatchMessage)
		b.Drain(protocol.DispatchMessage)
		if got := len(stmts); got != want[tc.name][dialect] {
			t.Errorf("%s on %s: %d statements, want %d:\n  %s", tc.name, dialect, got, want[tc.name][dialect], strings.Join(stmts, "\n  "))
		}
	}
}
