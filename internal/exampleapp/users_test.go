package exampleapp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// oldUsersTable makes example_users as the app did before usernames were
// unique ignoring case, with the users names, and closes it again.
func oldUsersTable(t *testing.T, cfg Config, names ...string) {
	t.Helper()
	ctx := context.Background()
	db, err := cfg.OpenDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.NewCreateTable().Model((*User)(nil)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		u := &User{Username: n, PasswordHash: "x", CreatedAt: time.Now().UTC()}
		if _, err := db.NewInsert().Model(u).Exec(ctx); err != nil {
			t.Fatalf("insert %q into the old table: %v", n, err)
		}
	}
}

// TestUsernameIndexOnExistingTable starts the app, twice, on a users table
// made before the index on lower(username): the index is added, so a name
// in another case is taken.
func TestUsernameIndexOnExistingTable(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		cfg := testConfig(t, kind)
		oldUsersTable(t, cfg, "Nia")
		startApp(t, cfg)
		a := startApp(t, cfg) // the index is made idempotently
		for _, name := range []string{"nia", "NIA"} {
			if _, err := a.CreateUser(ctx, name, "nia-password"); !errors.Is(err, ErrUsernameTaken) {
				t.Fatalf("CreateUser(%q) beside %q: %v, want ErrUsernameTaken", name, "Nia", err)
			}
		}
		if u, err := a.UserByName(ctx, "nIA"); err != nil || u.Username != "Nia" {
			t.Fatalf("UserByName(%q) = %+v, %v, want Nia", "nIA", u, err)
		}
	})
}

// TestUsernameIndexRefusesExistingDuplicates starts the app on an old table
// holding two names differing only in case: New fails and says what to do.
func TestUsernameIndexRefusesExistingDuplicates(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		cfg := testConfig(t, kind)
		oldUsersTable(t, cfg, "Oli", "OLI")
		app, err := New(context.Background(), cfg)
		if err == nil {
			_ = app.Close()
			t.Fatal("New on a table with Oli and OLI succeeded, want an error")
		}
		if !strings.Contains(err.Error(), "differing only in case") {
			t.Fatalf("New: %v, want an error saying two names differ only in case", err)
		}
	})
}
