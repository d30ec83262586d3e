package handler_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
)

// userEvents records what handlers send to users; the other Outbox methods
// are not used by presence announcements.
type userEvents struct {
	handler.Outbox
	sent map[int64][]handler.PresenceUser
}

func (o *userEvents) User(_ context.Context, eventType string, data any, userIDs ...int64) error {
	if eventType != protocol.DispatchPresence {
		panic("unexpected event " + eventType)
	}
	for _, u := range userIDs {
		if _, dup := o.sent[u]; dup {
			panic("a recipient was told twice")
		}
		o.sent[u] = data.(handler.PresenceData).Users
	}
	return nil
}

func TestPresenceChangedTellsEachCoMemberOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		store := model.NewStore(db)
		now := model.Now()
		for _, members := range [][]int64{{1, 2, 3}, {1, 4}, {1, 3}, {5, 6}} {
			room := &model.Room{ID: uuid.NewString(), Type: model.TypeGroup, Name: "g", CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
			var ms []*model.Member
			for _, u := range members {
				ms = append(ms, model.NewMember(room.ID, u, model.RoleMember, now))
			}
			if err := store.CreateRoom(ctx, room, ms); err != nil {
				t.Fatal(err)
			}
		}
		seen := now.Add(-time.Minute)
		one := handler.PresenceUser{UserID: 1, Online: false, LastSeen: &seen}
		two := handler.PresenceUser{UserID: 2, Online: false, LastSeen: &seen}
		oneOn := handler.PresenceUser{UserID: 1, Online: true, LastSeen: &now}
		twoOn := handler.PresenceUser{UserID: 2, Online: true, LastSeen: &now}

		for name, tc := range map[string]struct {
			changes []handler.PresenceUser
			want    map[int64][]int64 // recipient -> users it hears about
			limit   int               // Settings.PresencePushLimit
		}{
			"two users coming online together hear of each other": {changes: []handler.PresenceUser{oneOn, twoOn},
				want: map[int64][]int64{1: {2}, 2: {1}, 3: {1, 2}, 4: {1}}},
			"a room above the push limit pushes nothing": {changes: []handler.PresenceUser{oneOn}, limit: 2,
				want: map[int64][]int64{3: {1}, 4: {1}}}, // 2 shares only the 3-member room with 1
			"one user: every co-member once": {[]handler.PresenceUser{one}, map[int64][]int64{2: {1}, 3: {1}, 4: {1}}, 0},
			"two users going offline together": {[]handler.PresenceUser{one, two},
				map[int64][]int64{3: {1, 2}, 4: {1}}, 0},
			"no co-members: nothing sent": {[]handler.PresenceUser{{UserID: 9}}, map[int64][]int64{}, 0},
		} {
			t.Run(name, func(t *testing.T) {
				out := &userEvents{sent: map[int64][]handler.PresenceUser{}}
				env := &handler.Env{Store: store, Serializers: serializer.NewSet(), Settings: handler.Settings{PresencePushLimit: tc.limit}}
				if err := handler.PresenceChanged(ctx, env, out, tc.changes...); err != nil {
					t.Fatal(err)
				}
				got := map[int64][]int64{}
				for r, users := range out.sent {
					for _, u := range users {
						got[r] = append(got[r], u.UserID)
					}
				}
				if len(got) != len(tc.want) {
					t.Fatalf("told %v, want %v", got, tc.want)
				}
				for r, users := range tc.want {
					if !slices.Equal(got[r], users) {
						t.Fatalf("told %v, want %v", got, tc.want)
					}
				}
				// The wire shape: user_id, online, last_seen.
				for _, users := range out.sent {
					b, _ := json.Marshal(handler.PresenceData{Users: users})
					var v struct {
						Users []map[string]any `json:"users"`
					}
					if err := json.Unmarshal(b, &v); err != nil || len(v.Users[0]) != 3 || v.Users[0]["online"] == nil || v.Users[0]["last_seen"] == nil {
						t.Fatalf("payload %s", b)
					}
				}
			})
		}
	})
}
