package rtchat_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// wirePresence is the payload of presence.dispatch.
type wirePresence struct {
	Users []wirePresenceUser `json:"users"`
}

// wirePresenceUser is one user's entry in presence.dispatch.
type wirePresenceUser struct {
	UserID   int64      `json:"user_id"`
	Online   bool       `json:"online"`
	LastSeen *time.Time `json:"last_seen"`
}

// is reports whether p is about exactly one user in the given state.
func (p wirePresence) is(user int64, online bool) bool {
	return len(p.Users) == 1 && p.Users[0].UserID == user && p.Users[0].Online == online
}

// presenceModes are the two ways presence is announced: each change at
// once, and coalesced over the default interval.
var presenceModes = []struct {
	name     string
	interval time.Duration
}{{"immediate", 0}, {"coalesced", 250 * time.Millisecond}}

// nextAbout reads c's presence frames until one mentions user, and returns
// that user's entry. Frames about other users are skipped: with coalescing,
// users coming online together also hear of each other.
func nextAbout(t testing.TB, c *client.Client, user int64) wirePresence {
	t.Helper()
	for {
		p := decode[wirePresence](t, next(t, c, protocol.DispatchPresence))
		for _, u := range p.Users {
			if u.UserID == user {
				var out wirePresence
				out.Users = append(out.Users, u)
				return out
			}
		}
	}
}

func TestPresenceFollowsFirstAndLastConnection(t *testing.T) {
	for _, mode := range presenceModes {
		t.Run(mode.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *bun.DB) {
				testPresenceFollowsConnections(t, db, rtchat.WithPresenceInterval(mode.interval))
			})
		})
	}
}

func testPresenceFollowsConnections(t *testing.T, db *bun.DB, opts ...rtchat.Option) {
	var gone disconnects
	h := newHarness(t, db, append(opts, gone.option())...)
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
	if p := nextAbout(t, c, 2); !p.is(2, true) { // C shares the group with B
		t.Fatalf("C got %+v, want B online", p)
	}
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
	if p := nextAbout(t, c, 2); !p.is(2, false) {
		t.Fatalf("C got %+v, want B offline", p)
	}
}

// Users coming online (or going offline) within one interval reach each
// co-member as one presence.dispatch listing them all, and users coming
// online together hear of each other. The interval is long enough for three
// dials to fall within it on a slow machine.
func TestPresenceCoalescedPerRecipient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, rtchat.WithPresenceInterval(2*time.Second), gone.option())
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{4}})
		b, c, d := h.dial(t, 2), h.dial(t, 3), h.dial(t, 4)

		users := func(p wirePresence, online bool) []int64 {
			var ids []int64
			for _, u := range p.Users {
				if u.Online != online || u.LastSeen == nil {
					t.Fatalf("%+v: want every user online=%v with last_seen", p, online)
				}
				ids = append(ids, u.UserID)
			}
			slices.Sort(ids)
			return ids
		}
		// A came online in the same batch, so it hears of all three in one
		// frame; B and C hear of the other two of their group, D of A
		// (their 1:1).
		wantIDs(t, "A heard of", users(decode[wirePresence](t, next(t, a, protocol.DispatchPresence)), true), 2, 3, 4)
		wantIDs(t, "B heard of", users(decode[wirePresence](t, next(t, b, protocol.DispatchPresence)), true), 1, 3)
		wantIDs(t, "C heard of", users(decode[wirePresence](t, next(t, c, protocol.DispatchPresence)), true), 1, 2)
		wantIDs(t, "D heard of", users(decode[wirePresence](t, next(t, d, protocol.DispatchPresence)), true), 1)
		for name, cl := range map[string]*client.Client{"A": a, "B": b, "C": c, "D": d} {
			barrier(t, cl)
			if n := cl.Pending(protocol.DispatchPresence); n != 0 {
				t.Fatalf("%s got %d more presence frames, want one", name, n)
			}
		}

		// Two going offline together: one frame for A, and none for them.
		_ = b.Close()
		_ = d.Close()
		gone.wait(t, 2, 1)
		gone.wait(t, 4, 1)
		wantIDs(t, "A heard gone", users(decode[wirePresence](t, next(t, a, protocol.DispatchPresence)), false), 2, 4)
		barrier(t, a)
		if n := a.Pending(protocol.DispatchPresence); n != 0 {
			t.Fatalf("A got %d more presence frames, want one", n)
		}
	})
}

// A room with more members than the push limit pushes no presence: its
// members learn of each other with presence.query, and still hear through
// their smaller rooms.
func TestPresencePushLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, rtchat.WithPresencePushLimit(3), rtchat.WithPresenceInterval(250*time.Millisecond), gone.option())
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "big", "participants": []int64{2, 3, 4}})
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{5}})
		b := h.dial(t, 2) // shares only the big room with A
		e := h.dial(t, 5) // shares a 1:1 with A

		// Batches leave in order, so once A has heard of E going offline it
		// has every frame about B it would ever get.
		for _, step := range []struct {
			user   int64
			online bool
		}{{5, true}, {5, false}} {
			if !step.online {
				_ = b.Close()
				gone.wait(t, 2, 1)
				_ = e.Close()
			}
			for {
				f := next(t, a, protocol.DispatchPresence)
				if f.RequestID != "" {
					continue // the answer to presence.query below
				}
				p := decode[wirePresence](t, f)
				if slices.ContainsFunc(p.Users, func(u wirePresenceUser) bool { return u.UserID == 2 }) {
					t.Fatalf("A was pushed %+v about B, a member of a room above the limit only", p)
				}
				if p.is(step.user, step.online) {
					break
				}
			}
			if step.online {
				// Asked, presence answers for the big room's members.
				q := decode[wirePresence](t, request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{2, 3}}))
				if len(q.Users) != 2 || !q.Users[0].Online || q.Users[1].Online {
					t.Fatalf("presence.query = %+v, want B online and C offline", q)
				}
				barrier(t, b)
				if n := b.Pending(protocol.DispatchPresence); n != 0 {
					t.Fatalf("B got %d presence frames, want none (its only room is above the limit)", n)
				}
			}
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
