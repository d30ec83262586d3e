package model_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// The store maps driver errors without importing a driver (errors.go): these
// tests provoke each mapped error on the real databases and check that the
// store's sentinel comes out with the driver's error still in the chain.

// execInTx runs the statements in one store transaction, so that their error
// goes through the store's mapping.
func execInTx(ctx context.Context, st *model.Store, stmts ...string) error {
	return st.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantMapped fails unless err is sentinel and wraps more than the sentinel
// (the driver's own error, for the log).
func wantMapped(t testing.TB, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	if err.Error() == sentinel.Error() {
		t.Errorf("err = %q: the driver's error is not kept", err)
	}
}

const insertRoomSQL = `INSERT INTO rtchat_rooms (id, type, name, description, avatar, pair_key,
	max_participants, max_subscribers, is_public, join_approval_required, group_locked, property,
	last_seq, created_at, updated_at, last_activity_at)
	VALUES ('%s', 'one_to_one', '', '', '', %s, 0, 0, false, false, false, '{}', 0,
	'2026-11-25 10:00:00', '2026-11-25 10:00:00', '2026-11-25 10:00:00')`

func TestStoreMapsNoRowsToNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		err := st.Tx(t.Context(), func(ctx context.Context, tx bun.Tx) error {
			var id string
			return tx.QueryRowContext(ctx, "SELECT id FROM rtchat_rooms WHERE id = ?", uuid.NewString()).Scan(&id)
		})
		wantMapped(t, err, model.ErrNotFound)
	})
}

func TestStoreMapsUniqueViolationToConflict(t *testing.T) {
	for _, tc := range []struct {
		name         string
		first, again string
	}{
		{
			"a second row with the same primary key",
			fmt.Sprintf(insertRoomSQL, "11111111-1111-1111-1111-111111111111", "NULL"),
			fmt.Sprintf(insertRoomSQL, "11111111-1111-1111-1111-111111111111", "NULL"),
		},
		{
			"a second row with the same unique column",
			fmt.Sprintf(insertRoomSQL, "11111111-1111-1111-1111-111111111111", "'1:2'"),
			fmt.Sprintf(insertRoomSQL, "22222222-2222-2222-2222-222222222222", "'1:2'"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *bun.DB) {
				st := newStore(t, db)
				if err := execInTx(t.Context(), st, tc.first); err != nil {
					t.Fatal(err)
				}
				wantMapped(t, execInTx(t.Context(), st, tc.again), model.ErrConflict)
			})
		})
	}
}

// A second writer on a SQLite file that another connection is writing to
// gets SQLITE_BUSY once its busy timeout (here none) runs out.
func TestStoreMapsSQLiteBusyToUnavailable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close() })
	if err := model.Migrate(ctx, holder); err != nil {
		t.Fatal(err)
	}
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?"+url.Values{"_pragma": {"busy_timeout(0)"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	other := bun.NewDB(sqldb, sqlitedialect.New())
	t.Cleanup(func() { _ = other.Close() })

	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // only releases the write lock
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(insertRoomSQL, uuid.NewString(), "NULL")); err != nil {
		t.Fatal(err)
	}
	err = execInTx(ctx, model.NewStore(other), fmt.Sprintf(insertRoomSQL, uuid.NewString(), "NULL"))
	wantMapped(t, err, model.ErrUnavailable)
}

// openPostgres migrates a fresh Postgres schema and returns a store on it.
func openPostgres(t *testing.T) (*bun.DB, *model.Store) {
	t.Helper()
	db := dbtest.Open(t, "postgres")
	if db.Dialect().Name() != dialect.PG {
		t.Fatalf("dbtest.Open(postgres) gave %s", db.Dialect().Name())
	}
	return db, newStore(t, db)
}

// A repeatable-read transaction that updates a row another transaction
// changed after its snapshot fails with 40001 serialization_failure: the
// whole transaction may be retried.
func TestStoreMapsPostgresSerializationFailureToUnavailable(t *testing.T) {
	db, st := openPostgres(t)
	ctx := t.Context()
	room := createRoom(t, st, model.TypeGroup, base, 1)
	err := st.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRowContext(ctx, "SELECT last_seq FROM rtchat_rooms WHERE id = ?", room.ID).Scan(&seq); err != nil {
			return err
		}
		// Another connection changes the row after this snapshot.
		if _, err := db.ExecContext(ctx, "UPDATE rtchat_rooms SET last_seq = last_seq + 1 WHERE id = ?", room.ID); err != nil {
			t.Errorf("concurrent update: %v", err)
		}
		_, err := tx.ExecContext(ctx, "UPDATE rtchat_rooms SET last_seq = ? WHERE id = ?", seq+1, room.ID)
		return err
	})
	wantMapped(t, err, model.ErrUnavailable)
}

// Two transactions that lock two rows in opposite orders deadlock; Postgres
// aborts one of them with 40P01 deadlock_detected, which may be retried.
func TestStoreMapsPostgresDeadlockToUnavailable(t *testing.T) {
	_, st := openPostgres(t)
	ctx := t.Context()
	a := createRoom(t, st, model.TypeGroup, base, 1)
	b := createRoom(t, st, model.TypeGroup, base, 1)
	const bump = "UPDATE rtchat_rooms SET last_seq = last_seq + 1 WHERE id = ?"
	aLocked, bLocked := make(chan struct{}), make(chan struct{})
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() {
		errs[0] = st.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, bump, a.ID); err != nil {
				return err
			}
			close(aLocked)
			<-bLocked
			_, err := tx.ExecContext(ctx, bump, b.ID)
			return err
		})
	})
	wg.Go(func() {
		errs[1] = st.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			<-aLocked
			if _, err := tx.ExecContext(ctx, bump, b.ID); err != nil {
				return err
			}
			close(bLocked)
			_, err := tx.ExecContext(ctx, bump, a.ID)
			return err
		})
	})
	wg.Wait()
	failed := errs[0]
	if failed == nil {
		failed = errs[1]
	} else if errs[1] != nil {
		t.Fatalf("both transactions failed: %v; %v", errs[0], errs[1])
	}
	wantMapped(t, failed, model.ErrUnavailable)
}

// A backend terminated by the operator (pg_terminate_backend, a restart)
// answers 57P01 admin_shutdown or drops the connection.
func TestStoreMapsPostgresTerminatedBackendToUnavailable(t *testing.T) {
	db, _ := openPostgres(t)
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	// With a timeout, pg_terminate_backend returns once the backend is gone.
	if _, err := db.ExecContext(ctx, "SELECT pg_terminate_backend(?, 10000)", pid); err != nil {
		t.Fatal(err)
	}
	var one int
	err = conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	wantMapped(t, model.MapErr(err), model.ErrUnavailable)
}

// A query that outlives its context's deadline is cancelled; the database
// was too slow, and the caller may try again.
func TestStoreMapsDeadlineToUnavailable(t *testing.T) {
	_, st := openPostgres(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	wantMapped(t, execInTx(ctx, st, "SELECT pg_sleep(10)"), model.ErrUnavailable)
}

// openPostgresWith opens Postgres with the test DSN changed by edit, without
// the ping of pgdb.Open, so the store sees the connection's error.
func openPostgresWith(t *testing.T, edit func(*pgx.ConnConfig)) *model.Store {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbtest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	db := bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	return model.NewStore(db)
}

func TestStoreMapsPostgresConnectErrorsToUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, cfg *pgx.ConnConfig)
	}{
		{"nothing listens on the port", func(t *testing.T, cfg *pgx.ConnConfig) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Host, cfg.Port = "127.0.0.1", uint16(l.Addr().(*net.TCPAddr).Port)
			cfg.Fallbacks = nil
			_ = l.Close()
		}},
		{"the database does not exist (3D000)", func(t *testing.T, cfg *pgx.ConnConfig) {
			cfg.Database = "rtchat_missing_" + uuid.NewString()[:8]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openPostgresWith(t, func(cfg *pgx.ConnConfig) { tc.edit(t, cfg) })
			wantMapped(t, st.Ping(t.Context()), model.ErrUnavailable)
		})
	}
}
