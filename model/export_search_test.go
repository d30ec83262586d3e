package model

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// RollbackLast rolls back the last group of migrations Migrate applied.
func RollbackLast(ctx context.Context, db *bun.DB) error {
	mg := migrate.NewMigrator(db, Migrations(), migrate.WithTableName(MigrationsTable), migrate.WithLocksTableName(MigrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))
	_, err := mg.Rollback(ctx)
	return err
}
