package model

import "github.com/uptrace/bun/migrate"

// registerThreads registers the thread columns of rtchat_messages and the
// per-member thread read pointers (sql/20261203000004_threads.*.sql).
func registerThreads(m *migrate.Migrations) {
	m.MustRegister(sqlUp("20261203000004_threads"), sqlDown("20261203000004_threads"))
}
