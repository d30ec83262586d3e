package main

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/protocol"
)

// Figure names of the storm scenario.
const (
	figStormMean   = "presence frames per member, mean"
	figStormMax    = "presence frames per member, max"
	figStormClosed = "members closed with 4008"
)

// runStorm has the cfg.stormMembers members of one channel connect, spread
// evenly over cfg.stormWindow, each reading from the moment it connects, and
// counts the presence.dispatch frames each receives until the frames stop.
func runStorm(ctx context.Context, b *bench, t *target) ([]figure, error) {
	m := b.cfg.stormMembers
	subs, err := t.ids(b.users(2, m))
	if err != nil {
		return nil, err
	}
	// The creator makes the room and leaves, so that every member connects
	// during the storm.
	creator, err := t.dialer.dial(ctx, b.user(1), nil)
	if err != nil {
		return nil, err
	}
	if err := creator.waitFirst(ctx); err != nil {
		creator.close()
		return nil, err
	}
	_, err = createRoom(ctx, creator, map[string]any{
		"type": protocol.RoomChannel, "name": "storm", "subscribers": subs,
		"extra_fields": map[string]any{"max_subscribers": m},
	})
	creator.close()
	if err != nil {
		return nil, err
	}
	if t.local() {
		if err := waitFor(ctx, time.Minute, "creator gone", func() bool { return t.conns() == 0 }); err != nil {
			return nil, err
		}
	}

	users := b.users(1, m)
	presence := make([]atomic.Int64, m)
	conns := make([]*loadConn, m)
	var frames atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var dialErrs []error
	start := time.Now()
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(b.cfg.stormWindow * time.Duration(i) / time.Duration(m))))
			c, err := t.dialer.dial(ctx, u, func(p []byte, _ time.Time) {
				frames.Add(1)
				if bytes.Contains(p, presenceDispatchKey) {
					presence[i].Add(1)
				}
			})
			mu.Lock()
			conns[i] = c
			if err != nil {
				dialErrs = append(dialErrs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	defer closeAll(conns)
	if err := firstErr(dialErrs); err != nil {
		return nil, err
	}
	waitQuietOr(ctx, b.cfg.quiet, 2*time.Minute, frames.Load, -1)
	var total, most int64
	closed := 0
	for i := range presence {
		n := presence[i].Load()
		total += n
		most = max(most, n)
		if conns[i].closed() && int(conns[i].closeCode.Load()) == protocol.CodeResync {
			closed++
		}
	}
	mean := float64(total) / float64(m)
	b.logf("storm on %s: %d members over %v: %d presence frames (%.1f per member, max %d), %d closed with 4008",
		t.name, m, b.cfg.stormWindow, total, mean, most, closed)
	return []figure{
		{Scenario: "storm", DB: t.kind, Name: figStormMean, Value: mean},
		{Scenario: "storm", DB: t.kind, Name: figStormMax, Value: float64(most)},
		{Scenario: "storm", DB: t.kind, Name: figStormClosed, Value: float64(closed)},
	}, nil
}
