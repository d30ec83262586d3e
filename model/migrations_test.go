package model_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

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

// previousRelease is the number of rtchat's migrations in the previous
// release: only the first, 20261125000001_init.
const previousRelease = 1

// oldRows is the data written with plain SQL into a database of the
// previous release, as that schema had it.
type oldRows struct {
	room, other          string // a group with messages, and a second room
	m1, m2, m3, m4       string // messages 1 to 4 of room; m3 replies to m2
	reaction, receipt    string
	session              string
	reactionNotification string
}

// writePreviousRelease fills a database of the previous release: a group of
// three (user 1 the admin) with four messages, a reaction, a read receipt,
// per-recipient notifications of each type, and a session. User 1 is
// notified of nothing but user 2's reaction; user 2 is still to be notified
// of the reply to its message and of m4; user 3 of m1, m2 and m4. The
// members' delivered pointers lag behind, as the old schema let them.
func writePreviousRelease(t *testing.T, db *bun.DB) oldRows {
	t.Helper()
	ctx := t.Context()
	r := oldRows{
		room: uuid.NewString(), other: uuid.NewString(),
		m1: uuid.NewString(), m2: uuid.NewString(), m3: uuid.NewString(), m4: uuid.NewString(),
		reaction: uuid.NewString(), receipt: uuid.NewString(), session: uuid.NewString(),
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	for _, room := range []struct {
		id, name string
		lastSeq  int64
	}{{r.room, "old group", 4}, {r.other, "other group", 0}} {
		exec(`INSERT INTO rtchat_rooms (id, type, name, description, avatar, creator_id, pair_key,
			max_participants, max_subscribers, is_public, join_approval_required, group_locked, property,
			last_seq, created_at, updated_at, last_activity_at)
			VALUES (?, 'group', ?, 'from the first release', '', 1, NULL, 100, 0, ?, ?, ?, '{"topic":"old"}', ?, ?, ?, ?)`,
			room.id, room.name, true, false, false, room.lastSeq, base, base, base.Add(4*time.Second))
	}
	for _, m := range []struct {
		room             string
		user             int64
		role             string
		lastRead, lastDl int64
	}{
		{r.room, 1, model.RoleAdmin, 4, 3},
		{r.room, 2, model.RoleMember, 1, 1},
		{r.room, 3, model.RoleMember, 0, 0},
		{r.other, 1, model.RoleAdmin, 0, 0},
	} {
		exec(`INSERT INTO rtchat_members (room_id, user_id, role, can_add_new_participants, can_remove_participants,
			can_add_new_subscribers, can_remove_subscribers, can_send_messages, last_read_seq, last_delivered_seq, joined_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.room, m.user, m.role, m.role == model.RoleAdmin, false, false, false, true, m.lastRead, m.lastDl, base)
	}
	for i, m := range []struct {
		id       string
		sender   int64
		clientID *string
		parent   *string
	}{
		{r.m1, 1, ptr("c1"), nil},
		{r.m2, 2, nil, nil},
		{r.m3, 1, nil, &r.m2},
		{r.m4, 1, ptr("c4"), nil},
	} {
		at := base.Add(time.Duration(i+1) * time.Second)
		exec(`INSERT INTO rtchat_messages (id, room_id, sender_id, seq, client_msg_id, content, is_edited, is_deleted,
			is_forwarded, forwarded_from_id, parent_message_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
			m.id, r.room, m.sender, i+1, m.clientID, fmt.Sprintf("message %d", i+1), false, false, false, m.parent, at, at)
	}
	exec(`INSERT INTO rtchat_reactions (id, message_id, user_id, reaction_content, created_at) VALUES (?, ?, 2, 'like', ?)`,
		r.reaction, r.m1, base.Add(5*time.Second))
	exec(`INSERT INTO rtchat_read_receipts (id, message_id, reader_id, read_at) VALUES (?, ?, 2, ?)`,
		r.receipt, r.m1, base.Add(5*time.Second))
	for _, n := range []struct {
		msg, typ string
		actor    int64
		to       []int64
	}{
		{r.m1, model.NotifyNewMessage, 1, []int64{3}},
		{r.m2, model.NotifyNewMessage, 2, []int64{3}},
		{r.m3, model.NotifyReply, 1, []int64{2}},
		{r.m4, model.NotifyNewMessage, 1, []int64{2, 3}},
		{r.m1, model.NotifyReaction, 2, []int64{1}},
	} {
		id := uuid.NewString()
		if n.typ == model.NotifyReaction {
			r.reactionNotification = id
		}
		exec(`INSERT INTO rtchat_notifications (id, room_id, message_id, notification_type, actor_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, r.room, n.msg, n.typ, n.actor, base.Add(5*time.Second))
		for _, u := range n.to {
			exec(`INSERT INTO rtchat_notification_recipients (notification_id, user_id) VALUES (?, ?)`, id, u)
		}
	}
	exec(`INSERT INTO rtchat_sessions (id, user_id, node_id, connected_at, last_seen, disconnected_at)
		VALUES (?, 2, 'node-a', ?, ?, NULL)`, r.session, base, base.Add(time.Minute))
	return r
}

// TestMigrateFromPreviousRelease migrates a database created by the
// previous release, with data in it, to the newest schema: the rows survive,
// rooms gain their acl_version, message notifications become the members'
// delivered pointers, and client_msg_id becomes a key per room.
func TestMigrateFromPreviousRelease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		if err := model.MigrateFirst(ctx, db, previousRelease); err != nil {
			t.Fatal(err)
		}
		old := writePreviousRelease(t, db)
		// The previous schema's key: one client_msg_id per sender,
		// whatever the room.
		if _, err := db.ExecContext(ctx, `INSERT INTO rtchat_messages (id, room_id, sender_id, seq, client_msg_id, content,
			is_edited, is_deleted, is_forwarded, created_at, updated_at) VALUES (?, ?, 1, 1, 'c1', 'x', ?, ?, ?, ?, ?)`,
			uuid.NewString(), old.other, false, false, false, base, base); err == nil {
			t.Fatal("the previous schema took a sender's client_msg_id twice: is it the previous schema?")
		}

		if err := model.Migrate(ctx, db); err != nil {
			t.Fatalf("Migrate from the previous release: %v", err)
		}
		if n := countTable(t, db, model.MigrationsTable); n != len(model.Migrations().Sorted()) {
			t.Errorf("%d migrations applied, want %d", n, len(model.Migrations().Sorted()))
		}
		st := model.NewStore(db)

		// The rows survive, and rooms have their acl_version.
		room, err := st.Room(ctx, old.room)
		if err != nil {
			t.Fatal(err)
		}
		if room.Name != "old group" || room.Description != "from the first release" || room.LastSeq != 4 ||
			room.CreatorID == nil || *room.CreatorID != 1 || !room.IsPublic || room.ACLVersion != 0 {
			t.Errorf("room after the migration = %+v", room)
		}
		msgs, _, err := st.History(ctx, model.HistoryQuery{RoomID: old.room, After: true, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LoadMessageRelations(ctx, msgs); err != nil {
			t.Fatal(err)
		}
		if got := seqsOf(msgs); !slices.Equal(got, []int64{1, 2, 3, 4}) {
			t.Fatalf("history seqs after the migration = %v, want 1 2 3 4", got)
		}
		for i, id := range []string{old.m1, old.m2, old.m3, old.m4} {
			if msgs[i].ID != id || msgs[i].Content != fmt.Sprintf("message %d", i+1) {
				t.Errorf("message %d = %s %q, want %s", i+1, msgs[i].ID, msgs[i].Content, id)
			}
		}
		if m1 := msgs[0]; len(m1.Reactions) != 1 || m1.Reactions[0].ID != old.reaction ||
			len(m1.ReadReceipts) != 1 || m1.ReadReceipts[0].ID != old.receipt {
			t.Errorf("m1's reactions %v and receipts %v, want the old ones", m1.Reactions, m1.ReadReceipts)
		}
		if m3 := msgs[2]; m3.ParentMessage == nil || m3.ParentMessage.ID != old.m2 {
			t.Errorf("m3's parent = %v, want m2", m3.ParentMessage)
		}
		sess, err := st.SessionByID(ctx, old.session)
		if err != nil || sess.UserID != 2 || sess.NodeID != "node-a" || sess.DisconnectedAt != nil {
			t.Errorf("session after the migration = %+v, %v", sess, err)
		}

		// Message notifications are now the members' delivered pointers:
		// just below the oldest notification still pending, or the room's
		// last seq for a member notified of nothing.
		for user, want := range map[int64]int64{1: 4, 2: 2, 3: 0} {
			if got := memberOf(t, st, old.room, user).LastDeliveredSeq; got != want {
				t.Errorf("user %d's last_delivered_seq = %d, want %d", user, got, want)
			}
		}
		wantPending := map[int64][]string{
			1: {"REACTION:" + old.m1},
			2: {"REPLY:" + old.m3, "NEW_MESSAGE:" + old.m4},
			3: {"NEW_MESSAGE:" + old.m1, "NEW_MESSAGE:" + old.m2, "REPLY:" + old.m3, "NEW_MESSAGE:" + old.m4},
		}
		for user, want := range wantPending {
			ns, err := st.PendingNotifications(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range ns {
				got = append(got, n.NotificationType+":"+n.MessageID)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("user %d pending after the migration = %v, want %v", user, got, want)
			}
		}
		var left []string
		if err := db.NewSelect().TableExpr("rtchat_notifications").Column("id").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(left, []string{old.reactionNotification}) {
			t.Errorf("notification rows after the migration = %v, want only the reaction's %s", left, old.reactionNotification)
		}

		// client_msg_id is a key per room and sender: the same key in
		// another room is another message, in the same room a conflict;
		// messages without one are not indexed. Sends check acl_version.
		acl := int64(0)
		elsewhere := newMessage(old.other, 1, base.Add(time.Hour))
		elsewhere.ClientMsgID = ptr("c1")
		if err := st.InsertMessage(ctx, model.NewMessage{Message: elsewhere, IfACLVersion: &acl}); err != nil {
			t.Fatalf("c1 in another room after the migration: %v", err)
		}
		again := newMessage(old.room, 1, base.Add(time.Hour))
		again.ClientMsgID = ptr("c4")
		if err := st.InsertMessage(ctx, model.NewMessage{Message: again}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("c4 again in its room after the migration: err = %v, want ErrConflict", err)
		}
		for _, want := range []int64{5, 6} {
			if m := send(t, st, old.room, 2, base.Add(time.Hour)); m.Seq != want {
				t.Errorf("a send after the migration took seq %d, want %d", m.Seq, want)
			}
		}

		// Migrating again changes nothing.
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if got := memberOf(t, st, old.room, 3).LastDeliveredSeq; got != 0 {
			t.Errorf("user 3's last_delivered_seq after a second Migrate = %d, want 0", got)
		}
	})
}
