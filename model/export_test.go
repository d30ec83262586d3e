package model

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// MigrateFirst applies only the first n of rtchat's migrations, so a test
// can build the data of an older schema and then migrate it.
func MigrateFirst(ctx context.Context, db *bun.DB, n int) error {
	all := Migrations().Sorted()
	ms := migrate.NewMigrations()
	for _, m := range all[:n] {
		ms.Add(m)
	}
	mg := migrate.NewMigrator(db, ms, migrate.WithTableName(MigrationsTable), migrate.WithLocksTableName(MigrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))
	if err := mg.Init(ctx); err != nil {
		return err
	}
	_, err := mg.Migrate(ctx)
	return err
}

// MapErr is the store's mapping of driver errors, for errors a test gets
// outside a store call.
var MapErr = mapErr
