package model_test

import (
	"context"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

// TestStoreMapsLostLinkToUnavailable: the link to Postgres breaks while a
// statement of a transaction, or its COMMIT, waits for the server's
// answer, and while the link is down no new connection can be made. Each
// is ErrUnavailable (4007: try again), not an internal error (4006);
// once the link is back the store works again.
func TestStoreMapsLostLinkToUnavailable(t *testing.T) {
	proxy, db := dbtest.CuttablePostgres(t)
	st := newStore(t, db)
	// A deferred trigger that sleeps makes the COMMIT wait on the server.
	for _, q := range []string{
		`CREATE TABLE slow_commit (a int)`,
		`CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$`,
		`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow_commit DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION slow_commit()`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(q string) error {
		return st.Tx(t.Context(), func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, q)
			return err
		})
	}
	// A statement outside a transaction, as the store's prepared send is.
	single := func(q string) error {
		var v any
		return model.MapErr(db.DB.QueryRowContext(t.Context(), q).Scan(&v))
	}
	for _, tc := range []struct {
		name string
		run  func(string) error
		q    string
	}{
		{"a statement in flight", single, "SELECT pg_sleep(2)"},
		{"a statement of a transaction in flight", exec, "SELECT pg_sleep(2)"},
		{"a commit in flight", exec, "INSERT INTO slow_commit VALUES (1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The link breaks 200 ms into the 2 s the server takes.
			cut := time.AfterFunc(200*time.Millisecond, proxy.Cut)
			defer cut.Stop()
			defer proxy.Restore()
			wantMapped(t, tc.run(tc.q), model.ErrUnavailable)
			wantMapped(t, exec("SELECT 1"), model.ErrUnavailable)
			proxy.Restore()
			if err := exec("SELECT 1"); err != nil {
				t.Fatalf("after the restore: %v", err)
			}
		})
	}
}
