package model

import "github.com/uptrace/bun/migrate"

// registerInit registers the first schema: every table the protocol needs
// (sql/20261125000001_init.*.sql). bun/migrate names a migration after the
// file that registers it, so each migration has a file of its own.
func registerInit(m *migrate.Migrations) {
	m.MustRegister(sqlUp("20261125000001_init"), sqlDown("20261125000001_init"))
}
