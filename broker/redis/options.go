package redis

import (
	"errors"
	"log/slog"
	"time"
)

// Option configures a Broker.
type Option func(*config)

type config struct {
	prefix       string
	minBackoff   time.Duration
	maxBackoff   time.Duration
	pingInterval time.Duration
	backlog      int
	logger       *slog.Logger
}

func defaultConfig() config {
	return config{
		prefix:       "rtchat",
		minBackoff:   100 * time.Millisecond,
		maxBackoff:   5 * time.Second,
		pingInterval: 10 * time.Second,
		backlog:      10000,
		logger:       slog.Default(),
	}
}

// validate reports a bad option. New cannot return it (New plugs into
// rtchat.WithBroker), so Subscribe and Publish do: rtchat.New fails with it.
func (c *config) validate() error {
	switch {
	case c.prefix == "":
		return errors.New("redis broker: empty channel prefix")
	case c.minBackoff <= 0 || c.maxBackoff < c.minBackoff:
		return errors.New("redis broker: backoff needs 0 < min <= max")
	case c.pingInterval <= 0:
		return errors.New("redis broker: ping interval must be positive")
	case c.backlog <= 0:
		return errors.New("redis broker: backlog must be positive")
	case c.logger == nil:
		return errors.New("redis broker: nil logger")
	}
	return nil
}

// WithPrefix sets the prefix of the Redis channel, "<prefix>:events", so
// that several chats (or tests) share one Redis without hearing each
// other. Default "rtchat".
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithBackoff sets the bounds of the wait between attempts to subscribe
// again after the connection was lost: the first wait is about min, each
// failed attempt doubles it up to max, and each wait is drawn at random
// from its upper half, so that nodes cut off together do not reconnect in
// step. Default 100 ms and 5 s.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) { c.minBackoff, c.maxBackoff = min, max }
}

// WithPingInterval sets how long the subscriber waits for a message before
// it pings Redis; a ping unanswered for as long again counts as a lost
// connection (a half-open TCP connection never reports an error by
// itself). Default 10 s.
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithBacklog sets how many messages published while Redis is unreachable
// are kept to be published once it is back; beyond it the oldest are
// dropped (and logged). Default 10,000.
func WithBacklog(n int) Option { return func(c *config) { c.backlog = n } }

// WithLogger sets where the subscriber reports lost connections and
// undecodable messages. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
