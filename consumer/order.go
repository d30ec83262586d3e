package consumer

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// Seq-ordered delivery. Two sends in one room can reach the broker in the
// opposite order of their seqs (two handlers on one node, or two nodes),
// and a broker may deliver late, twice, or not at all. So each node keeps,
// per room with local connections, the highest seq it has delivered
// (last), and for a message carrying seq s:
//
//   - s <= last: already delivered; dropped. When it came from a local
//     request whose message was delivered from the database meanwhile, the
//     requester gets done.dispatch, so its request is answered;
//   - s == last+1: delivered, then every buffered successor in order;
//   - s > last+1: buffered, and a reorder window starts. If the gap is
//     still open when it ends, the missing seqs are read from the database
//     (a committed seq implies every lower seq is committed, so a seq the
//     database lacks was deleted) and delivered before the buffered ones.
//     A database failure is retried with backoff; nothing is dropped.
//
// A room's frames are written to its local connections under the room's
// lock, so they leave in seq order; the lock is never held across a
// database read or a broker publish. No lock spans nodes: the order comes
// from the seq the database assigned.
//
// Where a room's view starts: when the room gets local connections, from
// the room's last_seq read with them (on connect, in the same query as the
// user's rooms; on a join, as the membership change committed it). What
// came before is the client's to catch up with room.messages after_seq.

const (
	// defaultReorderWindow is the window when the config leaves it 0.
	defaultReorderWindow = 50 * time.Millisecond
	// fillPage is how many messages one database read of a gap returns.
	fillPage = 100
	// maxFillBackoff bounds the wait between retries of a failed fill.
	maxFillBackoff = 5 * time.Second
	// orderSweepEvery is how often the states of rooms that no local
	// connection belongs to any more are dropped.
	orderSweepEvery = time.Minute
	// filledMemory is how many seqs delivered from the database a room
	// remembers, so the late broker copy of one answers its requester.
	filledMemory = 64
)

// orderer holds the order state of this node's rooms.
type orderer struct {
	cs     *Consumer
	window time.Duration

	mu     sync.Mutex // guards rooms, sweep and closed; never held while taking a roomOrder's mu
	rooms  map[string]*roomOrder
	sweep  *time.Timer
	closed bool

	// fills counts the armed reorder timers and the fills they run, so
	// close can wait for them.
	fills sync.WaitGroup
}

// roomOrder is one room's order state on this node.
type roomOrder struct {
	room string

	// mu guards the fields below and is held while the room's frames are
	// written to local connections. Taken before the hub's lock, never
	// after it.
	mu sync.Mutex
	// last is the highest seq delivered to this node's connections of the
	// room.
	last int64
	// pending holds messages that came before a seq they follow.
	pending map[int64]broker.Message
	// target is a seq the database is known to hold (a resync read it):
	// everything up to it is delivered, from the database if the broker
	// does not bring it.
	target int64
	// timer is the armed reorder window or fill retry; nil when none.
	timer   *time.Timer
	filling bool          // a fill is reading the database
	backoff time.Duration // the wait before the next retry of a failing fill
	// filled are the latest seqs delivered from the database.
	filled []int64
	// pins counts connects and joins adding connections to the room right
	// now: the sweep leaves a pinned state alone.
	pins int
	// dead is set once the state has left the map; whoever holds it looks
	// the room up again.
	dead bool
}

func newOrderer(cs *Consumer, window time.Duration) *orderer {
	if window <= 0 {
		window = defaultReorderWindow
	}
	return &orderer{cs: cs, window: window, rooms: map[string]*roomOrder{}}
}

// pin returns the room's state, creating it with base as last when there is
// none, and keeps the sweep away from it until unpin. It returns nil once
// the orderer is closed.
func (o *orderer) pin(roomID string, base int64) *roomOrder {
	for {
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return nil
		}
		st := o.rooms[roomID]
		if st == nil {
			st = &roomOrder{room: roomID, last: base, pins: 1}
			o.rooms[roomID] = st
			if o.sweep == nil {
				o.sweep = time.AfterFunc(orderSweepEvery, o.sweepRooms)
			}
			o.mu.Unlock()
			return st
		}
		o.mu.Unlock()
		st.mu.Lock()
		if !st.dead {
			st.pins++
			st.mu.Unlock()
			return st
		}
		st.mu.Unlock()
	}
}

// unpin undoes a pin; a nil state is ignored.
func (o *orderer) unpin(st *roomOrder) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.pins--
	st.mu.Unlock()
}

// addRooms puts a connecting connection into the fan-out of its rooms,
// starting the order state of each room that has none at the last_seq read
// with it.
func (cs *Consumer) addRooms(c *Conn, rooms []model.RoomSeq) {
	ids := make([]string, len(rooms))
	pins := make([]*roomOrder, len(rooms))
	for i, r := range rooms {
		ids[i] = r.RoomID
		pins[i] = cs.order.pin(r.RoomID, r.LastSeq)
	}
	cs.hub.addRooms(c, ids)
	for _, st := range pins {
		cs.order.unpin(st)
	}
}

// join adds the local connections of users, members of the room, to its
// fan-out, starting the room's order state at seq (the room's last_seq as
// the join committed it) when it has none.
func (cs *Consumer) join(roomID string, users []int64, seq int64) {
	st := cs.order.pin(roomID, seq)
	cs.hub.join(roomID, users)
	cs.order.unpin(st)
}

// deliverSeq delivers a seq-carrying room message in the room's seq order.
func (o *orderer) deliverSeq(m broker.Message) {
	for {
		o.mu.Lock()
		st, closed := o.rooms[m.Room], o.closed
		o.mu.Unlock()
		if closed {
			return
		}
		if st == nil {
			if o.cs.roomConns(m.Room) == 0 {
				return // nobody here reads the room
			}
			// Connections without a state: only a join published without
			// its seq does that. Start from this message.
			o.unpin(o.pin(m.Room, m.Seq-1))
			continue
		}
		st.mu.Lock()
		if st.dead {
			st.mu.Unlock()
			continue
		}
		o.receive(st, m)
		st.mu.Unlock()
		return
	}
}

// receive places one message; st.mu is held.
func (o *orderer) receive(st *roomOrder, m broker.Message) {
	switch s := m.Seq; {
	case s <= st.last:
		o.duplicate(st, m)
	case s == st.last+1:
		o.cs.writeRoom(m)
		st.last = s
		o.settle(st)
	default:
		if _, ok := st.pending[s]; ok {
			return // its first copy answers the requester when delivered
		}
		if st.pending == nil {
			st.pending = map[int64]broker.Message{}
		}
		st.pending[s] = m
		if st.timer == nil && !st.filling {
			o.arm(st, o.window)
		}
	}
}

// settle delivers the buffered messages that now follow last, drops the
// ones a fill delivered already, and keeps a window armed while a gap
// remains; st.mu is held.
func (o *orderer) settle(st *roomOrder) {
	for s, m := range st.pending {
		if s <= st.last {
			delete(st.pending, s)
			o.duplicate(st, m)
		}
	}
	for {
		m, ok := st.pending[st.last+1]
		if !ok {
			break
		}
		delete(st.pending, st.last+1)
		o.cs.writeRoom(m)
		st.last++
	}
	switch _, gap := st.gap(); {
	case !gap:
		o.disarm(st)
	case st.timer == nil && !st.filling:
		o.arm(st, o.window)
	}
}

// gap returns the seq before which the room's next fill reads: the first
// buffered message, or just after the resync target. ok is false when
// nothing is missing. st.mu is held.
func (st *roomOrder) gap() (before int64, ok bool) {
	for s := range st.pending {
		if before == 0 || s < before {
			before = s
		}
	}
	if before == 0 && st.target > st.last {
		before = st.target + 1
	}
	return before, before != 0
}

// duplicate handles a message at or below last; st.mu is held. If the
// message was delivered from the database, its requester on this node has
// its copy without request_id: it is answered with done.dispatch.
func (o *orderer) duplicate(st *roomOrder, m broker.Message) {
	if m.EchoConn == "" {
		return
	}
	i := -1
	for j, s := range st.filled {
		if s == m.Seq {
			i = j
		}
	}
	if i < 0 {
		return // a repeat of a delivery that answered already
	}
	st.filled = append(st.filled[:i], st.filled[i+1:]...)
	var echo struct {
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(m.EchoFrame, &echo) != nil || echo.RequestID == "" {
		return
	}
	data, err := handler.DoneData(context.Background(), o.cs.cfg.Env, protocol.EventMessageSend)
	if err != nil {
		return
	}
	frame, err := protocol.EncodeEvent(protocol.DispatchDone, data, echo.RequestID)
	if err != nil {
		return
	}
	o.cs.hub.eachInRoom(st.room, func(c *Conn) {
		if c.id == m.EchoConn {
			c.write(frame)
		}
	})
}

// arm starts the timer that fills the room's gap after d; st.mu is held.
func (o *orderer) arm(st *roomOrder, d time.Duration) {
	o.fills.Add(1)
	st.timer = time.AfterFunc(d, func() { o.fill(st) })
}

// disarm stops an armed timer; st.mu is held.
func (o *orderer) disarm(st *roomOrder) {
	if st.timer != nil && st.timer.Stop() {
		o.fills.Done() // it will not run
	}
	st.timer = nil
}

// fill reads the room's open gap from the database and delivers it, then
// what was buffered behind it. It runs when a window (or a retry wait)
// ends, without holding the room's lock across the read.
func (o *orderer) fill(st *roomOrder) {
	defer o.fills.Done()
	st.mu.Lock()
	st.timer = nil
	before, gap := st.gap()
	if st.dead || !gap {
		st.mu.Unlock()
		return
	}
	after := st.last
	if st.pins == 0 && o.cs.roomConns(st.room) == 0 {
		// Nobody here reads the room any more: skip the gap unread.
		st.last = before - 1
		o.settle(st)
		st.mu.Unlock()
		return
	}
	st.filling = true
	st.mu.Unlock()

	timeout := o.cs.cfg.EventTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(o.cs.base, timeout)
	frames, err := handler.MessageDispatchFrames(ctx, o.cs.cfg.Env, st.room, after, before, fillPage)
	cancel()

	st.mu.Lock()
	defer st.mu.Unlock()
	st.filling = false
	if st.dead || o.cs.base.Err() != nil {
		return
	}
	if err != nil {
		if o.cs.metrics != nil {
			o.cs.databaseError(OpFill, err)
		}
		st.backoff = min(max(2*st.backoff, o.window), maxFillBackoff)
		o.cs.log.Error("rtchat: fill a gap of seq-ordered delivery; retrying", "err", err, "room", st.room,
			"after_seq", after, "before_seq", before, "retry_in", st.backoff)
		o.arm(st, st.backoff)
		return
	}
	st.backoff = 0
	for _, f := range frames {
		if f.Seq <= st.last {
			continue // arrived through the broker meanwhile
		}
		o.cs.hub.eachInRoom(st.room, func(c *Conn) { c.write(f.Frame) })
		st.last = f.Seq
		if len(st.filled) == filledMemory {
			st.filled = st.filled[1:]
		}
		st.filled = append(st.filled, f.Seq)
	}
	if len(frames) < fillPage {
		// The whole range is read: a seq below before that the database
		// lacks was deleted, and will never come.
		st.last = max(st.last, before-1)
	} else {
		o.arm(st, 0) // the next page, at once
	}
	o.settle(st)
}

// catchUp makes the room's state deliver every seq up to lastSeq, which the
// database holds: what the broker does not bring within the reorder window
// is read from the database. A room without a state starts at lastSeq.
func (o *orderer) catchUp(roomID string, lastSeq int64) {
	st := o.pin(roomID, lastSeq)
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pins--
	if lastSeq > st.last && lastSeq > st.target {
		st.target = lastSeq
		if st.timer == nil && !st.filling {
			o.arm(st, o.window)
		}
	}
}

// sweepRooms drops the states of rooms without local connections (nor a
// connect or join about to add some, nor a gap being filled).
func (o *orderer) sweepRooms() {
	o.mu.Lock()
	o.sweep = nil
	states := make([]*roomOrder, 0, len(o.rooms))
	for _, st := range o.rooms {
		states = append(states, st)
	}
	o.mu.Unlock()
	for _, st := range states {
		st.mu.Lock()
		if _, gap := st.gap(); !st.dead && st.pins == 0 && !gap && !st.filling && st.timer == nil && o.cs.roomConns(st.room) == 0 {
			st.dead = true
			o.mu.Lock()
			delete(o.rooms, st.room)
			o.mu.Unlock()
		}
		st.mu.Unlock()
	}
	o.mu.Lock()
	if len(o.rooms) > 0 && !o.closed && o.sweep == nil {
		o.sweep = time.AfterFunc(orderSweepEvery, o.sweepRooms)
	}
	o.mu.Unlock()
}

// close stops every window and sweep and waits for running fills (the
// consumer's context is cancelled first, so they end promptly). Messages
// arriving afterwards are dropped.
func (o *orderer) close() {
	o.mu.Lock()
	o.closed = true
	if o.sweep != nil {
		o.sweep.Stop()
	}
	states := o.rooms
	o.rooms = map[string]*roomOrder{}
	o.mu.Unlock()
	for _, st := range states {
		st.mu.Lock()
		st.dead = true
		o.disarm(st)
		st.mu.Unlock()
	}
	o.fills.Wait()
}

// roomConns counts this node's connections in a room's fan-out.
func (cs *Consumer) roomConns(roomID string) int {
	n := 0
	cs.hub.eachInRoom(roomID, func(*Conn) { n++ })
	return n
}
