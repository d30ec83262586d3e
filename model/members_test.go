package model_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

func TestRoomTxUnknownRoom(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		called := false
		err := st.RoomTx(t.Context(), uuid.NewString(), func(context.Context, *model.RoomTx) error { called = true; return nil })
		if !errors.Is(err, model.ErrNotFound) || called {
			t.Fatalf("RoomTx(unknown) = %v, fn called %v; want ErrNotFound, not called", err, called)
		}
	})
}

func TestRoomTxMembership(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		r := createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		other := createRoom(t, st, model.TypeGroup, base, 1, 2)

		err := st.RoomTx(ctx, r.ID, func(ctx context.Context, tx *model.RoomTx) error {
			if tx.Room.ID != r.ID || tx.Room.Type != model.TypeGroup {
				t.Errorf("tx.Room = %+v", tx.Room)
			}
			if n, err := tx.CountMembers(ctx); err != nil || n != 3 {
				t.Errorf("CountMembers = %d, %v; want 3", n, err)
			}
			ms, err := tx.Memberships(ctx, []int64{2, 9, 3})
			if err != nil || !slices.Equal(userIDs(ms), []int64{2, 3}) {
				t.Errorf("Memberships(2, 9, 3) = %v, %v; want 2 and 3", userIDs(ms), err)
			}
			if err := tx.AddMembers(ctx, []*model.Member{model.NewMember(r.ID, 4, model.RoleMember, base)}); err != nil {
				return err
			}
			if err := tx.SetRole(ctx, []int64{2}, model.RoleAdmin); err != nil {
				return err
			}
			// A name that is not a grant is never a column.
			if err := tx.SetGrants(ctx, []int64{3}, []string{model.GrantRemoveParticipants, "role", "x = 1; DROP TABLE rtchat_rooms"}, true); err != nil {
				return err
			}
			if n, err := tx.RemoveMembers(ctx, []int64{4, 9}); err != nil || n != 1 {
				t.Errorf("RemoveMembers(4, 9) = %d, %v; want 1", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if m := memberOf(t, st, r.ID, 2); m.Role != model.RoleAdmin {
			t.Errorf("member 2 role = %q", m.Role)
		}
		if m := memberOf(t, st, r.ID, 3); !m.CanRemoveParticipants || m.CanAddNewParticipants || m.Role != model.RoleMember {
			t.Errorf("member 3 = %+v, want only can_remove_participants", m)
		}
		if m := memberOf(t, st, other.ID, 2); m.Role != model.RoleMember {
			t.Errorf("the other room's member changed: %+v", m)
		}

		// A second membership of the same user is a conflict, and an error
		// rolls the whole transaction back.
		err = st.RoomTx(ctx, r.ID, func(ctx context.Context, tx *model.RoomTx) error {
			if err := tx.SetRole(ctx, []int64{3}, model.RoleAdmin); err != nil {
				return err
			}
			return tx.AddMembers(ctx, []*model.Member{model.NewMember(r.ID, 2, model.RoleMember, base)})
		})
		if !errors.Is(err, model.ErrConflict) {
			t.Fatalf("adding a member twice: %v, want ErrConflict", err)
		}
		if m := memberOf(t, st, r.ID, 3); m.Role != model.RoleMember {
			t.Errorf("rolled back role change kept: %+v", m)
		}

		// Join requests: recorded once, removed with the membership.
		var created []bool
		err = st.RoomTx(ctx, r.ID, func(ctx context.Context, tx *model.RoomTx) error {
			for range 2 {
				ok, err := tx.AddJoinRequest(ctx, 7, base)
				if err != nil {
					return err
				}
				created = append(created, ok)
			}
			return nil
		})
		if err != nil || !slices.Equal(created, []bool{true, false}) {
			t.Fatalf("AddJoinRequest twice = %v, %v; want new, then not", created, err)
		}
		err = st.RoomTx(ctx, r.ID, func(ctx context.Context, tx *model.RoomTx) error { return tx.DeleteJoinRequests(ctx, []int64{7}) })
		if err != nil || countRows(t, db, (*model.JoinRequest)(nil)) != 0 {
			t.Fatalf("DeleteJoinRequests: %v, %d left", err, countRows(t, db, (*model.JoinRequest)(nil)))
		}
	})
}

// TestRoomTxDelete deletes a room with something in every table that hangs
// off it, on SQLite with foreign keys off too: the delete must not rely on
// cascades.
func TestRoomTxDelete(t *testing.T) {
	for _, kind := range append(dbtest.Kinds, "sqlite without foreign keys") {
		t.Run(kind, func(t *testing.T) {
			var db *bun.DB
			if kind == "sqlite without foreign keys" {
				db = dbtest.Open(t, "sqlite")
				if _, err := db.Exec("PRAGMA foreign_keys = OFF"); err != nil {
					t.Fatal(err)
				}
			} else {
				db = dbtest.Open(t, kind)
			}
			st := newStore(t, db)
			ctx := t.Context()
			doomed := createRoom(t, st, model.TypeGroup, base, 1, 2)
			kept := createRoom(t, st, model.TypeGroup, base, 1, 2)
			fill := func(roomID string) {
				m := newMessage(roomID, 1, base)
				att := &model.Attachment{ID: uuid.NewString(), MediaURL: "https://cdn/a.png", MediaType: "image", MimeType: "image/png", CreatedAt: base}
				if err := st.InsertMessage(ctx, model.NewMessage{Message: m, Attachments: []*model.Attachment{att}}); err != nil {
					t.Fatal(err)
				}
				rows := []any{
					&model.Reaction{ID: uuid.NewString(), MessageID: m.ID, UserID: 2, ReactionContent: "+1", CreatedAt: base},
					&model.ReadReceipt{ID: uuid.NewString(), MessageID: m.ID, ReaderID: 2, ReadAt: base},
					&model.Delivery{MessageID: m.ID, UserID: 2, DeliveredAt: base},
					&model.MessageEdit{ID: uuid.NewString(), MessageID: m.ID, Content: "old", EditedAt: base},
					&model.JoinRequest{RoomID: roomID, UserID: 5, CreatedAt: base},
				}
				for _, row := range rows {
					if _, err := db.NewInsert().Model(row).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			fill(doomed.ID)
			fill(kept.ID)
			tables := []any{(*model.Room)(nil), (*model.Member)(nil), (*model.Message)(nil), (*model.Attachment)(nil),
				(*model.Reaction)(nil), (*model.ReadReceipt)(nil), (*model.Delivery)(nil), (*model.MessageEdit)(nil),
				(*model.Notification)(nil), (*model.NotificationRecipient)(nil), (*model.JoinRequest)(nil)}
			before := make([]int, len(tables))
			for i, m := range tables {
				before[i] = countRows(t, db, m)
			}
			err := st.RoomTx(ctx, doomed.ID, func(ctx context.Context, tx *model.RoomTx) error { return tx.Delete(ctx) })
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range tables {
				if got := countRows(t, db, m); got*2 != before[i] {
					t.Errorf("%T: %d rows after, %d before; want half (the other room's)", m, got, before[i])
				}
			}
			if _, err := st.Room(ctx, doomed.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("deleted room: %v", err)
			}
		})
	}
}
