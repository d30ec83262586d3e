// Package redistest gives tests a Redis client and a channel prefix of
// their own. Redis comes from RTCHAT_TEST_REDIS; without it the tests
// skip, except under CI (CI=true), where they fail.
package redistest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
)

// Env names the variable holding the Redis test URL, for example
// redis://127.0.0.1:6379/0.
const Env = "RTCHAT_TEST_REDIS"

// URL returns the Redis test URL, or skips the test when RTCHAT_TEST_REDIS
// is unset outside CI.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set under CI: the Redis tests must run", Env)
		}
		tb.Skipf("set %s=redis://127.0.0.1:6379/0 to run the Redis tests", Env)
	}
	return u
}

// Client returns a client of the test Redis, checked with a PING and
// closed at the end of the test. edit, when given, adjusts the options
// (a client name, timeouts) before the client is made.
func Client(tb testing.TB, edit ...func(*goredis.Options)) *goredis.Client {
	tb.Helper()
	u := URL(tb)
	opt, err := goredis.ParseURL(u)
	if err != nil {
		tb.Fatalf("%s=%s: %v", Env, u, err)
	}
	for _, e := range edit {
		e(opt)
	}
	c := goredis.NewClient(opt)
	tb.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("%s=%s: %v", Env, u, err)
	}
	return c
}

// Prefix returns a channel prefix no other test uses, so tests sharing one
// Redis do not hear each other.
func Prefix(tb testing.TB) string {
	tb.Helper()
	return "rtchat-test-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
}

// Cuttable returns a proxy to the test Redis that the test controls, and
// a function making clients that connect through it and fail fast (no
// retries, 200 ms timeouts), so that a cut shows at once.
func Cuttable(tb testing.TB) (*Proxy, func() *goredis.Client) {
	tb.Helper()
	proxy := NewProxy(tb, Client(tb).Options().Addr)
	return proxy, func() *goredis.Client {
		return Client(tb, func(o *goredis.Options) {
			o.Addr = proxy.Addr()
			o.MaxRetries = -1
			o.DialTimeout = 200 * time.Millisecond
			o.ReadTimeout = 200 * time.Millisecond
			o.WriteTimeout = 200 * time.Millisecond
		})
	}
}
