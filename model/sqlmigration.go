package model

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// sqlFiles holds the schema as SQL, one file per migration and dialect:
// NAME.pg.up.sql and NAME.sqlite.up.sql (or NAME.up.sql for both), and
// NAME.down.sql. A released file is never edited: a change of schema is a
// new migration.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// sqlUp returns the up function of the SQL migration name, which runs the
// statements of its file for the database's dialect in one transaction.
func sqlUp(name string) migrate.MigrationFunc {
	return func(ctx context.Context, db *bun.DB) error { return runSQL(ctx, db, name, "up") }
}

// sqlDown is sqlUp for the down file.
func sqlDown(name string) migrate.MigrationFunc {
	return func(ctx context.Context, db *bun.DB) error { return runSQL(ctx, db, name, "down") }
}

func runSQL(ctx context.Context, db *bun.DB, name, direction string) error {
	text, err := readSQL(db.Dialect().Name(), name, direction)
	if err != nil {
		return err
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, stmt := range splitSQL(text) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s.%s: %w\n%s", name, direction, err, stmt)
			}
		}
		return nil
	})
}

// readSQL finds the file of a migration for a dialect: the dialect's own
// file first, then the one shared by both.
func readSQL(d dialect.Name, name, direction string) (string, error) {
	suffix := "sqlite"
	if d == dialect.PG {
		suffix = "pg"
	}
	for _, f := range []string{name + "." + suffix + "." + direction + ".sql", name + "." + direction + ".sql"} {
		b, err := sqlFiles.ReadFile("sql/" + f)
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("rtchat: migration %s has no %s file for %s", name, direction, suffix)
}

// splitSQL splits a file into statements at semicolons that end a line;
// lines starting with -- are comments.
func splitSQL(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
