package consumer

import (
	"fmt"
	"sync"
	"time"

	"github.com/rtchat/rtchat/protocol"
	"golang.org/x/time/rate"
)

// RateSpec is one rate limit: PerSecond frames a second, in bursts of up to
// Burst. A zero PerSecond is no limit.
type RateSpec struct {
	PerSecond float64
	Burst     int
}

// limiters is this node's rate limit state (WithRateLimit,
// WithEventRateLimit): one userLimits per user with a connection here,
// shared by all of that user's connections on this node, so opening more
// connections does not buy more events. It lives from the user's first
// connection here to their last one's end, so the map holds only users
// that are connected. One mutex is enough: it is taken on connect and
// disconnect, never per frame (a connection keeps its user's entry).
type limiters struct {
	all    RateSpec
	events map[string]RateSpec

	mu    sync.Mutex // guards users and each entry's conns
	users map[int64]*userLimits
}

// userLimits is one user's limiters on this node.
type userLimits struct {
	conns int // connections holding the entry; guarded by limiters.mu

	// mu makes a frame's check of both limiters and its taking of their
	// tokens one step, so that two connections of the user checking at
	// once cannot take a token the other then gives back.
	mu     sync.Mutex
	all    *rate.Limiter            // nil: no overall limit
	events map[string]*rate.Limiter // per event type; read-only once made
}

func newLimiters(all RateSpec, events map[string]RateSpec) *limiters {
	l := &limiters{all: all, events: map[string]RateSpec{}, users: map[int64]*userLimits{}}
	for name, s := range events {
		if s.PerSecond > 0 {
			l.events[name] = s
		}
	}
	return l
}

// on reports whether any limit is set.
func (l *limiters) on() bool { return l.all.PerSecond > 0 || len(l.events) > 0 }

// acquire returns the user's limiters, made with their first connection
// here; nil when no limit is set. Each acquire is matched by a release.
func (l *limiters) acquire(userID int64) *userLimits {
	if !l.on() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ul := l.users[userID]
	if ul == nil {
		ul = &userLimits{}
		if l.all.PerSecond > 0 {
			ul.all = rate.NewLimiter(rate.Limit(l.all.PerSecond), l.all.Burst)
		}
		if len(l.events) > 0 {
			ul.events = make(map[string]*rate.Limiter, len(l.events))
			for name, s := range l.events {
				ul.events[name] = rate.NewLimiter(rate.Limit(s.PerSecond), s.Burst)
			}
		}
		l.users[userID] = ul
	}
	ul.conns++
	return ul
}

// release gives back a connection's hold on its user's limiters; the
// user's last connection here removes them.
func (l *limiters) release(userID int64, ul *userLimits) {
	if ul == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ul.conns--; ul.conns == 0 && l.users[userID] == ul {
		delete(l.users, userID)
	}
}

// count returns how many users have limiters on this node.
func (l *limiters) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}

// take takes a token for a frame of event from the overall limiter and
// from the event's own, or from neither: a refused frame costs nothing, so
// a flood of one event does not use up the user's other events. When
// refused it returns how long until the frame would pass.
func (ul *userLimits) take(event string, now time.Time) (time.Duration, bool) {
	ul.mu.Lock()
	defer ul.mu.Unlock()
	var wait time.Duration
	var all, ev *rate.Reservation
	if ul.all != nil {
		all = ul.all.ReserveN(now, 1)
		wait = all.DelayFrom(now)
	}
	if l := ul.events[event]; l != nil {
		ev = l.ReserveN(now, 1)
		wait = max(wait, ev.DelayFrom(now))
	}
	if wait == 0 {
		return 0, true
	}
	if all != nil {
		all.CancelAt(now)
	}
	if ev != nil {
		ev.CancelAt(now)
	}
	return wait, false
}

// refusals is one connection's record of its refused frames; it is made
// with the first refusal, and only the connection's read goroutine uses it.
type refusals struct {
	// second is when the current one-second window of answers began, and
	// answered how many 4029 frames were written in it.
	second   time.Time
	answered int
	// lastAnswer is when a 4029 was last written for each event type: the
	// event's name if it is in the event map, "" for every other frame, so
	// a client cannot grow the map by inventing names.
	lastAnswer map[string]time.Time
	// unanswered counts the frames refused without a 4029 since the last
	// one; the next 4029 reports it.
	unanswered int
	// recent holds the times of the last closeAfter refusals (Unix
	// nanoseconds), a ring whose oldest entry is at next once it is full.
	recent []int64
	next   int
}

// limited reports whether a frame of c for event goes over a rate limit,
// and if so refuses it: the frame is dropped unhandled, nothing changes,
// and it is answered with 4029 unless that would flood the connection (see
// refuse). event and requestID are the frame's, as far as they could be
// read ("" otherwise).
func (cs *Consumer) limited(c *Conn, event, requestID string) bool {
	if c.limits == nil {
		return false
	}
	now := time.Now()
	wait, ok := c.limits.take(event, now)
	if ok {
		return false
	}
	if cs.metrics != nil {
		cs.metrics.RateLimited()
	}
	cs.refuse(c, event, requestID, wait, now)
	return true
}

// refuse answers a refused frame. The answers are coalesced so that a
// flood cannot fill the connection's send buffer (which would end it with
// 4008): at most one 4029 per event type per second and at most
// SendBuffer/16 (at least 1) per second in all; the frames refused without
// an answer are counted in the next 4029. A connection refused
// RateLimitClose times within RateLimitWindow is closed with 1008.
func (cs *Consumer) refuse(c *Conn, event, requestID string, wait time.Duration, now time.Time) {
	r := c.refusals
	if r == nil {
		r = &refusals{lastAnswer: map[string]time.Time{}}
		c.refusals = r
	}
	if r.abusive(now, cs.cfg.RateLimitClose, cs.cfg.RateLimitWindow) {
		cs.log.Debug("rtchat: closing a connection over the rate limit", "user", c.userID, "refusals", cs.cfg.RateLimitClose, "window", cs.cfg.RateLimitWindow)
		c.kill(protocol.ClosePolicyViolation, protocol.DetailTooManyEvents, cs.cfg.WriteTimeout)
		return
	}
	key := ""
	if _, ok := cs.cfg.Events.Lookup(event); ok {
		key = event
	}
	if now.Sub(r.second) >= time.Second {
		r.second, r.answered = now, 0
	}
	last, seen := r.lastAnswer[key]
	if r.answered >= max(cs.cfg.SendBuffer/16, 1) || (seen && now.Sub(last) < time.Second) {
		r.unanswered++
		return
	}
	r.answered++
	r.lastAnswer[key] = now
	ms := max(wait.Milliseconds(), 1)
	detail := fmt.Sprintf("Too many events: retry in %d ms.", ms)
	if r.unanswered > 0 {
		detail += fmt.Sprintf(" %d more refused without an answer.", r.unanswered)
	}
	pe := &protocol.Error{Code: protocol.CodeRateLimited, Detail: detail, RetryAfterMS: ms, Unanswered: r.unanswered}
	r.unanswered = 0
	cs.writeError(c, pe, event, requestID)
}

// abusive records a refusal at now and reports whether it is the n-th
// within window (n 0: never).
func (r *refusals) abusive(now time.Time, n int, window time.Duration) bool {
	if n <= 0 {
		return false
	}
	t := now.UnixNano()
	if len(r.recent) < n {
		r.recent = append(r.recent, t)
	} else {
		r.recent[r.next] = t
		r.next = (r.next + 1) % n
	}
	return len(r.recent) == n && t-r.recent[r.next] < int64(window)
}

// RateLimitedUsers returns how many users have rate limiters on this node:
// the users connected here, when a limit is set.
func (cs *Consumer) RateLimitedUsers() int { return cs.limits.count() }
