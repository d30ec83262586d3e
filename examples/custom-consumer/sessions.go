package main

import (
	"log/slog"
	"sync"
	"time"
)

// Sessions records how long this node's connections last: the connect
// hook starts a session, the disconnect hook ends it, logs its length and
// adds it to the totals.
type Sessions struct {
	log *slog.Logger

	// mu guards the fields below.
	mu sync.Mutex
	// started holds when each open connection's connection opened, by
	// connection id.
	started map[string]time.Time
	ended   int
	total   time.Duration
	longest time.Duration
}

// SessionStats is what GET /api/sessions/stats answers.
type SessionStats struct {
	// Active counts the open connections.
	Active int `json:"active"`
	// Ended counts the connections that ended since the app started.
	Ended int `json:"ended"`
	// TotalSeconds adds up the lengths of the ended ones.
	TotalSeconds float64 `json:"total_seconds"`
	// LongestSeconds is the longest of them.
	LongestSeconds float64 `json:"longest_seconds"`
}

// NewSessions returns an empty record logging to log.
func NewSessions(log *slog.Logger) *Sessions {
	return &Sessions{log: log, started: map[string]time.Time{}}
}

// Start records that the connection opened at now.
func (s *Sessions) Start(connID string, userID int64, now time.Time) {
	s.mu.Lock()
	s.started[connID] = now
	s.mu.Unlock()
	s.log.Info("custom-consumer: session started", "conn", connID, "user", userID)
}

// End records that the connection ended at now and returns how long it
// lasted; false if it never started (its connect hook did not run).
func (s *Sessions) End(connID string, userID int64, now time.Time) (time.Duration, bool) {
	s.mu.Lock()
	start, ok := s.started[connID]
	var d time.Duration
	if ok {
		delete(s.started, connID)
		d = now.Sub(start)
		s.ended++
		s.total += d
		s.longest = max(s.longest, d)
	}
	s.mu.Unlock()
	if ok {
		s.log.Info("custom-consumer: session ended", "conn", connID, "user", userID, "duration", d)
	}
	return d, ok
}

// Stats returns the totals.
func (s *Sessions) Stats() SessionStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SessionStats{
		Active: len(s.started), Ended: s.ended,
		TotalSeconds: s.total.Seconds(), LongestSeconds: s.longest.Seconds(),
	}
}
