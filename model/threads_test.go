package model_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// TestThreadsMigrationDown: the threads migration goes down (the columns
// and the read table go, the rows stay) and up again.
func TestThreadsMigrationDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		n := len(model.Migrations().Sorted())
		if err := model.MigrateFirst(ctx, db, n-1); err != nil {
			t.Fatal(err)
		}
		if err := model.Migrate(ctx, db); err != nil { // the threads migration alone, in a group of its own
			t.Fatal(err)
		}
		st := model.NewStore(db)
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		root := send(t, st, r.ID, 1, base)
		reply := newMessage(r.ID, 2, base.Add(time.Second))
		reply.ThreadRootID = &root.ID
		if err := st.InsertMessage(ctx, model.NewMessage{Message: reply}); err != nil {
			t.Fatal(err)
		}
		mg := migrate.NewMigrator(db, model.Migrations(), migrate.WithTableName(model.MigrationsTable),
			migrate.WithLocksTableName(model.MigrationLocksTable))
		group, err := mg.Rollback(ctx)
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if len(group.Migrations) != 1 || group.Migrations[0].Name != "20261203000004" {
			t.Fatalf("rolled back %v, want the threads migration only", group.Migrations)
		}
		if _, err := db.NewRaw("SELECT thread_root_id FROM rtchat_messages").Exec(ctx); err == nil {
			t.Error("thread_root_id survived the down migration")
		}
		if _, err := db.NewRaw("SELECT 1 FROM rtchat_thread_reads").Exec(ctx); err == nil {
			t.Error("rtchat_thread_reads survived the down migration")
		}
		if got := countTable(t, db, "rtchat_messages"); got != 2 {
			t.Errorf("%d messages after the down migration, want 2", got)
		}
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatalf("up again: %v", err)
		}
	})
}

// TestThreadReplyCount: replies stored at once are each counted on the
// root, with a count of their own and no seq skipped; a reply to a
// deleted root or to a thread reply stores nothing.
func TestThreadReplyCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		st := model.NewStore(db)
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		root := send(t, st, r.ID, 1, base)
		const n = 20
		var wg sync.WaitGroup
		counts := make([]int64, n)
		for i := range n {
			wg.Go(func() {
				m := newMessage(r.ID, int64(1+i%2), base.Add(time.Duration(i+1)*time.Millisecond))
				m.ThreadRootID = &root.ID
				acl := int64(0)
				if err := st.InsertMessage(ctx, model.NewMessage{Message: m, IfACLVersion: &acl}); err != nil {
					t.Errorf("reply %d: %v", i, err)
					return
				}
				counts[i] = m.Thread.ReplyCount
			})
		}
		wg.Wait()
		seen := map[int64]bool{}
		for _, c := range counts {
			if c < 1 || c > n || seen[c] {
				t.Fatalf("counts = %v, want each of 1..%d once", counts, n)
			}
			seen[c] = true
		}
		got, err := st.MessageInRoom(ctx, r.ID, root.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ThreadReplyCount != n || got.ThreadLastReplySeq != n+1 {
			t.Fatalf("root = count %d, last seq %d; want %d, %d", got.ThreadReplyCount, got.ThreadLastReplySeq, n, n+1)
		}
		replies, _, err := st.History(ctx, model.HistoryQuery{RoomID: r.ID, ThreadRootID: root.ID, After: true, Limit: 100})
		if err != nil || len(replies) != n {
			t.Fatalf("thread history: %d replies, %v", len(replies), err)
		}

		nested := newMessage(r.ID, 1, base.Add(time.Minute))
		nested.ThreadRootID = &replies[0].ID
		acl := int64(0)
		if err := st.InsertMessage(ctx, model.NewMessage{Message: nested, IfACLVersion: &acl}); !errors.Is(err, model.ErrStale) || nested.Thread != nil {
			t.Fatalf("reply to a thread reply: %v (thread %v), want ErrStale and nothing", err, nested.Thread)
		}
		if err := st.DeleteMessages(ctx, []string{root.ID}, true, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		late := newMessage(r.ID, 1, base.Add(time.Hour))
		late.ThreadRootID = &root.ID
		if err := st.InsertMessage(ctx, model.NewMessage{Message: late, IfACLVersion: &acl}); !errors.Is(err, model.ErrStale) {
			t.Fatalf("reply to a deleted root: %v, want ErrStale", err)
		}
		if m := send(t, st, r.ID, 2, base.Add(2*time.Hour)); m.Seq != n+2 {
			t.Fatalf("next message took seq %d, want %d: a refused reply used a seq", m.Seq, n+2)
		}
	})
}
