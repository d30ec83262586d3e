package model_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

// TestNotificationPointersMigration: message notifications stored per
// recipient by the older schema become pointers without losing any: every
// message a member was still to be notified of is still pending after the
// migration, reaction notifications keep their rows, and a member with
// nothing pending has seen everything.
func TestNotificationPointersMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		if err := model.MigrateFirst(ctx, db, 2); err != nil {
			t.Fatal(err)
		}
		st := model.NewStore(db)
		r := createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		m1 := send(t, st, r.ID, 1, base)
		m2 := send(t, st, r.ID, 1, base.Add(1))
		m3 := send(t, st, r.ID, 2, base.Add(2))
		// The old schema's rows: user 2 still waits for m2 (m1 was
		// acknowledged), user 3 for m1, m2 and m3, user 1 for m3 and for a
		// reaction to m1.
		old := []struct {
			msg   *model.Message
			typ   string
			actor int64
			users []int64
		}{
			{m1, model.NotifyNewMessage, 1, []int64{3}},
			{m2, model.NotifyNewMessage, 1, []int64{2, 3}},
			{m3, model.NotifyNewMessage, 2, []int64{1, 3}},
			{m1, model.NotifyReaction, 3, []int64{1}},
		}
		for _, o := range old {
			id := uuid.NewString()
			if _, err := db.NewRaw(`INSERT INTO rtchat_notifications (id, room_id, message_id, notification_type, actor_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, id, r.ID, o.msg.ID, o.typ, o.actor, o.msg.CreatedAt).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			for _, u := range o.users {
				if _, err := db.NewRaw(`INSERT INTO rtchat_notification_recipients (notification_id, user_id) VALUES (?, ?)`, id, u).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		want := map[int64][]string{
			1: {"NEW_MESSAGE:" + m3.ID, "REACTION:" + m1.ID},
			2: {"NEW_MESSAGE:" + m2.ID},
			3: {"NEW_MESSAGE:" + m1.ID, "NEW_MESSAGE:" + m2.ID, "NEW_MESSAGE:" + m3.ID},
		}
		for user, w := range want {
			ns, err := st.PendingNotifications(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range ns {
				got = append(got, n.NotificationType+":"+n.MessageID)
			}
			slices.Sort(got)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("user %d pending after the migration = %v, want %v", user, got, w)
			}
		}
		if n := countRows(t, db, (*model.Notification)(nil)); n != 1 {
			t.Errorf("%d notification rows after the migration, want 1 (the reaction's)", n)
		}
	})
}
