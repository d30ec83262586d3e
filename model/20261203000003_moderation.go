package model

import "github.com/uptrace/bun/migrate"

// registerModeration registers the tables of moderation: mutes, bans and
// the audit trail (sql/20261203000003_moderation.*.sql).
func registerModeration(m *migrate.Migrations) {
	m.MustRegister(sqlUp("20261203000003_moderation"), sqlDown("20261203000003_moderation"))
}
