// Package dbtest gives tests a fresh database of each kind: SQLite in a
// temporary file, and Postgres in a schema of its own that is dropped
// afterwards. Postgres comes from RTCHAT_TEST_POSTGRES; without it the
// Postgres cases skip, except under CI (CI=true), where they fail.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/pgdb"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/uptrace/bun"
)

// PostgresEnv names the variable holding the Postgres test DSN, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "RTCHAT_TEST_POSTGRES"

// Kinds are the databases every store test runs on.
var Kinds = []string{"sqlite", "postgres"}

// Open returns a fresh, empty database of the kind, closed and removed at the
// end of the test.
func Open(tb testing.TB, kind string) *bun.DB {
	tb.Helper()
	switch kind {
	case "sqlite":
		db, err := sqlitedb.Open(filepath.Join(tb.TempDir(), "rtchat.db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = db.Close() })
		return db
	case "postgres":
		dsn := PostgresDSN(tb)
		return openSchema(tb, dsn)
	}
	tb.Fatalf("dbtest: unknown kind %q", kind)
	return nil
}

// PostgresDSN returns a DSN for a fresh schema of its own (dropped at the
// end of the test), or skips the test when RTCHAT_TEST_POSTGRES is unset
// outside CI.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set under CI: the Postgres tests must run", PostgresEnv)
		}
		tb.Skipf("set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run on Postgres", PostgresEnv)
	}
	admin, err := pgdb.Open(base)
	if err != nil {
		tb.Fatalf("%s=%s: %v", PostgresEnv, base, err)
	}
	defer admin.Close()
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db, err := pgdb.Open(base)
		if err != nil {
			tb.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Logf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, base, schema)
}

func withSearchPath(tb testing.TB, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("%s search_path=%s", dsn, schema)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openSchema(tb testing.TB, dsn string) *bun.DB {
	tb.Helper()
	db, err := pgdb.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	// Tests run in parallel, each on a database of its own: a small pool
	// keeps them all within Postgres's max_connections (default 100).
	db.SetMaxOpenConns(testPoolSize)
	db.SetMaxIdleConns(testPoolSize)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// testPoolSize is the pool of each test database: enough for the
// concurrent requests of a test's clients.
const testPoolSize = 8

// Each runs fn as a subtest on every kind of database.
func Each(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) { fn(t, Open(t, kind)) })
	}
}
