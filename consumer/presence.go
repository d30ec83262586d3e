package consumer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/protocol"
)

// The consumer keeps the presence manager told of every connection that
// opens and closes, and announces a user's first connection (online) and
// last one (offline) to the members of the user's rooms through
// handler.PresenceChanged, so every node delivers it.
//
// Announcements are coalesced per node: changes are collected for
// Config.PresenceInterval (the latest state of each user wins) and then
// announced together, with one query for every recipient and one frame per
// recipient listing every change it shares a room with. When a thousand
// members of a room reconnect at once, each member gets a few frames
// instead of a thousand. With an interval of 0 each change is announced at
// once. While Close runs, offline announcements are collected and sent in
// one batch (see shutdown.go).

// userLocks is a fixed array of mutexes striped by user id. Each one is held
// from a presence change to its announcement (or its place in the pending
// batch), so one user's online and offline leave this node in the order they
// happened.
type userLocks [256]sync.Mutex

func (l *userLocks) get(userID int64) *sync.Mutex {
	return &l[uint64(userID)%uint64(len(l))]
}

// presenceBatch holds the presence changes waiting for the next
// announcement. No goroutine waits for them: the first change of a batch
// arms a timer, which announces the batch when it fires.
type presenceBatch struct {
	// flushMu is held from taking a batch until it has been announced, so
	// batches leave the node in order even when one takes longer than the
	// interval.
	flushMu sync.Mutex
	mu      sync.Mutex // guards the fields below
	pending []handler.PresenceUser
	index   map[int64]int // user -> position in pending
	timer   *time.Timer   // armed while pending is not empty
	closed  bool          // after Close: changes are announced at once
}

// add queues a change, replacing the user's earlier one, and arms the timer
// for a new batch. It reports false once the batch is closed.
func (b *presenceBatch) add(ch handler.PresenceUser, interval time.Duration, flush func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	if i, ok := b.index[ch.UserID]; ok {
		b.pending[i] = ch
		return true
	}
	if b.index == nil {
		b.index = map[int64]int{}
	}
	b.index[ch.UserID] = len(b.pending)
	b.pending = append(b.pending, ch)
	if b.timer == nil {
		b.timer = time.AfterFunc(interval, flush)
	}
	return true
}

// take returns the pending changes and empties the batch; the caller holds
// flushMu. close makes later changes be announced at once.
func (b *presenceBatch) take(close bool) []handler.PresenceUser {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.pending
	b.pending, b.index = nil, nil
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.closed = b.closed || close
	return out
}

// flushPresence announces the pending batch; the batch's timer calls it.
// The announcement outlives Close's cancellation (a batch taken is a batch
// sent) but not the event timeout.
func (cs *Consumer) flushPresence() {
	cs.presence.flushMu.Lock()
	defer cs.presence.flushMu.Unlock()
	changes := cs.presence.take(false)
	if len(changes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cs.base), cs.cfg.EventTimeout)
	defer cancel()
	cs.announce(ctx, changes...)
}

// changed announces a change now or with the next batch; the caller holds
// the user's lock.
func (cs *Consumer) changed(ctx context.Context, ch handler.PresenceUser) {
	if cs.cfg.PresenceInterval > 0 && cs.presence.add(ch, cs.cfg.PresenceInterval, cs.flushPresence) {
		return
	}
	cs.announce(ctx, ch)
}

// comeOnline records a new connection and, if it is the user's first,
// announces the user online. It reports false when the user is at
// Config.MaxConnectionsPerUser: the connection is then closed with 4029 and
// must not be set up. A presence manager that fails admits the connection
// (presence is best effort; a shared one reports it later, see
// presenceChange).
func (cs *Consumer) comeOnline(ctx context.Context, c *Conn) bool {
	mu := cs.userLocks.get(c.userID)
	mu.Lock()
	defer mu.Unlock()
	first, err := cs.cfg.Presence.Connect(ctx, c.userID, c.id, cs.cfg.MaxConnectionsPerUser)
	if errors.Is(err, presence.ErrLimit) {
		c.kill(protocol.CodeRateLimited, protocol.DetailTooManyConnections, time.Second)
		return false
	}
	if err != nil {
		cs.log.Error("rtchat: presence connect", "err", err, "user", c.userID)
		return true
	}
	if first {
		now := model.Now()
		cs.changed(ctx, handler.PresenceUser{UserID: c.userID, Online: true, LastSeen: &now})
	}
	return true
}

// goOffline forgets a closed connection and, if it was the user's last,
// announces the user offline, last seen at the connection's last activity.
// During Close the announcement joins the shutdown batch instead.
func (cs *Consumer) goOffline(ctx context.Context, c *Conn) {
	mu := cs.userLocks.get(c.userID)
	mu.Lock()
	defer mu.Unlock()
	last, err := cs.cfg.Presence.Disconnect(ctx, c.userID, c.id)
	if err != nil {
		cs.log.Error("rtchat: presence disconnect", "err", err, "user", c.userID)
		return
	}
	if !last {
		return
	}
	seen := c.LastSeen().Truncate(time.Microsecond)
	change := handler.PresenceUser{UserID: c.userID, Online: false, LastSeen: &seen}
	if cs.base.Err() != nil && cs.shutdown.addOffline(change) {
		return
	}
	cs.changed(ctx, change)
}

// announce publishes presence changes; it needs no connection, so its
// outbox has none.
func (cs *Consumer) announce(ctx context.Context, changes ...handler.PresenceUser) {
	// The announcement runs the app's code (the user lookup, the
	// permission handler, the serializer) on goroutines that recover
	// nothing else, such as the batch timer's: a panic is logged, and the
	// announcement is lost.
	defer func() {
		if p := recover(); p != nil {
			cs.logPanic("presence announcement", p, "users", len(changes))
		}
	}()
	if err := handler.PresenceChanged(ctx, cs.cfg.Env, &outbox{cs: cs}, changes...); err != nil {
		cs.log.Error("rtchat: announce presence", "err", err, "users", len(changes))
	}
}

// presenceChange is the onChange of a shared presence manager
// (presence.Cluster): a change no Connect or Disconnect of this node
// reported. For a dead node reaped by this one, it closes the node's
// session rows (at their last_seen) and announces its users left offline,
// last seen at their latest session; for this node recording its
// connections again after losing touch with the shared state, it announces
// the users online again (or offline) that way. Each user's state is read
// again under the users' locks, so a user who reconnected (or left) since
// the change is not announced stale.
func (cs *Consumer) presenceChange(ch presence.Change) {
	defer func() {
		if p := recover(); p != nil {
			cs.logPanic("presence change", p, "node", ch.Node)
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cs.base), cs.cfg.EventTimeout)
	defer cancel()
	store := cs.cfg.Env.Store
	if ch.Node != cs.cfg.NodeID {
		n, err := store.EndNodeSessions(ctx, ch.Node, model.Now())
		if err != nil {
			cs.log.Error("rtchat: close the sessions of a dead node", "err", err, "node", ch.Node)
		} else {
			cs.log.Info("rtchat: a dead node was reaped", "node", ch.Node, "sessions", n, "offline", len(ch.Offline))
		}
	}
	users := append(append([]int64(nil), ch.Offline...), ch.Online...)
	if len(users) == 0 {
		return
	}
	seen, err := store.LastSeen(ctx, ch.Offline)
	if err != nil {
		cs.log.Error("rtchat: last seen of users gone offline", "err", err, "users", len(ch.Offline))
		seen = nil
	}
	unlock := cs.lockUsers(users)
	defer unlock()
	online, err := cs.cfg.Presence.Online(ctx, users)
	if err != nil {
		cs.log.Error("rtchat: presence after a node change", "err", err, "users", len(users))
		return
	}
	now := model.Now()
	var changes []handler.PresenceUser
	for _, u := range ch.Offline {
		if online[u] {
			continue
		}
		last := now
		if t, ok := seen[u]; ok {
			last = t
		}
		changes = append(changes, handler.PresenceUser{UserID: u, Online: false, LastSeen: &last})
	}
	for _, u := range ch.Online {
		if online[u] {
			changes = append(changes, handler.PresenceUser{UserID: u, Online: true, LastSeen: &now})
		}
	}
	var direct []handler.PresenceUser
	for _, p := range changes {
		if cs.cfg.PresenceInterval <= 0 || !cs.presence.add(p, cs.cfg.PresenceInterval, cs.flushPresence) {
			direct = append(direct, p)
		}
	}
	if len(direct) > 0 {
		cs.announce(ctx, direct...)
	}
}

// lockUsers takes the locks of users, each stripe once and in stripe
// order (no other path holds two), and returns their unlock.
func (cs *Consumer) lockUsers(users []int64) func() {
	var stripes []int
	taken := make(map[int]bool)
	for _, u := range users {
		i := int(uint64(u) % uint64(len(cs.userLocks)))
		if !taken[i] {
			taken[i] = true
			stripes = append(stripes, i)
		}
	}
	slices.Sort(stripes)
	for _, i := range stripes {
		cs.userLocks[i].Lock()
	}
	return func() {
		for _, i := range stripes {
			cs.userLocks[i].Unlock()
		}
	}
}
