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
// handler.PresenceChanged, so every node delivers it. While Close runs, the
// offline announcements are collected and sent in one batch (see
// shutdown.go).

// userLocks is a fixed array of mutexes striped by user id. Each one is held
// from a presence change to its announcement, so one user's online and
// offline leave this node in the order they happened.
type userLocks [256]sync.Mutex

func (l *userLocks) get(userID int64) *sync.Mutex {
	return &l[uint64(userID)%uint64(len(l))]
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
		cs.announce(ctx, handler.PresenceUser{UserID: c.userID, Online: true, LastSeen: &now})
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
	cs.announce(ctx, change)
}

// announce publishes presence changes; it needs no connection, so its
// outbox has none.
func (cs *Consumer) announce(ctx context.Context, changes ...handler.PresenceUser) {
	if err := handler.PresenceChanged(ctx, cs.cfg.Env, &outbox{cs: cs}, changes...); err != nil {
		cs.log.Error("rtchat: announce presence", "err", err, "users", len(changes))
	}
}
