package consumer

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
)

func TestHubLeaveWhileLoadingRooms(t *testing.T) {
	h := newHub()
	c := &Conn{id: "c1", userID: 7}
	h.addConn(c)
	// While the connection's rooms are read from the database, the user
	// leaves room a and joins room b.
	h.leave("a", []int64{7})
	h.join("b", []int64{7})
	h.addRooms(c, []string{"a", "c"}) // the read still saw a, not yet b
	got := map[string]bool{}
	for r := range c.rooms {
		got[r] = true
	}
	if got["a"] || !got["b"] || !got["c"] || len(got) != 2 {
		t.Fatalf("rooms = %v, want b and c", got)
	}
	if s := h.stats(); s.Rooms != 2 || s.Conns != 1 {
		t.Fatalf("stats = %+v", s)
	}
	// Later leaves are not remembered, and leaving empties the index.
	h.leave("b", []int64{7})
	h.removeConn(c)
	if s := h.stats(); s != (Stats{}) {
		t.Fatalf("stats after removal = %+v, want empty", s)
	}
}

// TestHubConcurrentJoinLeaveDeliver runs connects, joins, leaves,
// disconnects and deliveries of many rooms at once (run it with -race), and
// checks that the room index and every connection's room set agree at the
// end, and that the index is empty once every connection has gone.
func TestHubConcurrentJoinLeaveDeliver(t *testing.T) {
	h := newHub()
	const users, rooms, rounds = 16, 8, 300
	room := func(i int) string { return "room-" + strconv.Itoa(i%rooms) }
	var conns []*Conn
	for u := range users {
		for d := range 2 {
			c := &Conn{id: fmt.Sprintf("c%d-%d", u, d), userID: int64(u)}
			h.addConn(c)
			h.addRooms(c, []string{room(u)})
			conns = append(conns, c)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { // joins and leaves
			for i := range rounds {
				u := []int64{int64((w*rounds + i) % users)}
				if i%2 == 0 {
					h.join(room(i+w), u)
				} else {
					h.leave(room(i+w-1), u)
				}
			}
		})
		wg.Go(func() { // deliveries
			for i := range rounds {
				h.eachInRoom(room(i+w), func(c *Conn) { _ = c.id })
				h.eachOfUser(int64(i%users), func(c *Conn) { _ = c.id })
			}
		})
	}
	wg.Go(func() { // a device that comes and goes
		for i := range rounds {
			c := &Conn{id: "transient" + strconv.Itoa(i), userID: int64(i % users)}
			h.addConn(c)
			h.addRooms(c, []string{room(i), room(i + 1)})
			h.removeConn(c)
		}
	})
	wg.Go(func() {
		for range rounds / 10 {
			_ = h.stats()
			_ = h.all()
		}
	})
	wg.Wait()

	// Every connection's room set is exactly the rooms whose fan-out
	// holds it.
	index := map[*Conn]map[string]bool{}
	for i := range rooms {
		h.eachInRoom(room(i), func(c *Conn) {
			if index[c] == nil {
				index[c] = map[string]bool{}
			}
			index[c][room(i)] = true
		})
	}
	for _, c := range conns {
		if len(c.rooms) != len(index[c]) {
			t.Fatalf("%s: rooms %v, index %v", c.id, c.rooms, index[c])
		}
		for r := range c.rooms {
			if !index[c][r] {
				t.Fatalf("%s: rooms %v, index %v", c.id, c.rooms, index[c])
			}
		}
	}
	if s := h.stats(); s.Conns != len(conns) || s.Users != users {
		t.Fatalf("stats = %+v, want %d connections of %d users", s, len(conns), users)
	}
	for _, c := range conns {
		h.removeConn(c)
	}
	if s := h.stats(); s != (Stats{}) {
		t.Fatalf("stats after removal = %+v, want empty", s)
	}
}
