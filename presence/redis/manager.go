package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/presence"
)

// ErrNotStarted is returned by Connect and Disconnect before Start, and
// after Stop.
var ErrNotStarted = errors.New("presence/redis: not started")

// Manager is a presence.Cluster on Redis. The zero value is not usable;
// use New.
type Manager struct {
	client *goredis.Client
	cfg    config
	cfgErr error    // a bad option, returned by Start and Online
	tag    string   // "{prefix}", the first argument of every script
	keys   []string // KEYS of every script: the slot of the hash tag

	run atomic.Pointer[run] // set by Start, cleared by Stop

	// sync is held shared by Connect and Disconnect and exclusively by a
	// resync, which writes this node's connections from local: a
	// Disconnect beside it could otherwise see its connection written back.
	sync sync.RWMutex
	mu   sync.Mutex // guards local and dirty
	// local is this node's live connections (user -> conn ids), whatever
	// Redis holds: the copy a resync writes back.
	local map[int64]map[string]struct{}
	// dirty means Redis may disagree with local (a write failed, or was
	// made while the node was not alive): the next refresh resyncs.
	dirty bool
}

var _ presence.Cluster = (*Manager)(nil)

// New returns a Manager on client. A bad option is reported by Start (so
// by rtchat.New). The client stays the caller's: Stop does not close it.
func New(client *goredis.Client, opts ...Option) *Manager {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	m := &Manager{client: client, cfg: cfg, cfgErr: cfg.validate(), local: map[int64]map[string]struct{}{}}
	if client == nil && m.cfgErr == nil {
		m.cfgErr = errors.New("presence/redis: nil client")
	}
	m.tag = "{" + cfg.prefix + "}"
	m.keys = []string{m.tag + ":nodes"}
	return m
}

// Connect implements presence.Manager. It records the connection under the
// node given to Start; before Start it returns ErrNotStarted. When Redis
// cannot be reached it returns the client's error, and the connection is
// recorded by the next resync, which reports the user online (Change.Online)
// if that makes them so.
func (m *Manager) Connect(ctx context.Context, userID int64, connID string, limit int) (bool, error) {
	r := m.run.Load()
	if r == nil {
		return false, ErrNotStarted
	}
	m.sync.RLock()
	defer m.sync.RUnlock()
	res, err := connectScript.Run(ctx, m.client, m.keys, m.tag, r.node, userID, connID, max(limit, 0)).Int()
	switch {
	case err != nil:
		m.keep(userID, connID, true)
		return false, fmt.Errorf("presence/redis: connect user %d: %w", userID, err)
	case res == -1:
		return false, presence.ErrLimit
	case res == -2:
		// Recorded, but this node's liveness lapsed: the resync that
		// revives it reports the user online.
		m.keep(userID, connID, true)
		return false, nil
	}
	m.keep(userID, connID, false)
	return res == 1, nil
}

// Disconnect implements presence.Manager. When Redis cannot be reached it
// returns the client's error, and the next resync forgets the connection,
// reporting the user offline (Change.Offline) if that makes them so.
func (m *Manager) Disconnect(ctx context.Context, userID int64, connID string) (bool, error) {
	r := m.run.Load()
	if r == nil {
		return false, ErrNotStarted
	}
	m.sync.RLock()
	defer m.sync.RUnlock()
	m.forget(userID, connID)
	res, err := disconnectScript.Run(ctx, m.client, m.keys, m.tag, r.node, userID, connID).Int()
	if err != nil {
		m.markDirty()
		return false, fmt.Errorf("presence/redis: disconnect user %d: %w", userID, err)
	}
	return res == 1, nil
}

// Online implements presence.Manager: a user is online while one of their
// connections is on a live node. It answers before Start too.
func (m *Manager) Online(ctx context.Context, userIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool)
	if m.cfgErr != nil {
		return nil, m.cfgErr
	}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(userIDs)+1)
	args = append(args, m.tag)
	for _, u := range userIDs {
		args = append(args, u)
	}
	res, err := onlineScript.Run(ctx, m.client, m.keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("presence/redis: online: %w", err)
	}
	if len(res) != len(userIDs) {
		return nil, fmt.Errorf("presence/redis: online: %d answers for %d users", len(res), len(userIDs))
	}
	for i, on := range res {
		if on == 1 {
			out[userIDs[i]] = true
		}
	}
	return out, nil
}

// keep adds a connection to the local copy; dirty asks for a resync.
func (m *Manager) keep(userID int64, connID string, dirty bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	conns := m.local[userID]
	if conns == nil {
		conns = map[string]struct{}{}
		m.local[userID] = conns
	}
	conns[connID] = struct{}{}
	m.dirty = m.dirty || dirty
}

// forget removes a connection from the local copy.
func (m *Manager) forget(userID int64, connID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	conns := m.local[userID]
	delete(conns, connID)
	if len(conns) == 0 {
		delete(m.local, userID)
	}
}

func (m *Manager) markDirty() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = true
}

// snapshot returns the local copy as script arguments (user, conn, ...)
// and clears dirty; the caller holds sync exclusively.
func (m *Manager) snapshot() []any {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = false
	var out []any
	for u, conns := range m.local {
		for c := range conns {
			out = append(out, strconv.FormatInt(u, 10), c)
		}
	}
	return out
}

// isDirty reports whether a resync is due.
func (m *Manager) isDirty() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dirty
}

// parseUsers turns a script's list of decimal user ids into int64s.
func parseUsers(v any) ([]int64, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("presence/redis: unexpected reply %T", v)
	}
	out := make([]int64, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("presence/redis: unexpected user id %T", e)
		}
		u, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("presence/redis: user id %q: %w", s, err)
		}
		out = append(out, u)
	}
	return out, nil
}
