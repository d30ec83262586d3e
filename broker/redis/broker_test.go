package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/broker"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/internal/brokertest"
	"github.com/rtchat/rtchat/internal/redistest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// node is one broker on its own client, subscribed to a Recorder.
func node(t *testing.T, prefix string, opts ...redisbroker.Option) (*redisbroker.Broker, *brokertest.Recorder) {
	t.Helper()
	return nodeOn(t, redistest.Client(t), prefix, opts...)
}

func nodeOn(t *testing.T, c *goredis.Client, prefix string, opts ...redisbroker.Option) (*redisbroker.Broker, *brokertest.Recorder) {
	t.Helper()
	// Quiet by default; a test that reads the log passes its own.
	b := redisbroker.New(c, append([]redisbroker.Option{redisbroker.WithPrefix(prefix), redisbroker.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	rec := &brokertest.Recorder{}
	if err := b.Subscribe(context.Background(), rec.Handle); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, rec
}

// publish publishes messages 1..n of publisher pub (its number in Users)
// one after another.
func publish(t *testing.T, b *redisbroker.Broker, pub int64, from, to int64) {
	t.Helper()
	for s := from; s <= to; s++ {
		m := broker.Message{Kind: broker.KindRoom, Room: "r", Users: []int64{pub}, Seq: s, Frame: []byte(`{"eventType":"x"}`)}
		if err := b.Publish(context.Background(), m); err != nil {
			t.Errorf("publisher %d, message %d: %v", pub, s, err)
			return
		}
	}
}

// bySender splits received messages per publisher, keeping arrival order.
func bySender(ms []broker.Message) map[int64][]int64 {
	out := map[int64][]int64{}
	for _, m := range ms {
		out[m.Users[0]] = append(out[m.Users[0]], m.Seq)
	}
	return out
}

func want1toN(n int64) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i + 1)
	}
	return s
}

func TestEveryNodeGetsEveryMessageInPublishOrder(t *testing.T) {
	prefix := redistest.Prefix(t)
	b0, rec0 := node(t, prefix)
	b1, rec1 := node(t, prefix)
	// A node on another prefix hears nothing of these.
	_, other := node(t, redistest.Prefix(t))
	const n = 300
	var wg sync.WaitGroup
	for i, b := range []*redisbroker.Broker{b0, b1} {
		wg.Go(func() { publish(t, b, int64(i), 1, n) })
	}
	wg.Wait()
	for i, rec := range []*brokertest.Recorder{rec0, rec1} {
		got := bySender(rec.WaitFor(t, 2*n))
		for pub := range int64(2) {
			if !slices.Equal(got[pub], want1toN(n)) {
				t.Errorf("node %d got publisher %d's messages as %v, want 1..%d in order", i, pub, got[pub], n)
			}
		}
	}
	m := rec0.Snapshot()[0]
	if m.Kind != broker.KindRoom || m.Room != "r" || string(m.Frame) != `{"eventType":"x"}` {
		t.Errorf("decoded %+v, want the published message", m)
	}
	if k := len(other.Snapshot()); k != 0 {
		t.Errorf("a node on another prefix got %d messages", k)
	}
}

func TestCloseEndsDelivery(t *testing.T) {
	prefix := redistest.Prefix(t)
	b0, rec0 := node(t, prefix)
	b1, rec1 := node(t, prefix)
	publish(t, b0, 0, 1, 1)
	rec1.WaitFor(t, 1)
	rec0.WaitFor(t, 1)
	if err := b1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	publish(t, b0, 0, 2, 3)
	rec0.WaitFor(t, 3) // b0's own copies arrived, so b1's would have too
	if got := rec1.Snapshot(); len(got) != 1 {
		t.Errorf("closed node got %d messages, want 1 (before Close)", len(got))
	}
	if err := b1.Publish(context.Background(), broker.Message{Kind: broker.KindRoom}); !errors.Is(err, redisbroker.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if err := b1.Subscribe(context.Background(), func(broker.Message) {}); !errors.Is(err, redisbroker.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
}

func TestSubscribeTwiceFails(t *testing.T) {
	b, _ := node(t, redistest.Prefix(t))
	if err := b.Subscribe(context.Background(), func(broker.Message) {}); err == nil {
		t.Fatal("second Subscribe succeeded")
	}
}

// subscriber returns the CLIENT LIST fields of the pub/sub connection of
// the client named name.
func subscriber(t *testing.T, admin *goredis.Client, name string) (map[string]string, bool) {
	t.Helper()
	list, err := admin.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(list) {
		fields := map[string]string{}
		for f := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
		if fields["name"] == name && fields["sub"] != "" && fields["sub"] != "0" {
			return fields, true
		}
	}
	return nil, false
}

func TestResubscribesAfterTheConnectionIsKilled(t *testing.T) {
	prefix := redistest.Prefix(t)
	name := prefix + "-sub"
	_, rec := nodeOn(t, redistest.Client(t, func(o *goredis.Options) { o.ClientName = name }), prefix,
		redisbroker.WithBackoff(5*time.Millisecond, 50*time.Millisecond))
	pub := redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix))
	admin := redistest.Client(t)
	publish(t, pub, 0, 1, 5)
	rec.WaitFor(t, 5)
	for kill := 1; kill <= 3; kill++ {
		fields, ok := subscriber(t, admin, name)
		id := fields["id"]
		if !ok {
			t.Fatalf("kill %d: no subscribed connection named %s", kill, name)
		}
		n, err := admin.ClientKillByFilter(context.Background(), "ID", id).Result()
		if err != nil || n != 1 {
			t.Fatalf("CLIENT KILL ID %s: %d, %v", id, n, err)
		}
		waitUntil(t, fmt.Sprintf("reconnect %d", kill), func() bool { return rec.Resyncs() >= kill })
		if got := rec.Resyncs(); got != kill {
			t.Fatalf("%d resyncs after %d kills", got, kill)
		}
		from := int64(5*kill + 1)
		publish(t, pub, 0, from, from+4)
		got := rec.WaitFor(t, int(from+4))
		if seqs := bySender(got)[0]; !slices.Equal(seqs, want1toN(from+4)) {
			t.Fatalf("after kill %d got %v, want 1..%d in order", kill, seqs, from+4)
		}
	}
}

func TestPingKeepsAnIdleSubscription(t *testing.T) {
	prefix := redistest.Prefix(t)
	name := prefix + "-sub"
	_, rec := nodeOn(t, redistest.Client(t, func(o *goredis.Options) { o.ClientName = name }), prefix,
		redisbroker.WithPingInterval(20*time.Millisecond))
	admin := redistest.Client(t)
	// Wait until Redis has seen the subscriber ping (its last command).
	waitUntil(t, "a ping from the idle subscriber", func() bool {
		fields, ok := subscriber(t, admin, name)
		return ok && fields["cmd"] == "ping"
	})
	publish(t, redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix)), 0, 1, 3)
	rec.WaitFor(t, 3)
	if k := rec.Resyncs(); k != 0 {
		t.Errorf("answered pings counted as %d lost connections", k)
	}
}

func TestRedisDown(t *testing.T) {
	// Port 1 on the loopback refuses connections.
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	b := redisbroker.New(c, redisbroker.WithPrefix("down"))
	if err := b.Publish(context.Background(), broker.Message{Kind: broker.KindRoom}); err == nil {
		t.Error("Publish with Redis down succeeded")
	}
	if err := b.Subscribe(context.Background(), func(broker.Message) {}); err == nil {
		t.Error("Subscribe with Redis down succeeded")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

func TestBadOptionsAreErrors(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	for name, opt := range map[string]redisbroker.Option{
		"empty prefix":       redisbroker.WithPrefix(""),
		"zero backoff":       redisbroker.WithBackoff(0, time.Second),
		"max below min":      redisbroker.WithBackoff(time.Second, time.Millisecond),
		"zero ping interval": redisbroker.WithPingInterval(0),
		"nil logger":         redisbroker.WithLogger(nil),
	} {
		b := redisbroker.New(c, opt)
		if err := b.Subscribe(context.Background(), func(broker.Message) {}); err == nil {
			t.Errorf("%s: Subscribe succeeded", name)
		}
		if err := b.Publish(context.Background(), broker.Message{}); err == nil {
			t.Errorf("%s: Publish succeeded", name)
		}
	}
	if err := redisbroker.New(nil).Subscribe(context.Background(), func(broker.Message) {}); err == nil {
		t.Error("nil client: Subscribe succeeded")
	}
}

func TestSubscribeHonoursItsContext(t *testing.T) {
	b := redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(redistest.Prefix(t)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Subscribe(ctx, func(broker.Message) {}); err == nil {
		t.Error("Subscribe with a cancelled context succeeded")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}
