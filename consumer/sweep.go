package consumer

import (
	"context"
	"time"

	"github.com/rtchat/rtchat/model"
)

// The sweeper keeps the sessions table honest and bounded. It starts with
// the first connection this node serves (the tables exist by then) and
// stops with Close. Each round, every sweepInterval:
//
//   - until it has once succeeded, it marks disconnected (at their last_seen)
//     the rows of this node id still open from before this Consumer was
//     created: connections a crashed run left behind. This needs a stable
//     node id (WithNodeID); with the default random id, such rows are
//     removed by the next rule instead;
//   - it deletes the rows disconnected for longer than the retention, and
//     the rows still open whose last_seen has not moved for longer than the
//     retention (and at least staleThresholds thresholds): a live
//     connection refreshes its row at least every threshold, so these belong
//     to a node that stopped without closing them.
//
// Failures are logged and retried at the next round.

// staleThresholds is how many inactivity thresholds an open row may go
// unrefreshed before the sweeper counts it as left behind.
const staleThresholds = 4

// sweepInterval is how often the sweeper runs for a retention: half of it,
// within [100ms, 10min].
func sweepInterval(retention time.Duration) time.Duration {
	return min(max(retention/2, 100*time.Millisecond), 10*time.Minute)
}

// sweepLoop runs the sweeper until the consumer closes.
func (cs *Consumer) sweepLoop() {
	defer cs.wg.Done()
	t := time.NewTicker(sweepInterval(cs.cfg.SessionRetention))
	defer t.Stop()
	recovered := false
	for {
		recovered = cs.sweep(cs.base, recovered)
		select {
		case <-cs.base.Done():
			return
		case <-t.C:
		}
	}
}

// sweep runs one round and reports whether the crash recovery has been done.
func (cs *Consumer) sweep(ctx context.Context, recovered bool) bool {
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.EventTimeout)
	defer cancel()
	store := cs.cfg.Env.Store
	if !recovered {
		n, err := store.EndNodeSessions(ctx, cs.cfg.NodeID, cs.started)
		switch {
		case err != nil && ctx.Err() == nil:
			cs.log.Warn("rtchat: mark sessions left open by a previous run", "err", err, "node", cs.cfg.NodeID)
		case err == nil:
			recovered = true
			if n > 0 {
				cs.log.Info("rtchat: marked sessions left open by a previous run", "node", cs.cfg.NodeID, "sessions", n)
			}
		}
	}
	now := model.Now()
	retention := cs.cfg.SessionRetention
	stale := max(retention, staleThresholds*cs.cfg.Inactivity)
	if _, err := store.DeleteOldSessions(ctx, now.Add(-retention), now.Add(-stale)); err != nil && ctx.Err() == nil {
		cs.log.Warn("rtchat: delete old sessions", "err", err)
	}
	return recovered
}
