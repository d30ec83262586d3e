package model_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/pgdb"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

// newStore migrates db and returns a store over it.
func newStore(t testing.TB, db *bun.DB) *model.Store {
	t.Helper()
	if err := model.Migrate(t.Context(), db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return model.NewStore(db)
}

// base is a fixed instant with microseconds, as model.Now stores them.
var base = time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)

func ptr[T any](v T) *T { return &v }

// createRoom stores a room of typ whose first user is the creator and the
// others plain members; the room's activity starts at at.
func createRoom(t testing.TB, st *model.Store, typ string, at time.Time, users ...int64) *model.Room {
	t.Helper()
	room := &model.Room{ID: uuid.NewString(), Type: typ, CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
	members := make([]*model.Member, len(users))
	for i, u := range users {
		role := model.RoleMember
		if i == 0 && typ != model.TypeOneToOne {
			room.CreatorID = ptr(u)
			role = map[string]string{model.TypeGroup: model.RoleAdmin, model.TypeChannel: model.RoleModerator}[typ]
		}
		members[i] = model.NewMember(room.ID, u, role, at.Add(time.Duration(i)*time.Millisecond))
	}
	if typ == model.TypeOneToOne {
		room.PairKey = ptr(model.PairKey(users[0], users[1]))
	} else {
		room.Name = typ
	}
	if err := st.CreateRoom(t.Context(), room, members); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	return room
}

func newMessage(roomID string, sender int64, at time.Time) *model.Message {
	return &model.Message{ID: uuid.NewString(), RoomID: roomID, SenderID: sender, Content: "hello", CreatedAt: at, UpdatedAt: at}
}

// send stores a message and returns it with its seq filled in.
func send(t testing.TB, st *model.Store, roomID string, sender int64, at time.Time) *model.Message {
	t.Helper()
	m := newMessage(roomID, sender, at)
	if err := st.InsertMessage(t.Context(), model.NewMessage{Message: m}); err != nil {
		t.Fatalf("InsertMessage: %v", err)
	}
	return m
}

// roomLastSeq reads rtchat_rooms.last_seq.
func roomLastSeq(t testing.TB, st *model.Store, roomID string) int64 {
	t.Helper()
	r, err := st.Room(t.Context(), roomID)
	if err != nil {
		t.Fatalf("Room: %v", err)
	}
	return r.LastSeq
}

// countRows counts the rows of a model's table.
func countRows(t testing.TB, db bun.IDB, m any) int {
	t.Helper()
	n, err := db.NewSelect().Model(m).Count(t.Context())
	if err != nil {
		t.Fatalf("count %T: %v", m, err)
	}
	return int(n)
}

// countTable counts the rows of a table by name.
func countTable(t testing.TB, db bun.IDB, table string) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Count(t.Context())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

func deleteSoftly(t testing.TB, db bun.IDB, roomID string, seqs ...int64) {
	t.Helper()
	_, err := db.NewUpdate().Model((*model.Message)(nil)).Set("is_deleted = ?", true).
		Where("room_id = ? AND seq IN (?)", roomID, bun.In(seqs)).Exec(t.Context())
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
}

func seqsOf(msgs []*model.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

func memberOf(t testing.TB, st *model.Store, roomID string, userID int64) *model.Member {
	t.Helper()
	m, err := st.Member(t.Context(), roomID, userID)
	if err != nil {
		t.Fatalf("Member(%d): %v", userID, err)
	}
	return m
}

// migrateConcurrently runs Migrate n times at once, one call per handle in
// dbs (round robin), and fails on any error.
func migrateConcurrently(t testing.TB, n int, dbs ...*bun.DB) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- model.Migrate(t.Context(), dbs[i%len(dbs)]) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
}

// assertMigratedOnce checks that each migration is applied once and
// unlocked.
func assertMigratedOnce(t testing.TB, db *bun.DB) {
	t.Helper()
	want := len(model.Migrations().Sorted())
	if n := countTable(t, db, model.MigrationsTable); n != want {
		t.Errorf("%s has %d rows, want %d", model.MigrationsTable, n, want)
	}
	if n := countTable(t, db, model.MigrationLocksTable); n != 0 {
		t.Errorf("%s has %d rows after Migrate, want 0 (lock released)", model.MigrationLocksTable, n)
	}
	st := model.NewStore(db)
	r := createRoom(t, st, model.TypeGroup, base, 1)
	if got := send(t, st, r.ID, 1, base).Seq; got != 1 {
		t.Errorf("first seq after migration = %d, want 1", got)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		for i := range 3 {
			if err := model.Migrate(t.Context(), db); err != nil {
				t.Fatalf("Migrate call %d: %v", i+1, err)
			}
		}
		assertMigratedOnce(t, db)
	})
}

func TestMigrateConcurrentlyOnOneHandle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		migrateConcurrently(t, 2, db)
		assertMigratedOnce(t, db)
	})
}

func TestMigrateConcurrentlyManyCalls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		migrateConcurrently(t, 6, db)
		assertMigratedOnce(t, db)
	})
}

// Two nodes start at once: two handles (two pools) on one database.
func TestMigrateConcurrentlyFromTwoNodes(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			a, b := openTwice(t, kind)
			migrateConcurrently(t, 2, a, b)
			assertMigratedOnce(t, a)
		})
	}
}

// openTwice opens two independent handles on one fresh database.
func openTwice(t testing.TB, kind string) (*bun.DB, *bun.DB) {
	t.Helper()
	open := func() (*bun.DB, error) { return nil, fmt.Errorf("unknown kind %q", kind) }
	switch kind {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "nodes.db")
		open = func() (*bun.DB, error) { return sqlitedb.Open(path) }
	case "postgres":
		dsn := dbtest.PostgresDSN(t)
		open = func() (*bun.DB, error) { return pgdb.Open(dsn) }
	}
	var dbs [2]*bun.DB
	for i := range dbs {
		db, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

func TestPairKeyIsSymmetric(t *testing.T) {
	tests := []struct {
		name string
		a, b int64
		want string
	}{
		{"smaller id first", 1, 2, "1:2"},
		{"larger id first", 2, 1, "1:2"},
		{"ids compared as numbers, not text", 10, 9, "9:10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := model.PairKey(tt.a, tt.b); got != tt.want {
				t.Errorf("PairKey(%d, %d) = %q, want %q", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestCreateRoomAndMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		group := createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		channel := createRoom(t, st, model.TypeChannel, base, 3, 1)

		got, err := st.Room(ctx, group.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != model.TypeGroup || got.CreatorID == nil || *got.CreatorID != 1 || got.PairKey != nil || got.LastSeq != 0 {
			t.Errorf("Room = %+v", got)
		}

		m := memberOf(t, st, group.ID, 1)
		if m.Role != model.RoleAdmin || !m.IsAdmin() || m.LastReadSeq != 0 {
			t.Errorf("creator membership = %+v, want admin with last_read_seq 0", m)
		}
		if m := memberOf(t, st, group.ID, 2); m.Role != model.RoleMember || m.IsAdmin() {
			t.Errorf("member 2 = %+v, want plain member", m)
		}
		if _, err := st.Member(ctx, group.ID, 99); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("Member of a non-member: err = %v, want ErrNotFound", err)
		}

		ms, err := st.Members(ctx, group.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := userIDs(ms); !slices.Equal(got, []int64{1, 2, 3}) {
			t.Errorf("Members = %v, want [1 2 3] oldest first", got)
		}

		r, mem, err := st.RoomAndMember(ctx, channel.ID, 3)
		if err != nil || r.ID != channel.ID || mem == nil || mem.Role != model.RoleModerator {
			t.Errorf("RoomAndMember(member) = %v, %+v, %v", r, mem, err)
		}
		r, mem, err = st.RoomAndMember(ctx, channel.ID, 2)
		if err != nil || r == nil || r.ID != channel.ID || mem != nil {
			t.Errorf("RoomAndMember(non-member) = %v, %+v, %v; want the room, nil member, no error", r, mem, err)
		}
		if _, _, err := st.RoomAndMember(ctx, uuid.NewString(), 1); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("RoomAndMember(unknown room): err = %v, want ErrNotFound", err)
		}

		ids, err := st.UserRoomIDs(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		want := []string{group.ID, channel.ID}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("UserRoomIDs(1) = %v, want %v", ids, want)
		}
		if ids, err := st.UserRoomIDs(ctx, 99); err != nil || len(ids) != 0 {
			t.Errorf("UserRoomIDs(no rooms) = %v, %v; want none", ids, err)
		}
	})
}

func userIDs(ms []*model.Member) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func TestRoomUnknownIsNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		if _, err := st.Room(t.Context(), uuid.NewString()); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("Room(unknown): err = %v, want ErrNotFound", err)
		}
	})
}

func TestCreateRoomDuplicateOneToOne(t *testing.T) {
	tests := []struct {
		name         string
		first, again [2]int64
	}{
		{"same order", [2]int64{1, 2}, [2]int64{1, 2}},
		{"reversed order", [2]int64{1, 2}, [2]int64{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *bun.DB) {
				st := newStore(t, db)
				createRoom(t, st, model.TypeOneToOne, base, tt.first[0], tt.first[1])
				rooms, members := countRows(t, db, (*model.Room)(nil)), countRows(t, db, (*model.Member)(nil))

				dup := &model.Room{ID: uuid.NewString(), Type: model.TypeOneToOne, PairKey: ptr(model.PairKey(tt.again[0], tt.again[1])),
					CreatedAt: base, UpdatedAt: base, LastActivityAt: base}
				err := st.CreateRoom(t.Context(), dup, []*model.Member{
					model.NewMember(dup.ID, tt.again[0], model.RoleMember, base),
					model.NewMember(dup.ID, tt.again[1], model.RoleMember, base),
				})
				if !errors.Is(err, model.ErrConflict) {
					t.Fatalf("second 1:1: err = %v, want ErrConflict", err)
				}
				if n := countRows(t, db, (*model.Room)(nil)); n != rooms {
					t.Errorf("rooms = %d after the conflict, want %d", n, rooms)
				}
				if n := countRows(t, db, (*model.Member)(nil)); n != members {
					t.Errorf("members = %d after the conflict, want %d", n, members)
				}
				if _, err := st.Room(t.Context(), dup.ID); !errors.Is(err, model.ErrNotFound) {
					t.Errorf("the refused room exists: err = %v", err)
				}
			})
		})
	}
}

func TestCreateRoomOtherPairsAndGroupsCoexist(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		createRoom(t, st, model.TypeOneToOne, base, 1, 2)
		createRoom(t, st, model.TypeOneToOne, base, 1, 3)
		// Groups have no pair key: any number of them is fine.
		createRoom(t, st, model.TypeGroup, base, 1, 2)
		createRoom(t, st, model.TypeGroup, base, 1, 2)
		if n := countRows(t, db, (*model.Room)(nil)); n != 4 {
			t.Errorf("rooms = %d, want 4", n)
		}
	})
}

func TestInsertMessageSeqPerRoom(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		a := createRoom(t, st, model.TypeGroup, base, 1, 2)
		b := createRoom(t, st, model.TypeGroup, base, 1, 2)
		var gotA, gotB []int64
		for i, room := range []string{a.ID, a.ID, b.ID, a.ID, b.ID} {
			m := send(t, st, room, 1+int64(i%2), base.Add(time.Duration(i)*time.Second))
			if room == a.ID {
				gotA = append(gotA, m.Seq)
			} else {
				gotB = append(gotB, m.Seq)
			}
		}
		if !slices.Equal(gotA, []int64{1, 2, 3}) || !slices.Equal(gotB, []int64{1, 2}) {
			t.Errorf("seqs: room a %v, room b %v; want [1 2 3] and [1 2]", gotA, gotB)
		}
		if got := roomLastSeq(t, st, a.ID); got != 3 {
			t.Errorf("room a last_seq = %d, want 3", got)
		}
		if got := roomLastSeq(t, st, b.ID); got != 2 {
			t.Errorf("room b last_seq = %d, want 2", got)
		}
		r, err := st.Room(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := base.Add(3 * time.Second); !r.LastActivityAt.Equal(want) {
			t.Errorf("last_activity_at = %v, want the last message's time %v", r.LastActivityAt, want)
		}
	})
}

func TestInsertMessageMovesSenderReadPointer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		send(t, st, r.ID, 1, base)
		send(t, st, r.ID, 1, base)
		m3 := send(t, st, r.ID, 2, base)
		if got := memberOf(t, st, r.ID, 2).LastReadSeq; got != m3.Seq {
			t.Errorf("sender 2 last_read_seq = %d, want %d", got, m3.Seq)
		}
		if got := memberOf(t, st, r.ID, 1).LastReadSeq; got != 2 {
			t.Errorf("user 1 last_read_seq = %d, want 2 (their own last send)", got)
		}
	})
}

func TestInsertMessageUnknownRoom(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		err := st.InsertMessage(t.Context(), model.NewMessage{Message: newMessage(uuid.NewString(), 1, base)})
		if !errors.Is(err, model.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
		if n := countRows(t, db, (*model.Message)(nil)); n != 0 {
			t.Errorf("%d messages stored", n)
		}
	})
}

func TestInsertMessageConcurrentSeqs(t *testing.T) {
	const n = 20
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		senders := []int64{1, 2, 3, 4}
		r := createRoom(t, st, model.TypeGroup, base, senders...)
		other := createRoom(t, st, model.TypeGroup, base, senders...)

		type result struct {
			sender, seq int64
			err         error
		}
		results := make(chan result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				m := newMessage(r.ID, senders[i%len(senders)], base.Add(time.Duration(i)*time.Millisecond))
				err := st.InsertMessage(t.Context(), model.NewMessage{Message: m})
				results <- result{m.SenderID, m.Seq, err}
			})
		}
		close(start)
		wg.Wait()
		close(results)

		var seqs []int64
		maxBySender := map[int64]int64{}
		for res := range results {
			if res.err != nil {
				t.Errorf("InsertMessage: %v", res.err)
				continue
			}
			seqs = append(seqs, res.seq)
			maxBySender[res.sender] = max(maxBySender[res.sender], res.seq)
		}
		slices.Sort(seqs)
		want := make([]int64, n)
		for i := range want {
			want[i] = int64(i + 1)
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("returned seqs = %v, want 1..%d", seqs, n)
		}

		var stored []int64
		if err := db.NewSelect().Model((*model.Message)(nil)).Column("seq").Where("room_id = ?", r.ID).Order("seq ASC").Scan(t.Context(), &stored); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(stored, want) {
			t.Errorf("stored seqs = %v, want 1..%d", stored, n)
		}
		if got := roomLastSeq(t, st, r.ID); got != n {
			t.Errorf("last_seq = %d, want %d", got, n)
		}
		for _, s := range senders {
			if got := memberOf(t, st, r.ID, s).LastReadSeq; got != maxBySender[s] {
				t.Errorf("sender %d last_read_seq = %d, want their highest seq %d", s, got, maxBySender[s])
			}
		}
		if got := roomLastSeq(t, st, other.ID); got != 0 {
			t.Errorf("untouched room last_seq = %d, want 0", got)
		}
	})
}

func TestInsertMessageClientMsgID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		first := newMessage(r.ID, 1, base)
		first.ClientMsgID = ptr("c-1")
		if err := st.InsertMessage(ctx, model.NewMessage{Message: first}); err != nil {
			t.Fatal(err)
		}
		// Another user read up to seq 1.
		if _, err := db.NewUpdate().Model((*model.Member)(nil)).Set("last_read_seq = 1").Where("room_id = ? AND user_id = 2", r.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		dup := newMessage(r.ID, 1, base.Add(time.Second))
		dup.ClientMsgID = ptr("c-1")
		err := st.InsertMessage(ctx, model.NewMessage{
			Message:     dup,
			Attachments: []*model.Attachment{{ID: uuid.NewString(), MediaURL: "https://cdn/x", MediaType: "file", MimeType: "text/plain", CreatedAt: base}},
		})
		if !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate client_msg_id: err = %v, want ErrConflict", err)
		}
		if n := countRows(t, db, (*model.Message)(nil)); n != 1 {
			t.Errorf("messages = %d after the duplicate, want 1", n)
		}
		for _, m := range []any{(*model.Attachment)(nil), (*model.Notification)(nil), (*model.NotificationRecipient)(nil)} {
			if n := countRows(t, db, m); n != 0 {
				t.Errorf("%T rows = %d after the refused insert, want 0", m, n)
			}
		}
		if got := roomLastSeq(t, st, r.ID); got != 1 {
			t.Errorf("last_seq = %d after the duplicate, want 1: a refused message must not consume a seq", got)
		}
		if got := memberOf(t, st, r.ID, 1).LastReadSeq; got != 1 {
			t.Errorf("sender last_read_seq = %d after the duplicate, want 1", got)
		}

		// The next message takes seq 2: no hole.
		if got := send(t, st, r.ID, 2, base.Add(2*time.Second)).Seq; got != 2 {
			t.Errorf("next seq = %d, want 2", got)
		}

		// The same client_msg_id from another sender is another message.
		other := newMessage(r.ID, 2, base.Add(3*time.Second))
		other.ClientMsgID = ptr("c-1")
		if err := st.InsertMessage(ctx, model.NewMessage{Message: other}); err != nil {
			t.Fatalf("same client_msg_id from another sender: %v", err)
		}
		if other.Seq != 3 {
			t.Errorf("other sender's seq = %d, want 3", other.Seq)
		}

		got, err := st.MessageByClientID(ctx, r.ID, 1, "c-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != first.ID || got.Seq != 1 || got.ClientMsgID == nil || *got.ClientMsgID != "c-1" {
			t.Errorf("MessageByClientID(1) = %+v, want the first message", got)
		}
		if got, err := st.MessageByClientID(ctx, r.ID, 2, "c-1"); err != nil || got.ID != other.ID {
			t.Errorf("MessageByClientID(2) = %v, %v; want the other sender's message", got, err)
		}
		if _, err := st.MessageByClientID(ctx, r.ID, 1, "c-2"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("MessageByClientID(unknown): err = %v, want ErrNotFound", err)
		}
	})
}

// Messages without a client_msg_id do not collide with each other.
func TestInsertMessageWithoutClientMsgID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		r := createRoom(t, st, model.TypeGroup, base, 1)
		for range 3 {
			send(t, st, r.ID, 1, base)
		}
		if n := countRows(t, db, (*model.Message)(nil)); n != 3 {
			t.Errorf("messages = %d, want 3", n)
		}
	})
}

func TestInsertMessageRollsBackOnAttachmentFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		attID := uuid.NewString()
		att := func() *model.Attachment {
			return &model.Attachment{ID: attID, MediaURL: "https://cdn/x", MediaType: "file", MimeType: "text/plain", CreatedAt: base}
		}
		// Two attachments with one id: the second insert of the batch fails.
		err := st.InsertMessage(t.Context(), model.NewMessage{Message: newMessage(r.ID, 1, base), Attachments: []*model.Attachment{att(), att()}})
		if !errors.Is(err, model.ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
		if n := countRows(t, db, (*model.Message)(nil)); n != 0 {
			t.Errorf("messages = %d, want 0", n)
		}
		if n := countRows(t, db, (*model.Attachment)(nil)); n != 0 {
			t.Errorf("attachments = %d, want 0", n)
		}
		if got := roomLastSeq(t, st, r.ID); got != 0 {
			t.Errorf("last_seq = %d, want 0", got)
		}
		if got := memberOf(t, st, r.ID, 1).LastReadSeq; got != 0 {
			t.Errorf("sender last_read_seq = %d, want 0", got)
		}
	})
}

func TestInsertMessageAttachmentsAndNotifications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		r := createRoom(t, st, model.TypeGroup, base, 1, 2, 3, 4)
		m1 := newMessage(r.ID, 1, base)
		atts := []*model.Attachment{
			{ID: uuid.NewString(), MediaURL: "https://cdn/a.png", MediaType: "image", MimeType: "image/png", FileSize: 10, Metadata: map[string]any{"w": 640.0}, Caption: "a", CreatedAt: base},
			{ID: uuid.NewString(), MediaURL: "https://cdn/b.pdf", MediaType: "file", MimeType: "application/pdf", CreatedAt: base.Add(time.Second)},
		}
		if err := st.InsertMessage(ctx, model.NewMessage{Message: m1, Attachments: atts}); err != nil {
			t.Fatal(err)
		}
		for _, a := range atts {
			if a.MessageID != m1.ID {
				t.Errorf("attachment message_id = %q, want %q", a.MessageID, m1.ID)
			}
		}
		m2 := newMessage(r.ID, 3, base.Add(time.Minute))
		if err := st.InsertMessage(ctx, model.NewMessage{Message: m2}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name string
			user int64
			want []string // message ids, oldest first
		}{
			{"member gets others' messages above its pointer, oldest first", 2, []string{m1.ID, m2.ID}},
			{"own messages are not notified", 3, []string{m1.ID}},
			{"the first sender gets the later message", 1, []string{m2.ID}},
			{"member who acknowledged both gets nothing", 4, nil},
			{"stranger gets nothing", 99, nil},
		}
		if err := st.MarkDelivered(ctx, 4, []*model.Message{m1, m2}, base); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ns, err := st.PendingNotifications(ctx, tt.user)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, n := range ns {
					if n.Message == nil {
						t.Fatalf("notification %s without its message", n.ID)
					}
					if n.MessageID != n.Message.ID || n.RoomID != r.ID {
						t.Errorf("notification %+v does not match its message", n)
					}
					got = append(got, n.Message.ID)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("notified messages = %v, want %v", got, tt.want)
				}
			})
		}

		ns, err := st.PendingNotifications(ctx, 3)
		if err != nil || len(ns) != 1 {
			t.Fatalf("PendingNotifications(3) = %v, %v", ns, err)
		}
		n := ns[0]
		if n.NotificationType != model.NotifyNewMessage || !n.CreatedAt.Equal(base) {
			t.Errorf("notification = %+v", n)
		}
		msg := n.Message
		if msg.Seq != 1 || msg.SenderID != 1 || len(msg.Attachments) != 2 || msg.Reactions == nil || msg.ReadReceipts == nil || msg.DeliveredTo == nil {
			t.Fatalf("loaded message = %+v", msg)
		}
		a := msg.Attachments[0]
		if a.ID != atts[0].ID || a.MediaURL != "https://cdn/a.png" || a.MimeType != "image/png" || a.FileSize != 10 || a.Caption != "a" ||
			a.Metadata["w"] != 640.0 || !a.CreatedAt.Equal(base) {
			t.Errorf("attachment read back = %+v", a)
		}
		if msg.Attachments[1].ID != atts[1].ID {
			t.Errorf("attachments not in creation order")
		}

		// A message deleted since is no longer notified.
		deleteSoftly(t, db, r.ID, 1)
		ns, err = st.PendingNotifications(ctx, 2)
		if err != nil || len(ns) != 1 || ns[0].Message.ID != m2.ID {
			t.Errorf("after deleting m1, PendingNotifications(2) = %v, %v; want m2 only", ns, err)
		}
	})
}

func TestHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		noise := createRoom(t, st, model.TypeGroup, base, 1)
		for i := range 10 {
			send(t, st, r.ID, 1+int64(i%2), base.Add(time.Duration(i)*time.Second))
			if i < 3 {
				send(t, st, noise.ID, 1, base)
			}
		}
		deleteSoftly(t, db, r.ID, 5)

		tests := []struct {
			name     string
			q        model.HistoryQuery
			want     []int64
			wantMore bool
		}{
			{"newest first with more", model.HistoryQuery{Limit: 3}, []int64{10, 9, 8}, true},
			{"whole history skips the deleted message", model.HistoryQuery{Limit: 50}, []int64{10, 9, 8, 7, 6, 4, 3, 2, 1}, false},
			{"exactly the visible count has no more", model.HistoryQuery{Limit: 9}, []int64{10, 9, 8, 7, 6, 4, 3, 2, 1}, false},
			{"before skips the deleted message", model.HistoryQuery{BeforeSeq: 7, Limit: 2}, []int64{6, 4}, true},
			{"before near the start has no more", model.HistoryQuery{BeforeSeq: 3, Limit: 5}, []int64{2, 1}, false},
			{"before the first is empty", model.HistoryQuery{BeforeSeq: 1, Limit: 5}, []int64{}, false},
			{"after is oldest first", model.HistoryQuery{AfterSeq: 3, Limit: 3}, []int64{4, 6, 7}, true},
			{"after near the end has no more", model.HistoryQuery{AfterSeq: 7, Limit: 5}, []int64{8, 9, 10}, false},
			{"after the last is empty", model.HistoryQuery{AfterSeq: 10, Limit: 5}, []int64{}, false},
			{"after takes precedence over before", model.HistoryQuery{AfterSeq: 8, BeforeSeq: 2, Limit: 5}, []int64{9, 10}, false},
			{"offset pages from the newest", model.HistoryQuery{Limit: 3, Offset: 3}, []int64{7, 6, 4}, true},
			{"last offset page has no more", model.HistoryQuery{Limit: 3, Offset: 6}, []int64{3, 2, 1}, false},
			{"offset past the end is empty", model.HistoryQuery{Limit: 3, Offset: 9}, []int64{}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.RoomID = r.ID
				msgs, more, err := st.History(t.Context(), tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := seqsOf(msgs); !slices.Equal(got, tt.want) || more != tt.wantMore {
					t.Errorf("History(%+v) = %v, more=%v; want %v, more=%v", tt.q, got, more, tt.want, tt.wantMore)
				}
				for _, m := range msgs {
					if m.RoomID != r.ID || m.IsDeleted {
						t.Errorf("message %+v does not belong in the page", m)
					}
					if m.Attachments == nil || m.Reactions == nil || m.ReadReceipts == nil || m.DeliveredTo == nil {
						t.Errorf("message %d relations not loaded", m.Seq)
					}
				}
			})
		}
		t.Run("unknown room is empty", func(t *testing.T) {
			msgs, more, err := st.History(t.Context(), model.HistoryQuery{RoomID: uuid.NewString(), Limit: 5})
			if err != nil || len(msgs) != 0 || more {
				t.Errorf("History(unknown) = %v, %v, %v", msgs, more, err)
			}
		})
	})
}

func TestListRooms(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		dm := createRoom(t, st, model.TypeOneToOne, base, 1, 2)
		group := createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		channel := createRoom(t, st, model.TypeChannel, base, 3, 1)
		empty := createRoom(t, st, model.TypeGroup, base.Add(30*time.Second), 1)
		allDeleted := createRoom(t, st, model.TypeChannel, base, 1)
		createRoom(t, st, model.TypeGroup, base.Add(time.Hour), 2, 3) // not user 1's

		send(t, st, allDeleted.ID, 1, base.Add(10*time.Second))
		deleteSoftly(t, db, allDeleted.ID, 1)
		dmLast := send(t, st, dm.ID, 2, base.Add(time.Minute))
		groupLast := send(t, st, group.ID, 1, base.Add(3*time.Minute))
		send(t, st, group.ID, 2, base.Add(4*time.Minute))
		deleteSoftly(t, db, group.ID, 2)
		chLast := send(t, st, channel.ID, 3, base.Add(2*time.Minute))

		entries, err := st.ListRooms(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			room     string
			last     string
			peer     int64
			lastRead int64
			lastSeq  int64
		}
		var got []row
		for _, e := range entries {
			rw := row{room: e.Room.ID, peer: e.Peer, lastSeq: e.Room.LastSeq}
			if e.LastMessage != nil {
				rw.last = e.LastMessage.ID
				if e.LastMessage.Attachments == nil {
					t.Errorf("room %s: last message relations not loaded", e.Room.Name)
				}
			}
			if e.Member == nil || e.Member.UserID != 1 || e.Member.RoomID != e.Room.ID {
				t.Errorf("room %s: member = %+v, want user 1's membership", e.Room.ID, e.Member)
			} else {
				rw.lastRead = e.Member.LastReadSeq
			}
			got = append(got, rw)
		}
		want := []row{
			{group.ID, groupLast.ID, 0, 1, 2}, // activity 4m; its latest message is deleted
			{channel.ID, chLast.ID, 0, 0, 1},  // 2m
			{dm.ID, dmLast.ID, 2, 0, 1},       // 1m; the peer is set
			{empty.ID, "", 0, 0, 0},           // 30s, no messages
			{allDeleted.ID, "", 0, 1, 1},      // 10s, only a deleted message
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListRooms(1) =\n%v\nwant\n%v", got, want)
		}

		t.Run("peer is the other user for either side", func(t *testing.T) {
			entries, err := st.ListRooms(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Room.ID == dm.ID && e.Peer != 1 {
					t.Errorf("user 2's peer = %d, want 1", e.Peer)
				}
				if e.Room.Type != model.TypeOneToOne && e.Peer != 0 {
					t.Errorf("room %s of type %s has peer %d", e.Room.ID, e.Room.Type, e.Peer)
				}
			}
			if len(entries) != 3 {
				t.Errorf("user 2 has %d rooms, want 3", len(entries))
			}
		})
		t.Run("user with no rooms gets an empty list", func(t *testing.T) {
			entries, err := st.ListRooms(ctx, 99)
			if err != nil {
				t.Fatal(err)
			}
			if entries == nil || len(entries) != 0 {
				t.Errorf("ListRooms(99) = %#v, want an empty, non-nil list", entries)
			}
		})
	})
}

// Activity times that differ only in their fraction of a second sort by time,
// not by their text (SQLite stores times as text).
func TestListRoomsOrdersBySubSecondActivity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		whole := base.Truncate(time.Second)
		offsets := []time.Duration{0, 50 * time.Millisecond, 500 * time.Millisecond, 5 * time.Microsecond, time.Second}
		byOffset := map[time.Duration]string{}
		for _, off := range offsets {
			byOffset[off] = createRoom(t, st, model.TypeGroup, whole.Add(off), 1).ID
		}
		entries, err := st.ListRooms(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Room.ID)
		}
		want := []string{byOffset[time.Second], byOffset[500*time.Millisecond], byOffset[50*time.Millisecond], byOffset[5*time.Microsecond], byOffset[0]}
		if !slices.Equal(got, want) {
			t.Errorf("order = %v, want %v", got, want)
		}
	})
}

func TestLoadMessageRelations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		r := createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		grand := send(t, st, r.ID, 3, base)
		parent := newMessage(r.ID, 2, base.Add(time.Second))
		parent.ParentMessageID = &grand.ID
		if err := st.InsertMessage(ctx, model.NewMessage{Message: parent}); err != nil {
			t.Fatal(err)
		}
		child := newMessage(r.ID, 1, base.Add(2*time.Second))
		child.ParentMessageID = &parent.ID
		if err := st.InsertMessage(ctx, model.NewMessage{Message: child}); err != nil {
			t.Fatal(err)
		}
		fwd := newMessage(r.ID, 1, base.Add(3*time.Second))
		fwd.IsForwarded, fwd.ForwardedFromID = true, &parent.ID
		if err := st.InsertMessage(ctx, model.NewMessage{Message: fwd}); err != nil {
			t.Fatal(err)
		}
		plain := send(t, st, r.ID, 2, base.Add(4*time.Second))

		insert := func(v any) {
			t.Helper()
			if _, err := db.NewInsert().Model(v).Exec(ctx); err != nil {
				t.Fatalf("insert %T: %v", v, err)
			}
		}
		// Inserted out of time order to check the ordering.
		insert(&[]*model.Reaction{
			{ID: uuid.NewString(), MessageID: child.ID, UserID: 3, ReactionContent: "🎉", CreatedAt: base.Add(2 * time.Minute)},
			{ID: uuid.NewString(), MessageID: child.ID, UserID: 2, ReactionContent: "👍", CreatedAt: base.Add(time.Minute)},
			{ID: uuid.NewString(), MessageID: parent.ID, UserID: 1, ReactionContent: "❤", CreatedAt: base},
		})
		insert(&[]*model.ReadReceipt{
			{ID: uuid.NewString(), MessageID: child.ID, ReaderID: 3, ReadAt: base.Add(2 * time.Minute)},
			{ID: uuid.NewString(), MessageID: child.ID, ReaderID: 2, ReadAt: base.Add(time.Minute)},
			{ID: uuid.NewString(), MessageID: parent.ID, ReaderID: 3, ReadAt: base},
		})
		insert(&[]*model.Delivery{
			{MessageID: child.ID, UserID: 3, DeliveredAt: base.Add(2 * time.Minute)},
			{MessageID: child.ID, UserID: 2, DeliveredAt: base.Add(time.Minute)},
			{MessageID: parent.ID, UserID: 1, DeliveredAt: base},
		})
		insert(&[]*model.Attachment{
			{ID: uuid.NewString(), MessageID: child.ID, MediaURL: "https://cdn/2", MediaType: "file", MimeType: "text/csv", Position: 1, CreatedAt: base.Add(time.Minute)},
			{ID: uuid.NewString(), MessageID: child.ID, MediaURL: "https://cdn/1", MediaType: "image", MimeType: "image/gif", CreatedAt: base},
			{ID: uuid.NewString(), MessageID: parent.ID, MediaURL: "https://cdn/p", MediaType: "audio", MimeType: "audio/ogg", CreatedAt: base},
		})

		// Read the messages back bare, as History would before loading.
		load := func(ids ...string) map[string]*model.Message {
			t.Helper()
			msgs, err := st.MessagesByID(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.LoadMessageRelations(ctx, msgs); err != nil {
				t.Fatal(err)
			}
			out := map[string]*model.Message{}
			for _, m := range msgs {
				out[m.ID] = m
			}
			return out
		}
		got := load(child.ID, fwd.ID, plain.ID)

		c := got[child.ID]
		var rx []string
		for _, x := range c.Reactions {
			rx = append(rx, fmt.Sprintf("%d:%s", x.UserID, x.ReactionContent))
		}
		if want := []string{"2:👍", "3:🎉"}; !slices.Equal(rx, want) {
			t.Errorf("reactions = %v, want %v (oldest first)", rx, want)
		}
		var readers []int64
		for _, x := range c.ReadReceipts {
			readers = append(readers, x.ReaderID)
		}
		if want := []int64{2, 3}; !slices.Equal(readers, want) {
			t.Errorf("readers = %v, want %v", readers, want)
		}
		if want := []int64{2, 3}; !slices.Equal(c.DeliveredTo, want) {
			t.Errorf("delivered to = %v, want %v", c.DeliveredTo, want)
		}
		var urls []string
		for _, a := range c.Attachments {
			urls = append(urls, a.MediaURL)
		}
		if want := []string{"https://cdn/1", "https://cdn/2"}; !slices.Equal(urls, want) {
			t.Errorf("attachments = %v, want %v", urls, want)
		}

		p := c.ParentMessage
		if p == nil || p.ID != parent.ID {
			t.Fatalf("parent = %+v, want %s", p, parent.ID)
		}
		if len(p.Reactions) != 1 || len(p.ReadReceipts) != 1 || !slices.Equal(p.DeliveredTo, []int64{1}) || len(p.Attachments) != 1 {
			t.Errorf("parent relations not loaded: %+v", p)
		}
		if p.ParentMessageID == nil || *p.ParentMessageID != grand.ID {
			t.Errorf("parent's parent id = %v, want %s", p.ParentMessageID, grand.ID)
		}
		if p.ParentMessage != nil {
			t.Errorf("parent's own parent loaded (%s): one level only", p.ParentMessage.ID)
		}
		if c.ForwardedFrom != nil {
			t.Errorf("forwarded_from set on a reply")
		}

		f := got[fwd.ID]
		if f.ForwardedFrom == nil || f.ForwardedFrom.ID != parent.ID || f.ParentMessage != nil {
			t.Errorf("forward: forwarded_from = %v, parent = %v", f.ForwardedFrom, f.ParentMessage)
		} else if len(f.ForwardedFrom.Reactions) != 1 || f.ForwardedFrom.ParentMessage != nil {
			t.Errorf("forwarded message: %+v", f.ForwardedFrom)
		}

		pl := got[plain.ID]
		if pl.Attachments == nil || pl.Reactions == nil || pl.ReadReceipts == nil || pl.DeliveredTo == nil ||
			len(pl.Attachments)+len(pl.Reactions)+len(pl.ReadReceipts)+len(pl.DeliveredTo) != 0 {
			t.Errorf("message without relations: want empty, non-nil lists, got %+v", pl)
		}

		if ids := c.UserIDs(); !slices.Contains(ids, 1) || !slices.Contains(ids, 2) || !slices.Contains(ids, 3) {
			t.Errorf("UserIDs = %v, want sender, reactors, readers and the parent's users", ids)
		}

		t.Run("deleted parent is not loaded", func(t *testing.T) {
			deleteSoftly(t, db, r.ID, parent.Seq)
			c := load(child.ID)[child.ID]
			if c.ParentMessage != nil {
				t.Errorf("deleted parent loaded: %+v", c.ParentMessage)
			}
		})
		t.Run("no messages is a no-op", func(t *testing.T) {
			if err := st.LoadMessageRelations(ctx, nil); err != nil {
				t.Error(err)
			}
		})
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		sess := &model.Session{ID: uuid.NewString(), UserID: 7, NodeID: "node-a", ConnectedAt: base, LastSeen: base}
		if err := st.StartSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		got, err := st.SessionByID(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != 7 || got.NodeID != "node-a" || !got.ConnectedAt.Equal(base) || !got.LastSeen.Equal(base) || got.DisconnectedAt != nil {
			t.Errorf("started session = %+v", got)
		}
		if err := st.StartSession(ctx, &model.Session{ID: sess.ID, UserID: 8, NodeID: "b", ConnectedAt: base, LastSeen: base}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second session with one id: err = %v, want ErrConflict", err)
		}

		touched := base.Add(30 * time.Second)
		if err := st.TouchSession(ctx, sess.ID, touched); err != nil {
			t.Fatal(err)
		}
		got, err = st.SessionByID(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.LastSeen.Equal(touched) || !got.ConnectedAt.Equal(base) || got.DisconnectedAt != nil {
			t.Errorf("touched session = %+v, want last_seen %v", got, touched)
		}

		// last_seen never moves back.
		if err := st.TouchSession(ctx, sess.ID, base.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, _ = st.SessionByID(ctx, sess.ID); !got.LastSeen.Equal(touched) {
			t.Errorf("last_seen moved back to %v, want %v", got.LastSeen, touched)
		}

		seen, ended := base.Add(50*time.Second), base.Add(time.Minute)
		if err := st.EndSession(ctx, sess.ID, seen, ended); err != nil {
			t.Fatal(err)
		}
		got, err = st.SessionByID(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisconnectedAt == nil || !got.DisconnectedAt.Equal(ended) || !got.LastSeen.Equal(seen) {
			t.Errorf("ended session = %+v, want disconnected_at %v and last_seen %v", got, ended, seen)
		}

		if _, err := st.SessionByID(ctx, uuid.NewString()); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("SessionByID(unknown): err = %v, want ErrNotFound", err)
		}

		// EndSessions marks many at once, each with its own last_seen.
		var ends []model.SessionEnd
		for i := range 3 {
			s := &model.Session{ID: uuid.NewString(), UserID: 8, NodeID: "node-a", ConnectedAt: base, LastSeen: base}
			if err := st.StartSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			ends = append(ends, model.SessionEnd{ID: s.ID, LastSeen: base.Add(time.Duration(i) * time.Second)})
		}
		if err := st.EndSessions(ctx, ends, ended); err != nil {
			t.Fatal(err)
		}
		for _, e := range ends {
			got, err := st.SessionByID(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.DisconnectedAt == nil || !got.DisconnectedAt.Equal(ended) || !got.LastSeen.Equal(e.LastSeen) {
				t.Errorf("batch-ended session = %+v, want disconnected_at %v and last_seen %v", got, ended, e.LastSeen)
			}
		}
		if err := st.EndSessions(ctx, nil, ended); err != nil {
			t.Errorf("EndSessions(nil) = %v", err)
		}
	})
}

func TestSessionSweepQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		at := func(d time.Duration) time.Time { return base.Add(d) }
		rows := map[string]*model.Session{
			"crashed":         {NodeID: "n1", ConnectedAt: at(-time.Hour), LastSeen: at(-30 * time.Minute)},
			"live":            {NodeID: "n1", ConnectedAt: at(0), LastSeen: at(0)},
			"other node":      {NodeID: "n2", ConnectedAt: at(-time.Hour), LastSeen: at(-time.Minute)},
			"ended long ago":  {NodeID: "n2", ConnectedAt: at(-48 * time.Hour), LastSeen: at(-47 * time.Hour), DisconnectedAt: ptr(at(-47 * time.Hour))},
			"ended recently":  {NodeID: "n2", ConnectedAt: at(-2 * time.Hour), LastSeen: at(-time.Hour), DisconnectedAt: ptr(at(-time.Hour))},
			"open and frozen": {NodeID: "n3", ConnectedAt: at(-50 * time.Hour), LastSeen: at(-49 * time.Hour)},
		}
		ids := map[string]string{}
		for name, r := range rows {
			r.ID, r.UserID = uuid.NewString(), 1
			ids[name] = r.ID
			if err := st.StartSession(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// n1 restarts at base: its row opened before then is a crash's.
		if n, err := st.EndNodeSessions(ctx, "n1", at(0)); err != nil || n != 1 {
			t.Fatalf("EndNodeSessions = %d, %v; want 1", n, err)
		}
		got, _ := st.SessionByID(ctx, ids["crashed"])
		if got.DisconnectedAt == nil || !got.DisconnectedAt.Equal(rows["crashed"].LastSeen) {
			t.Errorf("crashed row = %+v, want disconnected at its last_seen", got)
		}
		for _, name := range []string{"live", "other node"} {
			if got, _ := st.SessionByID(ctx, ids[name]); got.DisconnectedAt != nil {
				t.Errorf("%s row marked disconnected", name)
			}
		}
		// Retention 24h: rows ended before base-24h go, and open rows not
		// refreshed since then.
		n, err := st.DeleteOldSessions(ctx, at(-24*time.Hour), at(-24*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("DeleteOldSessions = %d, %v; want 2", n, err)
		}
		for name, id := range ids {
			_, err := st.SessionByID(ctx, id)
			gone := errors.Is(err, model.ErrNotFound)
			if want := name == "ended long ago" || name == "open and frozen"; gone != want {
				t.Errorf("%s: deleted = %v, want %v (err %v)", name, gone, want, err)
			}
		}
		// LastSeen takes each user's latest row; users without rows are left out.
		if err := st.StartSession(ctx, &model.Session{ID: uuid.NewString(), UserID: 2, NodeID: "n1", ConnectedAt: at(0), LastSeen: at(time.Second)}); err != nil {
			t.Fatal(err)
		}
		seen, err := st.LastSeen(ctx, []int64{1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 2 || !seen[1].Equal(at(0)) || !seen[2].Equal(at(time.Second)) {
			t.Errorf("LastSeen = %v, want 1: %v, 2: %v", seen, at(0), at(time.Second))
		}
		if seen, err := st.LastSeen(ctx, nil); err != nil || len(seen) != 0 {
			t.Errorf("LastSeen(nil) = %v, %v", seen, err)
		}
	})
}

func TestCoMembersAndSharingRoom(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		createRoom(t, st, model.TypeGroup, base, 1, 2, 4) // 2 shares two rooms with 1
		createRoom(t, st, model.TypeOneToOne, base, 1, 5)
		createRoom(t, st, model.TypeGroup, base, 6, 7) // no room with 1
		co, err := st.CoMembers(ctx, []int64{1, 6, 9})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(co[1], []int64{2, 3, 4, 5}) || !slices.Equal(co[6], []int64{7}) || len(co) != 2 {
			t.Errorf("CoMembers(1, 6, 9) = %v; want 1: [2 3 4 5] (each once), 6: [7], and 9 left out", co)
		}
		// Users asked about together are not each other's co-members.
		co, err = st.CoMembers(ctx, []int64{1, 2, 7})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(co[1], []int64{3, 4, 5}) || !slices.Equal(co[2], []int64{3, 4}) || !slices.Equal(co[7], []int64{6}) || len(co) != 3 {
			t.Errorf("CoMembers(1, 2, 7) = %v; want 1: [3 4 5], 2: [3 4], 7: [6]", co)
		}
		if co, err := st.CoMembers(ctx, nil); err != nil || len(co) != 0 {
			t.Errorf("CoMembers(nil) = %v, %v", co, err)
		}
		got, err := st.SharingRoom(ctx, 1, []int64{7, 2, 5, 1, 99})
		if err != nil || !slices.Equal(got, []int64{1, 2, 5}) {
			t.Errorf("SharingRoom(1, ...) = %v, %v; want [1 2 5]", got, err)
		}
		if got, err := st.SharingRoom(ctx, 9, []int64{1, 9}); err != nil || len(got) != 0 {
			t.Errorf("SharingRoom(no rooms) = %v, %v", got, err)
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	now := model.Now()
	if now.Nanosecond()%1000 != 0 || now.Location() != time.UTC {
		t.Fatalf("model.Now() = %v, want UTC with microsecond precision", now)
	}
	tests := []struct {
		name string
		at   time.Time
	}{
		{"model.Now", now},
		{"model.Now in another zone", now.In(time.FixedZone("UTC+5:30", 5*3600+1800))},
		{"microseconds", base},
		{"whole seconds", base.Truncate(time.Second)},
		{"one microsecond", base.Truncate(time.Second).Add(time.Microsecond)},
		{"before 1970", time.Date(1960, 1, 2, 3, 4, 5, 6000, time.UTC)},
	}
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := t.Context()
				at := tt.at
				sess := &model.Session{ID: uuid.NewString(), UserID: 1, NodeID: "n", ConnectedAt: at, LastSeen: at, DisconnectedAt: &at}
				if err := st.StartSession(ctx, sess); err != nil {
					t.Fatal(err)
				}
				gotSess, err := st.SessionByID(ctx, sess.ID)
				if err != nil {
					t.Fatal(err)
				}
				r := createRoom(t, st, model.TypeGroup, at, 1)
				m := send(t, st, r.ID, 1, at)
				gotRoom, err := st.Room(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				msgs, err := st.MessagesByID(ctx, []string{m.ID})
				if err != nil || len(msgs) != 1 {
					t.Fatalf("MessagesByID = %v, %v", msgs, err)
				}
				for what, got := range map[string]time.Time{
					"session connected_at": gotSess.ConnectedAt, "session last_seen": gotSess.LastSeen, "session disconnected_at": *gotSess.DisconnectedAt,
					"room created_at": gotRoom.CreatedAt, "room last_activity_at": gotRoom.LastActivityAt,
					"message created_at": msgs[0].CreatedAt, "message updated_at": msgs[0].UpdatedAt,
				} {
					if !got.Equal(at) {
						t.Errorf("%s = %v, want %v", what, got, at)
					}
				}
			})
		}
	})
}
