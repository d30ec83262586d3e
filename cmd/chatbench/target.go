package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/exampleapp"
	"github.com/rtchat/rtchat/internal/pgdb"
	"github.com/uptrace/bun"
)

// target is the chat a scenario runs against: the example chat started
// in-process on a fresh database, on one node or several, or a running
// server (-url), which has no database, app or chat here.
type target struct {
	kind string // "sqlite", "postgres" or "remote"
	// name is kind, and with -nodes the node count ("postgres, 2 nodes"):
	// what logs and notes call the target.
	name    string
	dialer  *dialer         // spreads load users over the nodes
	app     *exampleapp.App // node 1's; nil for a remote target
	chat    *rtchat.Chat    // node 1's; nil for a remote target
	chats   []*rtchat.Chat  // every node's, node 1 first
	queries *queryCounter   // every node's statements; nil for a remote target
	closers []func() error  // run last first by close
}

// local reports whether the target runs in this process, so its database
// and memory can be measured.
func (t *target) local() bool { return t.chat != nil }

// db returns the in-process database (node 1's pool).
func (t *target) db() *bun.DB { return t.app.DB() }

// conns counts the connections every in-process node holds.
func (t *target) conns() int {
	n := 0
	for _, c := range t.chats {
		n += c.Stats().Conns
	}
	return n
}

// bearerUser is the in-process auth, as in the root package's tests:
// "Authorization: Bearer <user id>".
func bearerUser(r *http.Request) (int64, error) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strconv.ParseInt(tok, 10, 64)
}

// idAuth is the auth bearerUser reads: load user n is user id n.
func idAuth(user int64) (string, int64, error) { return strconv.FormatInt(user, 10), user, nil }

// ids returns the server's user ids of load users.
func (t *target) ids(users []int64) ([]int64, error) {
	out := make([]int64, len(users))
	for i, u := range users {
		_, id, err := t.dialer.auth(u)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// startLocal starts the example chat on a fresh database of kind: SQLite
// in a temporary directory, or Postgres in a schema of its own that close
// drops. users is how many example users (ids 1..users) to create, so that
// the example's user lookup finds them as it would real ones. With nodes
// above 1 it starts that many chats on the database, each with its own
// listener, node id and Redis broker (see startNodes), and the dialer
// spreads load users over them.
func startLocal(ctx context.Context, cfg *config, kind string, users, nodes int) (t *target, err error) {
	t = &target{kind: kind, name: kind, queries: &queryCounter{}}
	if cfg.multiNode() {
		t.name = fmt.Sprintf("%s, %s", kind, nodeCount(nodes))
	}
	defer func() {
		if err != nil {
			t.close()
			t = nil
		}
	}()
	// No rate limits: the load is the measure, not something to refuse.
	appCfg := exampleapp.Config{JWTSecret: "chatbench", RateLimits: &exampleapp.RateLimits{}}
	switch kind {
	case "sqlite":
		dir, err := os.MkdirTemp("", "chatbench-")
		if err != nil {
			return t, err
		}
		t.closers = append(t.closers, func() error { return os.RemoveAll(dir) })
		appCfg.SQLitePath = filepath.Join(dir, "rtchat.db")
	case "postgres":
		dsn, drop, err := freshSchema(ctx, cfg.pgDSN)
		if err != nil {
			return t, err
		}
		t.closers = append(t.closers, drop)
		appCfg.DatabaseURL = dsn
	default:
		return t, fmt.Errorf("chatbench: unknown database %q (sqlite or postgres)", kind)
	}
	app, err := t.openApp(ctx, appCfg)
	if err != nil {
		return t, err
	}
	t.app = app
	if err := createUsers(ctx, app.DB(), cfg.userBase, users); err != nil {
		return t, err
	}
	if nodes > 1 {
		return t, t.startNodes(ctx, cfg, appCfg, nodes)
	}
	chat, err := app.NewChat(ctx, append(benchOptions(), rtchat.WithHTTPAuth(bearerUser))...)
	if err != nil {
		return t, err
	}
	addr, err := t.serveChat(chat)
	if err != nil {
		return t, err
	}
	t.dialer, err = newDialer("ws://"+addr+chat.Path(), idAuth)
	return t, err
}

// openApp opens the example app on the database of appCfg, with its pool
// set up for the benchmark and its statements counted, and closes it last.
func (t *target) openApp(ctx context.Context, appCfg exampleapp.Config) (*exampleapp.App, error) {
	app, err := exampleapp.New(ctx, appCfg)
	if err != nil {
		return nil, err
	}
	t.closers = append(t.closers, app.Close)
	if t.kind == "postgres" {
		// database/sql keeps 2 idle connections by default: under
		// concurrency the other 18 of the pool's 20 would be closed and
		// reopened all the time, and the benchmark would measure that.
		sqldb := app.DB().DB
		sqldb.SetMaxIdleConns(sqldb.Stats().MaxOpenConnections)
	}
	app.DB().AddQueryHook(t.queries)
	return app, nil
}

// serveChat adds chat to the target's nodes, serves it on a loopback port
// and returns the address; close stops serving, then closes the chat.
func (t *target) serveChat(chat *rtchat.Chat) (string, error) {
	if t.chat == nil {
		t.chat = chat
	}
	t.chats = append(t.chats, chat)
	t.closers = append(t.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return chat.Close(ctx)
	})
	mux := http.NewServeMux()
	mux.Handle(chat.Path(), chat)
	addr, stop, err := serve(mux)
	if err != nil {
		return "", err
	}
	t.closers = append(t.closers, stop)
	return addr, nil
}

// startRemote targets a running server at wsURL.
func startRemote(cfg *config) (*target, error) {
	auth := idAuth
	if cfg.register {
		auth = registerAuth(cfg.url)
	}
	d, err := newDialer(cfg.url, auth)
	if err != nil {
		return nil, err
	}
	return &target{kind: "remote", name: "remote", dialer: d}, nil
}

// close stops the server, the chat and the app, and removes the database.
func (t *target) close() error {
	var errs []error
	for i := len(t.closers) - 1; i >= 0; i-- {
		errs = append(errs, t.closers[i]())
	}
	t.closers = nil
	return errors.Join(errs...)
}

// serve serves h on a loopback port, as httptest.Server does, and returns
// the address and a function that closes the listener and every connection.
func serve(h http.Handler) (string, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), srv.Close, nil
}

// freshSchema creates a schema of its own on the Postgres at dsn and
// returns a DSN whose search_path is that schema, and a function that
// drops it.
func freshSchema(ctx context.Context, dsn string) (string, func() error, error) {
	admin, err := pgdb.Open(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("chatbench: postgres %s: %w", dsn, err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "chatbench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() error {
		db, err := pgdb.Open(dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		return err
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("%s search_path=%s", dsn, schema), drop, nil
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// createUsers inserts example users base+1..base+n directly (the register API would
// spend a bcrypt hash on each), named bench<id>.
func createUsers(ctx context.Context, db *bun.DB, base int64, n int) error {
	now := time.Now().UTC()
	for lo := 1; lo <= n; lo += 1000 {
		hi := min(lo+999, n)
		rows := make([]exampleapp.User, 0, hi-lo+1)
		for id := lo; id <= hi; id++ {
			uid := base + int64(id)
			rows = append(rows, exampleapp.User{ID: uid, Username: "bench" + strconv.FormatInt(uid, 10), PasswordHash: "-", CreatedAt: now})
		}
		if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("chatbench: create users: %w", err)
		}
	}
	return nil
}

// queryCounter is a bun query hook counting the statements the database
// runs while it is on.
type queryCounter struct {
	on atomic.Bool
	n  atomic.Int64
}

var _ bun.QueryHook = (*queryCounter)(nil)

// BeforeQuery counts one statement.
func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	if q.on.Load() {
		q.n.Add(1)
	}
	return ctx
}

// AfterQuery does nothing.
func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// start resets the count and starts counting.
func (q *queryCounter) start() { q.n.Store(0); q.on.Store(true) }

// stop stops counting and returns the count.
func (q *queryCounter) stop() int64 { q.on.Store(false); return q.n.Load() }
