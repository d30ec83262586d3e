package model

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerInit registers the first schema: every table the protocol needs.
func registerInit(m *migrate.Migrations) { m.MustRegister(upInit, downInit) }

type tableSpec struct {
	model any
	fks   []string
}

func initTables() []tableSpec {
	cascade := func(col, table string) string {
		return fmt.Sprintf("(%q) REFERENCES %q (%q) ON DELETE CASCADE", col, table, "id")
	}
	return []tableSpec{
		{model: (*Room)(nil)},
		{model: (*Member)(nil), fks: []string{cascade("room_id", "rtchat_rooms")}},
		{model: (*JoinRequest)(nil), fks: []string{cascade("room_id", "rtchat_rooms")}},
		{model: (*Message)(nil), fks: []string{cascade("room_id", "rtchat_rooms")}},
		{model: (*MessageEdit)(nil), fks: []string{cascade("message_id", "rtchat_messages")}},
		{model: (*Attachment)(nil), fks: []string{cascade("message_id", "rtchat_messages")}},
		{model: (*Reaction)(nil), fks: []string{cascade("message_id", "rtchat_messages")}},
		{model: (*ReadReceipt)(nil), fks: []string{cascade("message_id", "rtchat_messages")}},
		{model: (*Delivery)(nil), fks: []string{cascade("message_id", "rtchat_messages")}},
		{model: (*Notification)(nil), fks: []string{cascade("message_id", "rtchat_messages"), cascade("room_id", "rtchat_rooms")}},
		{model: (*NotificationRecipient)(nil), fks: []string{cascade("notification_id", "rtchat_notifications")}},
		{model: (*Session)(nil)},
	}
}

type indexSpec struct {
	table, name string
	unique      bool
	cols        []string
}

var initIndexes = []indexSpec{
	{"rtchat_members", "rtchat_members_user_idx", false, []string{"user_id"}},
	{"rtchat_rooms", "rtchat_rooms_activity_idx", false, []string{"last_activity_at"}},
	{"rtchat_messages", "rtchat_messages_room_seq_uq", true, []string{"room_id", "seq"}},
	{"rtchat_messages", "rtchat_messages_client_id_uq", true, []string{"sender_id", "client_msg_id"}},
	{"rtchat_messages", "rtchat_messages_parent_idx", false, []string{"parent_message_id"}},
	{"rtchat_message_edits", "rtchat_message_edits_msg_idx", false, []string{"message_id", "edited_at"}},
	{"rtchat_attachments", "rtchat_attachments_msg_idx", false, []string{"message_id"}},
	{"rtchat_reactions", "rtchat_reactions_msg_user_uq", true, []string{"message_id", "user_id"}},
	{"rtchat_read_receipts", "rtchat_read_receipts_msg_reader_uq", true, []string{"message_id", "reader_id"}},
	{"rtchat_deliveries", "rtchat_deliveries_user_idx", false, []string{"user_id"}},
	{"rtchat_notifications", "rtchat_notifications_msg_idx", false, []string{"message_id"}},
	{"rtchat_notification_recipients", "rtchat_notification_recipients_user_idx", false, []string{"user_id"}},
	{"rtchat_sessions", "rtchat_sessions_user_idx", false, []string{"user_id"}},
	{"rtchat_sessions", "rtchat_sessions_disconnected_idx", false, []string{"disconnected_at"}},
}

func upInit(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, t := range initTables() {
			q := tx.NewCreateTable().Model(t.model).IfNotExists()
			for _, fk := range t.fks {
				q = q.ForeignKey(fk)
			}
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		for _, ix := range initIndexes {
			q := tx.NewCreateIndex().Table(ix.table).Index(ix.name).Column(ix.cols...).IfNotExists()
			if ix.unique {
				q = q.Unique()
			}
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

func downInit(ctx context.Context, db *bun.DB) error {
	tables := initTables()
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := db.NewDropTable().Model(tables[i].model).IfExists().Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
