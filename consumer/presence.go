package consumer

import (
	"context"
	"sync"
	"time"

	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
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
// announces the user online.
func (cs *Consumer) comeOnline(ctx context.Context, c *Conn) {
	mu := cs.userLocks.get(c.userID)
	mu.Lock()
	defer mu.Unlock()
	first, err := cs.cfg.Presence.Connect(ctx, c.userID, c.id)
	if err != nil {
		cs.log.Error("rtchat: presence connect", "err", err, "user", c.userID)
		return
	}
	if first {
		now := model.Now()
		cs.changed(ctx, handler.PresenceUser{UserID: c.userID, Online: true, LastSeen: &now})
	}
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
	if err := handler.PresenceChanged(ctx, cs.cfg.Env, &outbox{cs: cs}, changes...); err != nil {
		cs.log.Error("rtchat: announce presence", "err", err, "users", len(changes))
	}
}
