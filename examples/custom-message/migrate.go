package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// migrationFiles are the app's own migrations, one folder per dialect
// (migrations/pg, migrations/sqlite) of SQL files that bun/migrate
// discovers: SQLite adds one column per statement and stores JSON as text,
// Postgres as JSONB. A released file is never edited; a change is a new
// file in each folder, under the same name.
//
//go:embed migrations/pg/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// The app keeps its migration bookkeeping apart from rtchat's
// (rtchat_migrations), so each side applies only its own.
const (
	migrationsTable     = "example_message_migrations"
	migrationLocksTable = "example_message_migration_locks"
)

// migrationLockKey is the Postgres advisory lock Migrate holds ("cmsg"),
// other than rtchat's own.
const migrationLockKey = 0x636d7367

// Migrate adds the app's columns to rtchat's messages table, or does
// nothing when they are there. Run it at start, after rtchat's
// Chat.Migrate (which creates the table) and before serving.
//
// On Postgres it holds a session advisory lock meanwhile, so nodes starting
// at once on one database migrate once; the lock's connection is one more
// than the migration's, so the pool must allow two. On SQLite one process
// owns the file.
func Migrate(ctx context.Context, db *bun.DB) error {
	if db.Dialect().Name() == dialect.PG {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("custom-message: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
			return fmt.Errorf("custom-message: migrate: take the lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey) //nolint:errcheck // released with the session anyway
	}
	mg, err := newMigrator(db)
	if err != nil {
		return err
	}
	if err := mg.Init(ctx); err != nil {
		return fmt.Errorf("custom-message: init migrations: %w", err)
	}
	if _, err := mg.Migrate(ctx); err != nil {
		return fmt.Errorf("custom-message: migrate: %w", err)
	}
	return nil
}

// newMigrator returns the migrator of the app's migrations for db's
// dialect.
func newMigrator(db *bun.DB) (*migrate.Migrator, error) {
	dir := "migrations/sqlite"
	if db.Dialect().Name() == dialect.PG {
		dir = "migrations/pg"
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("custom-message: migrations: %w", err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("custom-message: discover migrations: %w", err)
	}
	return migrate.NewMigrator(db, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true)), nil
}
