package client

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Defaults of the session options.
const (
	// DefaultBackoffMin is the first reconnect delay's upper bound.
	DefaultBackoffMin = 100 * time.Millisecond
	// DefaultBackoffMax caps every reconnect delay.
	DefaultBackoffMax = 10 * time.Second
)

// SessionOption configures Resume.
type SessionOption func(*sessionConfig)

type sessionConfig struct {
	dial       []Option
	reconnect  bool
	backoffMin time.Duration
	backoffMax time.Duration
	from       map[string]int64
}

func defaultSessionConfig() sessionConfig {
	return sessionConfig{reconnect: true, backoffMin: DefaultBackoffMin, backoffMax: DefaultBackoffMax}
}

func (c *sessionConfig) validate() error {
	if c.backoffMin <= 0 || c.backoffMax < c.backoffMin {
		return errors.New("client: WithBackoff needs 0 < min <= max")
	}
	return nil
}

// WithDialOptions sets the options of every (re)connection: the same as
// Dial's (WithToken, WithHeader, WithDialer). Several calls add up. Default:
// none.
func WithDialOptions(opts ...Option) SessionOption {
	return func(c *sessionConfig) { c.dial = append(c.dial, opts...) }
}

// WithBackoff bounds the delay before each reconnect attempt: attempt n
// waits a uniformly random time in [0, min(max, min*2^n)] ("full jitter", so
// that the clients of a restarted server do not come back in one wave).
// Default: DefaultBackoffMin and DefaultBackoffMax. Resume returns an error
// unless 0 < min <= max.
func WithBackoff(min, max time.Duration) SessionOption {
	return func(c *sessionConfig) { c.backoffMin, c.backoffMax = min, max }
}

// WithoutReconnect makes the session end on the first drop of its
// connection instead of reconnecting. Default: reconnect.
func WithoutReconnect() SessionOption {
	return func(c *sessionConfig) { c.reconnect = false }
}

// WithResumeFrom gives, per room id, the highest seq the application already
// holds (for example saved before a restart): at the first connection those
// rooms are caught up from there. Default: none, so the first connection
// delivers only messages stored after it listed its rooms.
func WithResumeFrom(seqs map[string]int64) SessionOption {
	return func(c *sessionConfig) {
		if c.from == nil {
			c.from = make(map[string]int64, len(seqs))
		}
		for room, seq := range seqs {
			c.from[room] = seq
		}
	}
}

// delay returns how long to wait before reconnect attempt n (0 first).
func (c *sessionConfig) delay(n int) time.Duration {
	ceil := c.backoffMax
	if n < 32 {
		if d := c.backoffMin << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}
