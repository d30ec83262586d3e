package model_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

// TestMuteIsCheckedByTheWrites: a mute row written straight into the
// database (as another node's room.mute would, without this store knowing)
// makes every write of the muted user refuse with ErrMuted in its own
// statement or transaction, even with the room's acl_version unchanged;
// an expired mute does not, and a store with moderation off ignores them.
func TestMuteIsCheckedByTheWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		newStore(t, db) // migrates
		st := model.NewStore(db, model.WithModeration(true))
		r := createRoom(t, st, model.TypeGroup, base, 1, 2)
		now := model.Now()
		own := newMessage(r.ID, 2, now)
		if err := st.InsertMessage(ctx, model.NewMessage{Message: own}); err != nil {
			t.Fatal(err)
		}
		room, err := st.Room(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		mute := func(until *time.Time) {
			t.Helper()
			if _, err := db.NewDelete().Model((*model.Mute)(nil)).Where("room_id = ?", r.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			m := &model.Mute{RoomID: r.ID, UserID: 2, ExpiresAt: until, MutedBy: 1, CreatedAt: now}
			if _, err := db.NewInsert().Model(m).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		writes := map[string]func(st *model.Store) error{
			"InsertMessage": func(st *model.Store) error {
				return st.InsertMessage(ctx, model.NewMessage{Message: newMessage(r.ID, 2, model.Now()), IfACLVersion: &room.ACLVersion})
			},
			"InsertMessage without a version": func(st *model.Store) error {
				return st.InsertMessage(ctx, model.NewMessage{Message: newMessage(r.ID, 2, model.Now())})
			},
			"AddReaction": func(st *model.Store) error {
				_, err := st.AddReaction(ctx, &model.Reaction{ID: uuid.NewString(), MessageID: own.ID, UserID: 2, ReactionContent: "x", CreatedAt: model.Now()}, own, nil)
				return err
			},
			"RemoveReaction": func(st *model.Store) error {
				_, err := st.RemoveReaction(ctx, own.ID, 2)
				return err
			},
			"EditMessage": func(st *model.Store) error {
				cp := *own
				return st.EditMessage(ctx, &cp, "edited", model.Now())
			},
		}
		future := now.Add(time.Hour)
		mute(&future)
		for name, w := range writes {
			if err := w(st); !errors.Is(err, model.ErrMuted) {
				t.Errorf("%s while muted: %v, want ErrMuted", name, err)
			}
		}
		del := model.DeleteBy{RoomID: r.ID, ActorID: 2, Messages: []*model.Message{own}, Now: model.Now()}
		if err := st.DeleteMessagesBy(ctx, del); !errors.Is(err, model.ErrMuted) {
			t.Errorf("DeleteMessagesBy while muted: %v, want ErrMuted", err)
		}
		mute(nil) // until unmuted
		if err := writes["InsertMessage"](st); !errors.Is(err, model.ErrMuted) {
			t.Errorf("InsertMessage while muted for good: %v", err)
		}
		if err := writes["InsertMessage"](model.NewStore(db)); err != nil {
			t.Errorf("InsertMessage with moderation off: %v", err)
		}
		past := now.Add(-time.Second)
		mute(&past)
		for name, w := range writes {
			if err := w(st); err != nil {
				t.Errorf("%s after the mute's end: %v", name, err)
			}
		}
	})
}

// TestBanIsCheckedByAddMembers: a ban row refuses the addition of the
// banned user inside the room's transaction; an expired one does not.
func TestBanIsCheckedByAddMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		newStore(t, db)
		st := model.NewStore(db, model.WithModeration(true))
		r := createRoom(t, st, model.TypeChannel, base, 1)
		now := model.Now()
		soon, past := now.Add(time.Hour), now.Add(-time.Second)
		for _, b := range []*model.Ban{{RoomID: r.ID, UserID: 2, ExpiresAt: &soon, BannedBy: 1, CreatedAt: now}, {RoomID: r.ID, UserID: 3, ExpiresAt: &past, BannedBy: 1, CreatedAt: now}} {
			if _, err := db.NewInsert().Model(b).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		add := func(ids ...int64) error {
			return st.RoomTx(ctx, r.ID, func(ctx context.Context, tx *model.RoomTx) error {
				ms := make([]*model.Member, len(ids))
				for i, id := range ids {
					ms[i] = model.NewMember(r.ID, id, model.RoleMember, now)
				}
				return tx.AddMembers(ctx, ms)
			})
		}
		var be *model.BannedError
		if err := add(3, 2); !errors.As(err, &be) || !errors.Is(err, model.ErrBanned) || len(be.UserIDs) != 1 || be.UserIDs[0] != 2 {
			t.Fatalf("adding a banned user: %v", err)
		}
		if ids, _ := st.MemberIDs(ctx, r.ID); len(ids) != 1 {
			t.Fatalf("members after the refusal = %v, want the creator alone", ids)
		}
		if err := add(3); err != nil {
			t.Fatalf("adding a user whose ban ended: %v", err)
		}
	})
}
