package model

import (
	"context"
	"fmt"

	"github.com/rtchat/rtchat/internal/searchtext"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// searchMigration is the name of the message search schema
// (sql/20261203000001_search.*.sql).
const searchMigration = "20261203000001_search"

// registerSearch registers message search: on Postgres a generated
// tsvector column with a GIN index, on SQLite an FTS5 index over each
// message's plain text, which the migration writes for the messages
// already stored (Postgres computes its column for them itself).
func registerSearch(m *migrate.Migrations) {
	m.MustRegister(searchUp, sqlDown(searchMigration))
}

// searchUp runs the up file and, on SQLite, indexes the stored messages,
// in one transaction.
func searchUp(ctx context.Context, db *bun.DB) error {
	text, err := readSQL(db.Dialect().Name(), searchMigration, "up")
	if err != nil {
		return err
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, stmt := range splitSQL(text) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s.up: %w\n%s", searchMigration, err, stmt)
			}
		}
		if db.Dialect().Name() == dialect.PG {
			return nil
		}
		return backfillSearch(ctx, tx)
	})
}

// backfillSearch writes the plain text of every visible message into
// SQLite's search table, a batch at a time by id.
func backfillSearch(ctx context.Context, tx bun.Tx) error {
	const batch = 500
	after := ""
	for {
		var rows []struct {
			ID      string `bun:"id"`
			Content string `bun:"content"`
		}
		if err := tx.NewRaw(`SELECT id, content FROM rtchat_messages WHERE id > ? AND is_deleted = ? ORDER BY id LIMIT ?`,
			after, false, batch).Scan(ctx, &rows); err != nil {
			return fmt.Errorf("%s.up: read messages: %w", searchMigration, err)
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rtchat_message_search (message_id, body) VALUES (?, ?)`,
				r.ID, searchtext.PlainText(r.Content)); err != nil {
				return fmt.Errorf("%s.up: index message %s: %w", searchMigration, r.ID, err)
			}
		}
		if len(rows) < batch {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}
