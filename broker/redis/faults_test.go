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
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/internal/brokertest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// viaProxy returns a client of the test Redis that connects through a
// proxy the test controls, failing fast.
func viaProxy(t *testing.T) (*goredis.Client, *redistest.Proxy) {
	t.Helper()
	proxy, dial := redistest.Cuttable(t)
	return dial(), proxy
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

// TestServesAloneWhileRedisIsUnreachable: while its link to Redis is cut, a
// node keeps delivering what it publishes to itself, and publishes it to
// the others once the link is back; it then resyncs once.
func TestServesAloneWhileRedisIsUnreachable(t *testing.T) {
	prefix := redistest.Prefix(t)
	c, proxy := viaProxy(t)
	failed := &logCounter{msg: "redis broker: subscribe failed"}
	sub, rec := nodeOn(t, c, prefix,
		redisbroker.WithBackoff(5*time.Millisecond, 40*time.Millisecond),
		redisbroker.WithLogger(slog.New(failed)))
	pub, other := node(t, prefix)
	publish(t, pub, 0, 1, 3)
	rec.WaitFor(t, 3)
	other.WaitFor(t, 3)

	proxy.Cut()
	// Publishing through the cut link reaches this node at once.
	publish(t, sub, 1, 1, 2)
	rec.WaitFor(t, 5)
	// The subscriber keeps trying, with backoff, while Redis is away.
	waitUntil(t, "three failed attempts", func() bool { return failed.n.Load() >= 3 })
	publish(t, sub, 1, 3, 3) // while down: no wait for Redis
	rec.WaitFor(t, 6)
	if k := rec.Resyncs(); k != 0 {
		t.Fatalf("%d resyncs before Redis came back", k)
	}
	if n := len(other.Snapshot()); n != 3 {
		t.Fatalf("the other node got %d messages while the link was cut, want 3", n)
	}
	proxy.Restore()
	waitUntil(t, "the resync", func() bool { return rec.Resyncs() >= 1 })
	// The backlog reached the other node, in publish order.
	if seqs := bySender(other.WaitFor(t, 6))[1]; !slices.Equal(seqs, want1toN(3)) {
		t.Fatalf("the other node got %v from the cut node, want 1..3 in order", seqs)
	}
	publish(t, pub, 0, 4, 6)
	publish(t, sub, 1, 4, 4)
	got := rec.WaitFor(t, 10)
	time.Sleep(20 * time.Millisecond) // a repeat of the backlog would be here by now
	got = rec.Snapshot()
	by := bySender(got)
	if !slices.Equal(by[0], want1toN(6)) || !slices.Equal(by[1], want1toN(4)) || len(got) != 10 {
		t.Fatalf("the cut node got %v, want 1..6 from the other and 1..4 of its own, once each", by)
	}
	if k := rec.Resyncs(); k != 1 {
		t.Errorf("%d resyncs for one outage, want 1", k)
	}
}

func TestResubscribesAfterTheConnectionGoesSilent(t *testing.T) {
	prefix := redistest.Prefix(t)
	c, proxy := viaProxy(t)
	_, rec := nodeOn(t, c, prefix,
		redisbroker.WithPingInterval(50*time.Millisecond),
		redisbroker.WithBackoff(5*time.Millisecond, 40*time.Millisecond))
	pub := redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix))
	publish(t, pub, 0, 1, 1)
	rec.WaitFor(t, 1)

	// A half-open link: no error ever comes, only silence.
	proxy.Freeze()
	waitUntil(t, "the resync after an unanswered ping", func() bool { return rec.Resyncs() >= 1 })
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
