package consumer

import "sync"

// hub is this node's fan-out index: user -> connections and room ->
// connections. Delivery looks a room or user up here; nothing ever scans all
// connections.
type hub struct {
	mu    sync.RWMutex // guards users, rooms, every Conn.rooms and Conn.leftWhileLoading
	users map[int64]map[*Conn]struct{}
	rooms map[string]map[*Conn]struct{}
}

func newHub() *hub {
	return &hub{users: map[int64]map[*Conn]struct{}{}, rooms: map[string]map[*Conn]struct{}{}}
}

// addConn registers a connection under its user.
func (h *hub) addConn(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.users[c.userID]
	if set == nil {
		set = map[*Conn]struct{}{}
		h.users[c.userID] = set
	}
	set[c] = struct{}{}
	c.rooms = map[string]struct{}{}
	c.leftWhileLoading = map[string]struct{}{}
}

// addRooms puts a registered connection into the fan-out of the rooms read
// from the database after addConn. Joins published meanwhile reached the
// connection already; leaves published meanwhile are remembered in
// leftWhileLoading, so a room the read still saw is not added back.
func (h *hub) addRooms(c *Conn, roomIDs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	left := c.leftWhileLoading
	c.leftWhileLoading = nil
	if _, ok := h.users[c.userID][c]; !ok {
		return // already gone
	}
	for _, r := range roomIDs {
		if _, gone := left[r]; !gone {
			h.addToRoom(c, r)
		}
	}
}

func (h *hub) addToRoom(c *Conn, roomID string) {
	set := h.rooms[roomID]
	if set == nil {
		set = map[*Conn]struct{}{}
		h.rooms[roomID] = set
	}
	set[c] = struct{}{}
	c.rooms[roomID] = struct{}{}
}

func (h *hub) removeFromRoom(c *Conn, roomID string) {
	if set := h.rooms[roomID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.rooms, roomID)
		}
	}
	delete(c.rooms, roomID)
}

// removeConn takes a connection out of every index at once.
func (h *hub) removeConn(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for r := range c.rooms {
		h.removeFromRoom(c, r)
	}
	if set := h.users[c.userID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.users, c.userID)
		}
	}
}

// join adds every connection of users to a room's fan-out.
func (h *hub) join(roomID string, users []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range users {
		for c := range h.users[u] {
			h.addToRoom(c, roomID)
			delete(c.leftWhileLoading, roomID)
		}
	}
}

// leave removes every connection of users from a room's fan-out.
func (h *hub) leave(roomID string, users []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range users {
		for c := range h.users[u] {
			h.removeFromRoom(c, roomID)
			if c.leftWhileLoading != nil {
				c.leftWhileLoading[roomID] = struct{}{}
			}
		}
	}
}

// eachInRoom calls fn for every connection in a room's fan-out. fn must not
// block or call back into the hub.
func (h *hub) eachInRoom(roomID string, fn func(*Conn)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.rooms[roomID] {
		fn(c)
	}
}

// eachOfUser calls fn for every connection of a user, under the same rules.
func (h *hub) eachOfUser(userID int64, fn func(*Conn)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.users[userID] {
		fn(c)
	}
}

// all returns every connection.
func (h *hub) all() []*Conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*Conn
	for _, set := range h.users {
		for c := range set {
			out = append(out, c)
		}
	}
	return out
}

// Stats counts the index: connections, users and rooms with at least one
// connection.
type Stats struct {
	Conns, Users, Rooms int
}

func (h *hub) stats() Stats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := Stats{Users: len(h.users), Rooms: len(h.rooms)}
	for _, set := range h.users {
		s.Conns += len(set)
	}
	return s
}
