package rtchat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// wirePresence is the payload of presence.dispatch.
type wirePresence struct {
	Users []struct {
		UserID   int64      `json:"user_id"`
		Online   bool       `json:"online"`
		LastSeen *time.Time `json:"last_seen"`
	} `json:"users"`
}

// is reports whether p is about exactly one user in the given state.
func (p wirePresence) is(user int64, online bool) bool {
	return len(p.Users) == 1 && p.Users[0].UserID == user && p.Users[0].Online == online
}

func TestPresenceFollowsFirstAndLastConnection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, gone.option())
		a := h.dial(t, 1)
		// A and B share two rooms; A must still hear of B once.
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
		c := h.dial(t, 3)
		next(t, a, protocol.DispatchPresence) // C came online
		barrier(t, a)

		b1 := h.dial(t, 2)
		p := decode[wirePresence](t, next(t, a, protocol.DispatchPresence))
		if !p.is(2, true) || p.Users[0].LastSeen == nil {
			t.Fatalf("A got %+v, want B online with last_seen", p)
		}
		next(t, c, protocol.DispatchPresence) // C shares the group with B
		b2 := h.dial(t, 2)
		barrier(t, a)
		if n := a.Pending(protocol.DispatchPresence); n != 0 {
			t.Fatalf("A got %d more presence events for B's second device, want none", n)
		}

		_ = b1.Close()
		gone.wait(t, 2, 1)
		barrier(t, a)
		if n := a.Pending(protocol.DispatchPresence); n != 0 {
			t.Fatalf("A got %d presence events when one of B's two devices closed, want none", n)
		}
		barrier(t, b2)
		if n := b2.Pending(protocol.DispatchPresence); n != 0 {
			t.Fatalf("B's other device got %d presence events about B, want none", n)
		}

		before := time.Now()
		_ = b2.Close()
		p = decode[wirePresence](t, next(t, a, protocol.DispatchPresence))
		if !p.is(2, false) || p.Users[0].LastSeen == nil || p.Users[0].LastSeen.After(before) {
			t.Fatalf("A got %+v, want B offline, last seen before the close", p)
		}
		gone.wait(t, 2, 2)
		barrier(t, a)
		if n := a.Pending(protocol.DispatchPresence); n != 0 {
			t.Fatalf("A got %d more presence events, want exactly one offline", n)
		}
		if p := decode[wirePresence](t, next(t, c, protocol.DispatchPresence)); !p.is(2, false) {
			t.Fatalf("C got %+v, want B offline", p)
		}
	})
}

func TestPresenceQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, gone.option())
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3, 4}})
		h.dial(t, 2) // online
		c := h.dial(t, 3)
		_ = c.Close() // offline, seen
		gone.wait(t, 3, 1)
		h.dial(t, 5) // online, but shares no room with A

		f := request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{5, 4, 3, 2, 2, 99}})
		if f.EventType != protocol.DispatchPresence || f.RequestID == "" {
			t.Fatalf("presence.query answered %+v", f)
		}
		p := decode[wirePresence](t, f)
		if len(p.Users) != 3 {
			t.Fatalf("answer %s: want users 4, 3, 2 only (5 and 99 share no room with A)", f.Data)
		}
		for i, want := range []struct {
			user   int64
			online bool
			seen   bool
		}{{4, false, false}, {3, false, true}, {2, true, true}} {
			got := p.Users[i]
			if got.UserID != want.user || got.Online != want.online || (got.LastSeen != nil) != want.seen {
				t.Fatalf("entry %d = %+v, want user %d online %v with last_seen %v", i, got, want.user, want.online, want.seen)
			}
		}

		for name, data := range map[string]any{
			"no user_ids":          map[string]any{},
			"empty user_ids":       map[string]any{"user_ids": []int64{}},
			"user_ids not a list":  map[string]any{"user_ids": 2},
			"user id not a number": map[string]any{"user_ids": []string{"2"}},
			"user id zero":         map[string]any{"user_ids": []int64{0}},
			"user id negative":     map[string]any{"user_ids": []int64{-2}},
			"over 500 ids":         map[string]any{"user_ids": make([]int64, 501)},
		} {
			t.Run(name, func(t *testing.T) {
				if name == "over 500 ids" {
					ids := data.(map[string]any)["user_ids"].([]int64)
					for i := range ids {
						ids[i] = int64(i + 1)
					}
				}
				pe := requestErr(t, a, protocol.EventPresenceQuery, data)
				wantCode(t, pe, protocol.CodeInvalid)
				if _, ok := pe.Detail.(map[string]any); !ok {
					t.Fatalf("detail = %#v, want field -> messages", pe.Detail)
				}
			})
		}
		ids := make([]int64, 500)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		if p := decode[wirePresence](t, request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": ids})); len(p.Users) != 4 {
			t.Fatalf("500 ids: %d users, want 1 to 4 (A itself included)", len(p.Users))
		}
		// A stranger learns nothing.
		stranger := h.dial(t, 9)
		f = request(t, stranger, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{1, 2}})
		if !strings.Contains(string(f.Data), `"users":[]`) {
			t.Fatalf("stranger's answer = %s, want no users", f.Data)
		}
	})
}
