package model

import "github.com/uptrace/bun/migrate"

// registerNotificationPointers registers the move of message notifications
// from per-recipient rows to the members' delivered pointers
// (sql/20261129000002_notification_pointers.*.sql).
func registerNotificationPointers(m *migrate.Migrations) {
	m.MustRegister(sqlUp("20261129000002_notification_pointers"), sqlDown("20261129000002_notification_pointers"))
}
