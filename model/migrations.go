package model

import (
	"context"
	"fmt"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// MigrationsTable and MigrationLocksTable are the bun/migrate bookkeeping
// tables of rtchat, kept apart from any migrations of the app itself.
const (
	MigrationsTable     = "rtchat_migrations"
	MigrationLocksTable = "rtchat_migration_locks"
)

// Migrations returns rtchat's schema migrations. Apps that run bun/migrate
// themselves can run these with their own migrator; Migrate does it for them.
func Migrations() *migrate.Migrations {
	m := migrate.NewMigrations()
	// bun/migrate names a Go migration after the file that registers it.
	registerInit(m)
	registerSendPath(m)
	registerNotificationPointers(m)
	registerSearch(m)
	registerPins(m)
	registerModeration(m)
	registerThreads(m)
	return m
}

// sqliteMigrate serialises Migrate calls of this process on databases
// without advisory locks (SQLite: one process owns the file).
var sqliteMigrate sync.Mutex

// migrationLockKey is the Postgres advisory lock rtchat holds while it
// migrates ("rtch").
const migrationLockKey = 0x72746368

// Migrate applies every pending migration. On Postgres it holds a session
// advisory lock meanwhile, so several nodes starting at once migrate once,
// and a node that dies mid-way releases the lock with its connection. On
// SQLite, calls within the process take turns.
func Migrate(ctx context.Context, db *bun.DB) error {
	if db.Dialect().Name() == dialect.PG {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("rtchat: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
			return fmt.Errorf("rtchat: migrate: take the lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey) //nolint:errcheck // released with the session anyway
	} else {
		sqliteMigrate.Lock()
		defer sqliteMigrate.Unlock()
	}
	mg := migrate.NewMigrator(db, Migrations(),
		migrate.WithTableName(MigrationsTable),
		migrate.WithLocksTableName(MigrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))
	if err := mg.Init(ctx); err != nil {
		return fmt.Errorf("rtchat: init migrations: %w", err)
	}
	if _, err := mg.Migrate(ctx); err != nil {
		return fmt.Errorf("rtchat: migrate: %w", err)
	}
	return nil
}
