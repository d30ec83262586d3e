package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/rtchat/rtchat/protocol"
)

// The send limit of each connection.
const (
	SendLimit  = 30
	SendWindow = time.Minute
)

// SendLimiter allows each connection at most limit message.send in any
// window: a sliding window, kept as the times of the connection's last
// limit sends. It lives on this node only, as the connections do.
type SendLimiter struct {
	limit  int
	window time.Duration

	// mu guards sends.
	mu sync.Mutex
	// sends holds, by connection id, the times of the connection's last
	// sends, oldest first, at most limit of them.
	sends map[string][]time.Time
}

// NewSendLimiter returns a limiter of limit sends per window.
func NewSendLimiter(limit int, window time.Duration) *SendLimiter {
	return &SendLimiter{limit: limit, window: window, sends: map[string][]time.Time{}}
}

// Allow counts a send of the connection at now, or refuses it with a 4029
// error saying when to retry, counting nothing.
func (l *SendLimiter) Allow(connID string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.sends[connID]
	if len(ts) >= l.limit {
		if retry := ts[0].Add(l.window).Sub(now); retry > 0 {
			return protocol.Errorf(protocol.CodeRateLimited,
				"At most %d messages per %v: retry in %v.", l.limit, l.window, retry.Truncate(time.Second)+time.Second)
		}
		ts = ts[1:]
	}
	l.sends[connID] = append(ts, now)
	return nil
}

// Forget drops a connection's sends, when it ends.
func (l *SendLimiter) Forget(connID string) {
	l.mu.Lock()
	delete(l.sends, connID)
	l.mu.Unlock()
}

// String describes the limit, for the log.
func (l *SendLimiter) String() string {
	return fmt.Sprintf("%d message.send per %v per connection", l.limit, l.window)
}
