package redis_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/broker"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/internal/brokertest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// viaProxy returns a client of the test Redis that connects through a
// proxy the test controls, failing fast (no retries) so that the test
// sees each failure.
func viaProxy(t *testing.T) (*goredis.Client, *redistest.Proxy) {
	t.Helper()
	direct := redistest.Client(t)
	proxy := redistest.NewProxy(t, direct.Options().Addr)
	c := redistest.Client(t, func(o *goredis.Options) {
		o.Addr = proxy.Addr()
		o.MaxRetries = -1
		o.DialTimeout = time.Second
	})
	return c, proxy
}

// publishUntilReceived publishes message seq from pub until rec holds it:
// right after a reconnect, the first publish may still meet the old state
// of the network.
func publishUntilReceived(t *testing.T, pub *redisbroker.Broker, rec *brokertest.Recorder, seq int64) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("message %d", seq), func() bool {
		for _, m := range rec.Snapshot() {
			if m.Seq == seq {
				return true
			}
		}
		publish(t, pub, 0, seq, seq)
		time.Sleep(5 * time.Millisecond)
		return false
	})
}

func TestResubscribesAfterRedisWasUnreachable(t *testing.T) {
	prefix := redistest.Prefix(t)
	c, proxy := viaProxy(t)
	var reconnects atomic.Int32
	failed := &logCounter{msg: "redis broker: subscribe failed"}
	sub, rec := nodeOn(t, c, prefix,
		redisbroker.WithBackoff(5*time.Millisecond, 40*time.Millisecond),
		redisbroker.WithLogger(slog.New(failed)),
		redisbroker.WithOnReconnect(func() { reconnects.Add(1) }))
	pub := redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix))
	publish(t, pub, 0, 1, 3)
	rec.WaitFor(t, 3)

	proxy.Cut()
	// Publishing through the cut link fails: the caller learns of it.
	if err := sub.Publish(context.Background(), broker.Message{Kind: broker.KindRoom}); err == nil {
		t.Error("Publish through a cut connection succeeded")
	}
	// The subscriber keeps trying, with backoff, while Redis is away.
	waitUntil(t, "three failed attempts", func() bool { return failed.n.Load() >= 3 })
	if k := reconnects.Load(); k != 0 {
		t.Fatalf("OnReconnect called %d times before Redis came back", k)
	}
	proxy.Restore()
	waitUntil(t, "the reconnect", func() bool { return reconnects.Load() >= 1 })
	publish(t, pub, 0, 4, 6)
	got := rec.WaitFor(t, 6)
	if seqs := bySender(got)[0]; !slices.Equal(seqs, want1toN(6)) {
		t.Fatalf("got %v, want 1..6 in order", seqs)
	}
	if k := reconnects.Load(); k != 1 {
		t.Errorf("OnReconnect called %d times for one outage, want 1", k)
	}
	// The node publishes again once Redis is back.
	waitUntil(t, "a successful publish", func() bool {
		return sub.Publish(context.Background(), broker.Message{Kind: broker.KindRoom, Users: []int64{1}, Seq: 1}) == nil
	})
	rec.WaitFor(t, 7)
}

func TestResubscribesAfterTheConnectionGoesSilent(t *testing.T) {
	prefix := redistest.Prefix(t)
	c, proxy := viaProxy(t)
	var reconnects atomic.Int32
	_, rec := nodeOn(t, c, prefix,
		redisbroker.WithPingInterval(50*time.Millisecond),
		redisbroker.WithBackoff(5*time.Millisecond, 40*time.Millisecond),
		redisbroker.WithOnReconnect(func() { reconnects.Add(1) }))
	pub := redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix))
	publish(t, pub, 0, 1, 1)
	rec.WaitFor(t, 1)

	// A half-open link: no error ever comes, only silence.
	proxy.Freeze()
	waitUntil(t, "the reconnect after an unanswered ping", func() bool { return reconnects.Load() >= 1 })
	publishUntilReceived(t, pub, rec, 2)
}

// logCounter is a slog.Handler counting the records with one message.
type logCounter struct {
	msg string
	n   atomic.Int32
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCounter) WithGroup(string) slog.Handler            { return l }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == l.msg {
		l.n.Add(1)
	}
	return nil
}
