package redis

import (
	"errors"
	"log/slog"
	"strings"
	"time"
)

// Option configures a Manager.
type Option func(*config)

type config struct {
	prefix string
	ttl    time.Duration
	logger *slog.Logger
}

func defaultConfig() config {
	return config{prefix: "rtchat", ttl: 15 * time.Second, logger: slog.Default()}
}

// minTTL is the shortest WithTTL: a node refreshes its liveness every
// third of it, and each refresh is a round trip to Redis.
const minTTL = 100 * time.Millisecond

// validate reports a bad option. New cannot return it (New plugs into
// rtchat.WithPresence), so Start does: rtchat.New fails with it.
func (c *config) validate() error {
	switch {
	case c.prefix == "" || strings.ContainsAny(c.prefix, "{}"):
		return errors.New("presence/redis: the prefix must be non-empty and hold no braces")
	case c.ttl < minTTL:
		return errors.New("presence/redis: the TTL must be at least 100ms")
	case c.logger == nil:
		return errors.New("presence/redis: nil logger")
	}
	return nil
}

// refreshEvery is how often a node extends its liveness: three times per
// TTL, so a lost refresh or two do not make it lapse.
func (c *config) refreshEvery() time.Duration { return c.ttl / 3 }

// reapEvery is how often a node looks for nodes whose liveness lapsed: the
// users of a dead node go offline within TTL + reapEvery of its last
// refresh.
func (c *config) reapEvery() time.Duration { return c.ttl / 2 }

// WithPrefix sets the prefix of every key, which are "{<prefix>}:...": the
// braces make them one hash slot of a Redis Cluster, so each script's keys
// are on one shard. Nodes of one chat share a prefix; chats (or tests)
// sharing a Redis use different ones. Default "rtchat".
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithTTL sets how long a node stays alive in Redis without refreshing its
// liveness. A node refreshes it every TTL/3 and looks for dead nodes every
// TTL/2, so the users of a crashed node go offline within about 1.5 TTL.
// A node that cannot reach Redis for longer than the TTL is reaped by the
// others (its users shown offline) and records its connections again when
// it can. Default 15s; at least 100ms.
func WithTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithLogger sets where failures to reach Redis and reaped nodes are
// reported. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
