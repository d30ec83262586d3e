package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rtchat/rtchat/presence"
)

// run is one Start..Stop of a Manager: the node's goroutines and what they
// share.
type run struct {
	node     string
	onChange func(presence.Change)
	cancel   context.CancelFunc // ends the heartbeat and the reaper
	loops    sync.WaitGroup     // the heartbeat and the reaper
	notified chan struct{}      // closed when the notifier has returned
	wake     chan struct{}      // capacity 1: the notifier has work

	mu    sync.Mutex // guards queue, ended and muted
	queue []presence.Change
	ended bool // the loops have returned: the notifier delivers the queue and returns
	muted bool // Stop gave up waiting: nothing more is delivered
}

// Start implements presence.Cluster. It records the node in Redis
// (forgetting what a previous run of the same node id left behind, and
// reporting those users offline) before it returns; when Redis cannot be
// reached it logs that and retries at each refresh. It returns an error
// for a bad option, an empty node id, or a second call.
func (m *Manager) Start(nodeID string, onChange func(presence.Change)) error {
	if m.cfgErr != nil {
		return m.cfgErr
	}
	if nodeID == "" || onChange == nil {
		return errors.New("presence/redis: Start needs a node id and an onChange")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{node: nodeID, onChange: onChange, cancel: cancel, wake: make(chan struct{}, 1), notified: make(chan struct{})}
	if !m.run.CompareAndSwap(nil, r) {
		cancel()
		return errors.New("presence/redis: Start called twice")
	}
	m.markDirty()
	m.beat(ctx, r)
	r.loops.Add(2)
	// The heartbeat keeps the node alive after the first resync: a refresh
	// every TTL/3, or a resync when the node was reaped, its liveness
	// lapsed or a write failed. The reaper reaps, every TTL/2, the nodes
	// whose liveness lapsed.
	go m.every(ctx, r, m.cfg.refreshEvery(), m.beat)
	go m.every(ctx, r, m.cfg.reapEvery(), m.reap)
	go r.notify()
	return nil
}

// Stop implements presence.Cluster. It returns the client's error when the
// node cannot be removed from Redis (its liveness then lapses after the
// TTL and another node reaps it), and ctx's error when ctx ends before a
// running onChange returned.
func (m *Manager) Stop(ctx context.Context) error {
	r := m.run.Load()
	if r == nil {
		return nil
	}
	r.cancel()
	done := make(chan struct{})
	go func() {
		r.loops.Wait()
		r.mu.Lock()
		r.ended = true
		r.mu.Unlock()
		r.poke()
		<-r.notified
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		r.mu.Lock()
		r.muted = true
		r.mu.Unlock()
		return fmt.Errorf("presence/redis: stop: %w", ctx.Err())
	}
	m.sync.Lock()
	defer m.sync.Unlock()
	m.run.Store(nil)
	if err := leaveScript.Run(ctx, m.client, m.keys, m.tag, r.node).Err(); err != nil {
		return fmt.Errorf("presence/redis: stop: remove node %s: %w", r.node, err)
	}
	return nil
}

// every runs fn every d until ctx ends.
func (m *Manager) every(ctx context.Context, r *run, d time.Duration, fn func(context.Context, *run)) {
	defer r.loops.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn(ctx, r)
	}
}

// beat is one refresh, or a resync when due.
func (m *Manager) beat(parent context.Context, r *run) {
	// A call may not outlast its turn: a later one would find the node
	// lapsed anyway.
	ctx, cancel := context.WithTimeout(parent, m.cfg.refreshEvery())
	defer cancel()
	if !m.isDirty() {
		ok, err := refreshScript.Run(ctx, m.client, m.keys, m.tag, r.node, m.cfg.ttl.Milliseconds()).Int()
		if err != nil {
			if parent.Err() == nil {
				m.cfg.logger.Warn("presence/redis: refresh liveness", "node", r.node, "err", err)
			}
			return
		}
		if ok == 1 {
			return
		}
		m.cfg.logger.Warn("presence/redis: this node was reaped or its liveness lapsed; recording its connections again", "node", r.node)
	}
	if err := m.resync(ctx, r); err != nil && parent.Err() == nil {
		m.cfg.logger.Warn("presence/redis: record this node's connections", "node", r.node, "err", err)
	}
}

// resync writes the local copy of this node's connections to Redis and
// queues a Change with the users it brought online or offline. On failure
// the next beat tries again.
func (m *Manager) resync(ctx context.Context, r *run) error {
	m.sync.Lock()
	defer m.sync.Unlock()
	args := append([]any{m.tag, r.node, m.cfg.ttl.Milliseconds()}, m.snapshot()...)
	res, err := syncScript.Run(ctx, m.client, m.keys, args...).Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("unexpected reply %v", res)
	}
	var on, off []int64
	if err == nil {
		on, err = parseUsers(res[0])
	}
	if err == nil {
		off, err = parseUsers(res[1])
	}
	if err != nil {
		m.markDirty()
		return err
	}
	if len(on) > 0 || len(off) > 0 {
		r.push(presence.Change{Node: r.node, Online: on, Offline: off})
	}
	return nil
}

// reap runs one reaping and queues a Change per reaped node.
func (m *Manager) reap(parent context.Context, r *run) {
	ctx, cancel := context.WithTimeout(parent, m.cfg.reapEvery())
	defer cancel()
	res, err := reapScript.Run(ctx, m.client, m.keys, m.tag, r.node).Slice()
	if err != nil {
		if parent.Err() == nil {
			m.cfg.logger.Warn("presence/redis: reap dead nodes", "err", err)
		}
		return
	}
	for _, e := range res {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			m.cfg.logger.Error("presence/redis: reap: unexpected reply", "reply", e)
			continue
		}
		node, _ := pair[0].(string)
		off, err := parseUsers(pair[1])
		if err != nil {
			m.cfg.logger.Error("presence/redis: reap", "node", node, "err", err)
			continue
		}
		m.cfg.logger.Info("presence/redis: reaped a dead node", "node", node, "offline", len(off))
		r.push(presence.Change{Node: node, Offline: off})
	}
}

// push queues a change for the notifier.
func (r *run) push(ch presence.Change) {
	r.mu.Lock()
	r.queue = append(r.queue, ch)
	r.mu.Unlock()
	r.poke()
}

func (r *run) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// notify calls onChange for each queued change, in order, one at a time,
// so a slow onChange delays neither the refresh nor the reaping. Once the
// loops have ended it delivers what is queued and returns.
func (r *run) notify() {
	defer close(r.notified)
	for range r.wake {
		for {
			r.mu.Lock()
			if r.muted || len(r.queue) == 0 {
				stop := r.ended || r.muted
				r.mu.Unlock()
				if stop {
					return
				}
				break
			}
			ch := r.queue[0]
			r.queue = r.queue[1:]
			r.mu.Unlock()
			r.onChange(ch)
		}
	}
}
