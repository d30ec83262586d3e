package consumer

import "testing"

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
