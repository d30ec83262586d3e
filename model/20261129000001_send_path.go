package model

import "github.com/uptrace/bun/migrate"

// registerSendPath registers the schema of the one-statement send
// (sql/20261129000001_send_path.*.sql): the rooms' acl_version, and the
// client_msg_id key scoped to the room.
func registerSendPath(m *migrate.Migrations) {
	m.MustRegister(sqlUp("20261129000001_send_path"), sqlDown("20261129000001_send_path"))
}
