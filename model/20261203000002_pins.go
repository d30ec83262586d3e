package model

import "github.com/uptrace/bun/migrate"

// registerPins registers the table of pinned messages
// (sql/20261203000002_pins.*.sql).
func registerPins(m *migrate.Migrations) {
	m.MustRegister(sqlUp("20261203000002_pins"), sqlDown("20261203000002_pins"))
}
