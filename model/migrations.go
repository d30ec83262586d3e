package model

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
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
	return m
}

// Migrate applies every pending migration, holding bun/migrate's lock so that
// several nodes starting at once migrate once.
func Migrate(ctx context.Context, db *bun.DB) error {
	mg := migrate.NewMigrator(db, Migrations(),
		migrate.WithTableName(MigrationsTable),
		migrate.WithLocksTableName(MigrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))
	// Init and Lock fail rather than wait when another node is migrating at
	// the same moment, so retry them for a while.
	if err := retry(ctx, mg.Init); err != nil {
		return fmt.Errorf("rtchat: init migrations: %w", err)
	}
	if err := retry(ctx, mg.Lock); err != nil {
		return fmt.Errorf("rtchat: lock migrations: %w", err)
	}
	defer mg.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck // the lock row is removed on a best-effort basis
	if _, err := mg.Migrate(ctx); err != nil {
		return fmt.Errorf("rtchat: migrate: %w", err)
	}
	return nil
}

// retry calls fn until it succeeds, ctx ends or 30 seconds pass.
func retry(ctx context.Context, fn func(context.Context) error) error {
	deadline := time.Now().Add(30 * time.Second)
	wait := 20 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
