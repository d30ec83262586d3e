package model_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// TestSearchMigration: the search migration indexes the messages already
// stored (their text, not their markup; deleted ones never), searches see
// only the rooms of the searcher, and its down removes every trace of it,
// after which it applies again.
func TestSearchMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		if err := model.MigrateFirst(ctx, db, 3); err != nil {
			t.Fatal(err)
		}
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, query, args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		mine, theirs := uuid.NewString(), uuid.NewString()
		for _, r := range []struct {
			id   string
			user int64
		}{{mine, 1}, {theirs, 2}} {
			exec(`INSERT INTO rtchat_rooms (id, type, name, description, avatar, creator_id, pair_key,
				max_participants, max_subscribers, is_public, join_approval_required, group_locked, property,
				last_seq, created_at, updated_at, last_activity_at)
				VALUES (?, 'group', 'g', '', '', ?, NULL, 100, 0, ?, ?, ?, '{}', 3, ?, ?, ?)`,
				r.id, r.user, false, false, false, base, base, base)
			exec(`INSERT INTO rtchat_members (room_id, user_id, role, can_add_new_participants, can_remove_participants,
				can_add_new_subscribers, can_remove_subscribers, can_send_messages, last_read_seq, last_delivered_seq, joined_at)
				VALUES (?, ?, 'admin', ?, ?, ?, ?, ?, 0, 0, ?)`, r.id, r.user, true, false, false, false, true, base)
		}
		ids := map[string]string{}
		for i, m := range []struct {
			name, room, content string
			deleted             bool
		}{
			{"kept", mine, `an <b>ancient</b> <a href="https://scroll.example/">map</a>`, false},
			{"deleted", mine, "ancient ruins", true},
			{"other", mine, "nothing to see", false},
			{"theirs", theirs, "ancient coins", false},
		} {
			ids[m.name] = uuid.NewString()
			at := base.Add(time.Duration(i+1) * time.Second)
			exec(`INSERT INTO rtchat_messages (id, room_id, sender_id, seq, client_msg_id, content, is_edited, is_deleted,
				is_forwarded, forwarded_from_id, parent_message_id, created_at, updated_at)
				VALUES (?, ?, 1, ?, NULL, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
				ids[m.name], m.room, i+1, m.content, false, m.deleted, false, at, at)
		}
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		st := model.NewStore(db)
		search := func(user int64, text string) []string {
			t.Helper()
			hits, _, err := st.SearchMessages(ctx, model.SearchQuery{UserID: user, Text: text, Limit: 10})
			if err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Message.ID)
			}
			return got
		}
		for _, c := range []struct {
			user int64
			text string
			want []string
		}{
			{1, "ancient", []string{ids["kept"]}},
			{1, "MAP", []string{ids["kept"]}},
			{1, "scroll", nil}, // a link's address is markup, not text
			{1, "href", nil},
			{1, "ruins", nil}, // deleted
			{2, "ancient", []string{ids["theirs"]}},
		} {
			if got := search(c.user, c.text); !slices.Equal(got, c.want) {
				t.Errorf("user %d searching %q after the migration = %v, want %v", c.user, c.text, got, c.want)
			}
		}

		if err := model.RollbackLast(ctx, db); err != nil {
			t.Fatal(err)
		}
		var n int
		if db.Dialect().Name() == dialect.PG {
			err := db.NewRaw(`SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()
				AND table_name = 'rtchat_messages' AND column_name = 'search_vector'`).Scan(ctx, &n)
			if err != nil {
				t.Fatal(err)
			}
		} else if err := db.NewRaw(`SELECT count(*) FROM sqlite_master WHERE name LIKE 'rtchat_message%search%' OR name LIKE 'rtchat_messages_fts%'`).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d search columns, tables or triggers left after the down migration", n)
		}
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatalf("migrate again after the down: %v", err)
		}
		if got := search(1, "ancient"); !slices.Equal(got, []string{ids["kept"]}) {
			t.Errorf("searching after migrating again = %v", got)
		}
	})
}
