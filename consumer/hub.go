package consumer

import (
	"hash/maphash"
	"sync"
)

// hub is this node's fan-out index: user -> connections and room ->
// connections. Delivery looks a room or user up here; nothing ever scans all
// connections.
//
// The index is split into hubShards shards by user id and, separately, by
// room id, each with its own lock, so a connect, join or leave locks only
// the shards it touches and a delivery to one room never waits for work on
// another. Locks, and what each guards:
//
//   - userShard.mu guards that shard's users map;
//   - roomShard.mu guards that shard's rooms map;
//   - Conn.mu guards the connection's rooms, loading, leftWhileLoading and
//     removed.
//
// A connection's room set and the room index change together, under the
// connection's mu and then the room shard's mu (always in that order), so
// they never disagree for long enough to be observed. No user shard lock is
// held while a connection's mu is taken: join and leave first copy a user's
// connections, then visit each; a connection removed in between is marked
// removed and skipped.
//
// The hub orders nothing across nodes: which rooms a connection belongs to
// is the database's answer (read on connect) kept current by the join and
// leave messages that every node receives through the broker.
type hub struct {
	seed  maphash.Seed
	users [hubShards]userShard
	rooms [hubShards]roomShard
}

// hubShards is the number of shards of each index: enough that two busy
// rooms rarely share a lock on a small machine, few enough that stats and
// all, which visit every shard, stay cheap.
const hubShards = 64

type userShard struct {
	mu    sync.RWMutex
	users map[int64]map[*Conn]struct{}
}

type roomShard struct {
	mu    sync.RWMutex
	rooms map[string]map[*Conn]struct{}
}

func newHub() *hub {
	h := &hub{seed: maphash.MakeSeed()}
	for i := range h.users {
		h.users[i].users = map[int64]map[*Conn]struct{}{}
		h.rooms[i].rooms = map[string]map[*Conn]struct{}{}
	}
	return h
}

func (h *hub) userShard(userID int64) *userShard {
	return &h.users[uint64(userID)%hubShards]
}

func (h *hub) roomShard(roomID string) *roomShard {
	return &h.rooms[maphash.String(h.seed, roomID)%hubShards]
}

// addConn registers a connection under its user. Until addRooms, leaves of
// the connection's user are remembered (see addRooms).
func (h *hub) addConn(c *Conn) {
	c.mu.Lock()
	c.loading = true
	c.mu.Unlock()
	s := h.userShard(c.userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.users[c.userID]
	if set == nil {
		set = map[*Conn]struct{}{}
		s.users[c.userID] = set
	}
	set[c] = struct{}{}
}

// addRooms puts a registered connection into the fan-out of the rooms read
// from the database after addConn. Joins published meanwhile reached the
// connection already; leaves published meanwhile are remembered in
// leftWhileLoading, so a room the read still saw is not added back.
func (h *hub) addRooms(c *Conn, roomIDs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	left := c.leftWhileLoading
	c.loading, c.leftWhileLoading = false, nil
	if c.removed {
		return
	}
	for _, r := range roomIDs {
		if _, gone := left[r]; !gone {
			h.addToRoom(c, r)
		}
	}
}

// addToRoom adds c to a room's fan-out; the caller holds c.mu.
func (h *hub) addToRoom(c *Conn, roomID string) {
	if _, ok := c.rooms[roomID]; ok {
		return
	}
	if c.rooms == nil {
		c.rooms = make(map[string]struct{}, 1)
	}
	c.rooms[roomID] = struct{}{}
	s := h.roomShard(roomID)
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.rooms[roomID]
	if set == nil {
		set = map[*Conn]struct{}{}
		s.rooms[roomID] = set
	}
	set[c] = struct{}{}
}

// removeFromRoom takes c out of a room's fan-out; the caller holds c.mu.
func (h *hub) removeFromRoom(c *Conn, roomID string) {
	if _, ok := c.rooms[roomID]; !ok {
		return
	}
	delete(c.rooms, roomID)
	s := h.roomShard(roomID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if set := s.rooms[roomID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(s.rooms, roomID)
		}
	}
}

// removeConn takes a connection out of every index. It leaves its user's
// shard first, so no join or leave finds it afterwards; one that found it
// before sees removed and skips it.
func (h *hub) removeConn(c *Conn) {
	s := h.userShard(c.userID)
	s.mu.Lock()
	if set := s.users[c.userID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(s.users, c.userID)
		}
	}
	s.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removed = true
	for r := range c.rooms {
		h.removeFromRoom(c, r)
	}
	c.rooms, c.leftWhileLoading = nil, nil
}

// connsOf copies the connections of users, so that no user shard lock is
// held while each connection is visited.
func (h *hub) connsOf(users []int64) []*Conn {
	var out []*Conn
	for _, u := range users {
		s := h.userShard(u)
		s.mu.RLock()
		for c := range s.users[u] {
			out = append(out, c)
		}
		s.mu.RUnlock()
	}
	return out
}

// join adds every connection of users to a room's fan-out.
func (h *hub) join(roomID string, users []int64) {
	for _, c := range h.connsOf(users) {
		c.mu.Lock()
		if !c.removed {
			h.addToRoom(c, roomID)
			delete(c.leftWhileLoading, roomID)
		}
		c.mu.Unlock()
	}
}

// leave removes every connection of users from a room's fan-out.
func (h *hub) leave(roomID string, users []int64) {
	for _, c := range h.connsOf(users) {
		c.mu.Lock()
		h.removeFromRoom(c, roomID)
		if c.loading && !c.removed {
			if c.leftWhileLoading == nil {
				c.leftWhileLoading = make(map[string]struct{}, 1)
			}
			c.leftWhileLoading[roomID] = struct{}{}
		}
		c.mu.Unlock()
	}
}

// localUsers returns the users with a connection here.
func (h *hub) localUsers() []int64 {
	var out []int64
	for i := range h.users {
		s := &h.users[i]
		s.mu.RLock()
		for u := range s.users {
			out = append(out, u)
		}
		s.mu.RUnlock()
	}
	return out
}

// reconcile compares a connection's rooms with want, the user's rooms as
// the database has them, and takes it out of every room it should not
// hear. It reports whether the two differed (or the connection is still
// loading its rooms, which may have been read before the difference), in
// which case the connection's client must list its rooms again.
func (h *hub) reconcile(c *Conn, want map[string]struct{}) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return false
	}
	differ := c.loading || len(c.rooms) != len(want)
	for r := range c.rooms {
		if _, ok := want[r]; !ok {
			h.removeFromRoom(c, r)
			differ = true
		}
	}
	return differ
}

// eachInRoom calls fn for every connection in a room's fan-out. fn must not
// block or call back into the hub.
func (h *hub) eachInRoom(roomID string, fn func(*Conn)) {
	s := h.roomShard(roomID)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c := range s.rooms[roomID] {
		fn(c)
	}
}

// eachOfUser calls fn for every connection of a user, under the same rules.
func (h *hub) eachOfUser(userID int64, fn func(*Conn)) {
	s := h.userShard(userID)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c := range s.users[userID] {
		fn(c)
	}
}

// all returns every connection.
func (h *hub) all() []*Conn {
	var out []*Conn
	for i := range h.users {
		s := &h.users[i]
		s.mu.RLock()
		for _, set := range s.users {
			for c := range set {
				out = append(out, c)
			}
		}
		s.mu.RUnlock()
	}
	return out
}

// Stats counts the index: connections, users and rooms with at least one
// connection.
type Stats struct {
	Conns, Users, Rooms int
}

// stats visits the shards one at a time: while connections come and go the
// counts are of slightly different moments, which a gauge can live with.
func (h *hub) stats() Stats {
	var st Stats
	for i := range h.users {
		s := &h.users[i]
		s.mu.RLock()
		st.Users += len(s.users)
		for _, set := range s.users {
			st.Conns += len(set)
		}
		s.mu.RUnlock()
		r := &h.rooms[i]
		r.mu.RLock()
		st.Rooms += len(r.rooms)
		r.mu.RUnlock()
	}
	return st
}
