package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migrationFiles are the app's own migrations, SQL files that bun/migrate
// discovers; they are never edited once released, a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// The app keeps its migration bookkeeping apart from rtchat's
// (rtchat_migrations), so each side applies only its own.
const (
	migrationsTable     = "example_consumer_migrations"
	migrationLocksTable = "example_consumer_migration_locks"
)

// Migrate creates or updates the app's tables. Run it at start, after
// rtchat's Chat.Migrate (the tables refer to rtchat's messages and rooms by
// id). Nodes starting at once on one Postgres should run it from one of
// them first, or hold a lock around it, as rtchat's Migrate does.
func Migrate(ctx context.Context, db *bun.DB) error {
	ms := migrate.NewMigrations()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("custom-consumer: migrations: %w", err)
	}
	if err := ms.Discover(sub); err != nil {
		return fmt.Errorf("custom-consumer: discover migrations: %w", err)
	}
	mg := migrate.NewMigrator(db, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))
	if err := mg.Init(ctx); err != nil {
		return fmt.Errorf("custom-consumer: init migrations: %w", err)
	}
	if _, err := mg.Migrate(ctx); err != nil {
		return fmt.Errorf("custom-consumer: migrate: %w", err)
	}
	return nil
}
