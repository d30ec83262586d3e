package consumer

import (
	"context"
	"time"
)

// Resync: after the broker has lost messages (its subscription was down and
// is back, broker.KindResync), the node reads from the database what its
// connections may have missed, as a reconnecting client would:
//
//   - each local user's rooms are read again. A connection whose fan-out
//     holds a room the user has left is taken out of it at once (it must
//     not hear the room again); a connection that misses a room the user
//     has joined, or left, is closed with 4008, so its client lists its
//     rooms again and catches up by seq: the join and leave frames it
//     missed are not stored anywhere;
//   - every room those reads returned is caught up by seq to the last_seq
//     read with it: the order state reads the missing messages from the
//     database (see catchUp in order.go).
//
// Events without a seq published while the node was not listening
// (reactions, edits, typing, presence) are not stored as events and are
// not replayed; a client sees their result the next time it reads the
// messages.
//
// A failed read is retried with backoff until it succeeds or the consumer
// closes. Resyncs requested while one runs are folded into one more run.

// resyncState coalesces resync requests.
type resyncState struct {
	running bool // a resync goroutine is running
	again   bool // another request came while it ran
}

// resync starts a resync, or asks the running one to run once more.
func (cs *Consumer) resync() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.base.Err() != nil {
		return
	}
	if cs.resyncs.running {
		cs.resyncs.again = true
		return
	}
	cs.resyncs.running = true
	cs.wg.Add(1)
	go cs.resyncLoop()
}

// resyncLoop runs resyncs until no request is left.
func (cs *Consumer) resyncLoop() {
	defer cs.wg.Done()
	for {
		cs.resyncUntilDone()
		cs.mu.Lock()
		if !cs.resyncs.again || cs.base.Err() != nil {
			cs.resyncs.running = false
			cs.mu.Unlock()
			return
		}
		cs.resyncs.again = false
		cs.mu.Unlock()
	}
}

// resyncUntilDone runs one resync, retrying with backoff while the
// database fails.
func (cs *Consumer) resyncUntilDone() {
	wait := 100 * time.Millisecond
	for {
		err := cs.resyncOnce(cs.base)
		if err == nil || cs.base.Err() != nil {
			return
		}
		cs.log.Error("rtchat: resync after the broker lost messages; retrying", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-cs.base.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxFillBackoff)
	}
}

// resyncOnce reads every local user's rooms, reconciles their connections
// and catches every room up by seq.
func (cs *Consumer) resyncOnce(ctx context.Context) error {
	last := map[string]int64{}
	for _, u := range cs.hub.localUsers() {
		rctx, cancel := context.WithTimeout(ctx, cs.cfg.EventTimeout)
		rooms, err := cs.cfg.Env.Store.UserRoomSeqs(rctx, u)
		cancel()
		if err != nil {
			return err
		}
		want := make(map[string]struct{}, len(rooms))
		for _, r := range rooms {
			want[r.RoomID] = struct{}{}
			last[r.RoomID] = max(last[r.RoomID], r.LastSeq)
		}
		for _, c := range cs.hub.connsOf([]int64{u}) {
			if cs.hub.reconcile(c, want) {
				cs.resyncClose(c, "rooms changed while this node was cut off: reconnect and catch up by seq")
			}
		}
	}
	for room, seq := range last {
		cs.order.catchUp(room, seq)
	}
	return nil
}
