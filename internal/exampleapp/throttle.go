package exampleapp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the login throttle's Config fields.
const (
	// DefaultLoginAccountLimit is Config.LoginAccountLimit's default.
	DefaultLoginAccountLimit = 10
	// DefaultLoginAddressLimit is Config.LoginAddressLimit's default.
	DefaultLoginAddressLimit = 50
	// DefaultLoginWindow is Config.LoginWindow's default.
	DefaultLoginWindow = 15 * time.Minute
	// DefaultHashWait is Config.HashWait's default.
	DefaultHashWait = time.Second
)

// DefaultMaxConcurrentHashes is Config.MaxConcurrentHashes's default: half
// the CPUs, at least one, so password hashing never takes every core from
// the chat.
func DefaultMaxConcurrentHashes() int { return max(1, runtime.NumCPU()/2) }

// Errors of the login throttle, which the handlers answer 429 and 503.
var (
	// errThrottled is a login refused because its account or address has
	// used up its attempts; the retryError says for how long.
	errThrottled = errors.New("exampleapp: too many login attempts")
	// errBusy is a password hash that found no free slot within HashWait.
	errBusy = errors.New("exampleapp: too many password hashes at once")
)

// retryError is errThrottled or errBusy with the Retry-After to answer.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// validateThrottle returns what is wrong with the throttle's settings.
func (c Config) validateThrottle() error {
	switch {
	case c.LoginWindow < 0:
		return fmt.Errorf("exampleapp: Config.LoginWindow %v is negative", c.LoginWindow)
	case c.MaxConcurrentHashes < 0:
		return fmt.Errorf("exampleapp: Config.MaxConcurrentHashes %d is negative", c.MaxConcurrentHashes)
	case c.HashWait < 0:
		return fmt.Errorf("exampleapp: Config.HashWait %v is negative", c.HashWait)
	}
	return nil
}

// loginThrottle limits login attempts per account and per client address,
// and bounds how many bcrypt hashes run at once. It lives in one process:
// with several nodes each throttles alone, so an attacker spreading over n
// nodes gets n times the attempts.
type loginThrottle struct {
	accounts, addresses *limiterSet // nil when that limit is off
	mu                  sync.Mutex  // guards accounts and addresses
	slots               chan struct{}
	wait                time.Duration
	trustProxy          bool

	// now is time.Now; tests move it instead of waiting out a window.
	now func() time.Time
	// onHash, when set by a test, is called as a hash starts (+1) and ends
	// (-1), inside its slot.
	onHash func(delta int)
}

func newLoginThrottle(c Config) *loginThrottle {
	window := c.LoginWindow
	if window == 0 {
		window = DefaultLoginWindow
	}
	n := c.MaxConcurrentHashes
	if n == 0 {
		n = DefaultMaxConcurrentHashes()
	}
	wait := c.HashWait
	if wait == 0 {
		wait = DefaultHashWait
	}
	return &loginThrottle{
		accounts:   newLimiterSet(c.LoginAccountLimit, DefaultLoginAccountLimit, window),
		addresses:  newLimiterSet(c.LoginAddressLimit, DefaultLoginAddressLimit, window),
		slots:      make(chan struct{}, n),
		wait:       wait,
		trustProxy: c.TrustProxy,
		now:        time.Now,
	}
}

// attempt counts one login attempt of username from r's client address,
// or returns a *retryError wrapping errThrottled when either has used up its
// attempts. A username is throttled whether or not it exists, so the answer
// says nothing about that. A refused attempt costs nothing; one that then
// finds every hash slot busy still counts, as the client is hurrying a
// server that is already loaded.
func (t *loginThrottle) attempt(r *http.Request, username string) error {
	now := t.now()
	// Logins ignore the case of the name, so its attempts count together.
	addr, name := clientAddress(r, t.trustProxy), strings.ToLower(username)
	t.mu.Lock()
	defer t.mu.Unlock()
	// Both must have room before either is taken from, so that guessing
	// from a throttled address does not use up an account's attempts.
	if wait := max(t.addresses.wait(addr, now), t.accounts.wait(name, now)); wait > 0 {
		return &retryError{errThrottled, wait}
	}
	t.addresses.take(addr, now)
	t.accounts.take(name, now)
	return nil
}

// hash runs fn, a bcrypt hash or comparison, once one of the slots is free.
// A request waits at most HashWait for a slot, then gets a *retryError
// wrapping errBusy, so a burst of logins queues only briefly and the
// remaining cores stay with the chat.
func (t *loginThrottle) hash(ctx context.Context, fn func()) error {
	timer := time.NewTimer(t.wait)
	defer timer.Stop()
	select {
	case t.slots <- struct{}{}:
	case <-timer.C:
		return &retryError{errBusy, time.Second}
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.slots }()
	if t.onHash != nil {
		t.onHash(+1)
		defer t.onHash(-1)
	}
	fn()
	return nil
}

// limiterSet is one token bucket per key: limit attempts per window, with
// the whole limit as the burst. Buckets that have refilled are forgotten,
// so it holds only the keys seen in about the last window. A nil set (the
// limit is off) always has room. The loginThrottle's mu guards it.
type limiterSet struct {
	limit     rate.Limit
	burst     int
	window    time.Duration
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// newLimiterSet returns the set for n attempts per window: def when n is
// 0, none (nil) when n is negative.
func newLimiterSet(n, def int, window time.Duration) *limiterSet {
	if n == 0 {
		n = def
	}
	if n < 0 {
		return nil
	}
	return &limiterSet{
		limit: rate.Every(window / time.Duration(n)), burst: n, window: window,
		buckets: make(map[string]*rate.Limiter),
	}
}

// wait returns how long from now until key's bucket has a token: 0 when it
// has one.
func (s *limiterSet) wait(key string, now time.Time) time.Duration {
	if s == nil {
		return 0
	}
	s.sweep(now)
	lim := s.buckets[key]
	if lim == nil {
		return 0
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(s.limit) * float64(time.Second))
}

// take takes a token from key's bucket at now; wait said there is one.
func (s *limiterSet) take(key string, now time.Time) {
	if s == nil {
		return
	}
	lim := s.buckets[key]
	if lim == nil {
		lim = rate.NewLimiter(s.limit, s.burst)
		s.buckets[key] = lim
	}
	lim.AllowN(now, 1)
}

// sweep forgets, at most once a window, the buckets that are full again:
// a new bucket would be the same.
func (s *limiterSet) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < s.window {
		return
	}
	s.lastSweep = now
	for k, lim := range s.buckets {
		if lim.TokensAt(now) >= float64(s.burst) {
			delete(s.buckets, k)
		}
	}
}

// clientAddress is the address a request's attempts are counted under: the
// host of r.RemoteAddr or, when trustProxy is set, the last address of
// X-Forwarded-For, which is the one the proxy in front of the app added
// (so it assumes exactly one proxy: with more, their own addresses would
// be counted instead). An IPv6 client is counted by its /64, which one
// client usually holds whole.
func clientAddress(r *http.Request, trustProxy bool) string {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if last = strings.TrimSpace(last); last != "" {
				addr = last
			}
		}
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// writeRetry answers a *retryError: 429 for a throttled login, 503 when
// every hash slot stayed busy, each with Retry-After in whole seconds.
func writeRetry(w http.ResponseWriter, re *retryError) {
	secs := int(math.Ceil(re.after.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	if errors.Is(re, errBusy) {
		writeError(w, http.StatusServiceUnavailable, "busy, try again shortly")
		return
	}
	writeError(w, http.StatusTooManyRequests, "too many login attempts, try again later")
}
