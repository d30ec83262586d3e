package presence

import (
	"context"
	"sync"
)

// Memory is the Manager of a single process. It holds the live connections
// only: a user is forgotten when their last connection closes, so memory
// follows the number of online users. The zero value is ready to use.
type Memory struct {
	mu    sync.Mutex                    // guards users
	users map[int64]map[string]struct{} // user -> ids of live connections; never empty
}

var _ Manager = (*Memory)(nil)

// NewMemory returns an empty in-process Manager.
func NewMemory() *Memory { return &Memory{} }

// Connect implements Manager.
func (m *Memory) Connect(_ context.Context, userID int64, connID string, limit int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.users == nil {
		m.users = map[int64]map[string]struct{}{}
	}
	conns := m.users[userID]
	if _, dup := conns[connID]; dup {
		return false, nil
	}
	if limit > 0 && len(conns) >= limit {
		return false, ErrLimit
	}
	if conns == nil {
		conns = map[string]struct{}{}
		m.users[userID] = conns
	}
	conns[connID] = struct{}{}
	return len(conns) == 1, nil
}

// Disconnect implements Manager.
func (m *Memory) Disconnect(_ context.Context, userID int64, connID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	conns := m.users[userID]
	if _, ok := conns[connID]; !ok {
		return false, nil
	}
	delete(conns, connID)
	if len(conns) > 0 {
		return false, nil
	}
	delete(m.users, userID)
	return true, nil
}

// Online implements Manager.
func (m *Memory) Online(_ context.Context, userIDs []int64) (map[int64]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[int64]bool)
	for _, u := range userIDs {
		if len(m.users[u]) > 0 {
			out[u] = true
		}
	}
	return out, nil
}

// Len returns the number of online users.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.users)
}
