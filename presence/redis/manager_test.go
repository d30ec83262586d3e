package redis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/presence"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTTL is short so reaping shows within a test, and long enough that a
// busy machine running -race does not miss three refreshes in a row.
const testTTL = 600 * time.Millisecond

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// changes records what a node's onChange is told.
type changes struct {
	mu  sync.Mutex
	got []presence.Change
}

func (c *changes) add(ch presence.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, ch)
}

func (c *changes) snapshot() []presence.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// about returns the changes reported for node.
func (c *changes) about(node string) []presence.Change {
	var out []presence.Change
	for _, ch := range c.snapshot() {
		if ch.Node == node {
			out = append(out, ch)
		}
	}
	return out
}

// node is one started Manager.
type node struct {
	id string
	m  *presenceredis.Manager
	ch *changes
}

// startNode starts a Manager named id on client under prefix; it is
// stopped at the end of the test (an error is expected when its Redis was
// cut, so it is not checked).
func startNode(t *testing.T, client *goredis.Client, prefix, id string) *node {
	t.Helper()
	n := &node{id: id, m: presenceredis.New(client, presenceredis.WithPrefix(prefix), presenceredis.WithTTL(testTTL), presenceredis.WithLogger(quiet)), ch: &changes{}}
	if err := n.m.Start(id, n.ch.add); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.m.Stop(ctx)
	})
	return n
}

// viaProxy returns a client of the test Redis that connects through a
// proxy the test controls, failing fast (no retries).
func viaProxy(t *testing.T) (*goredis.Client, *redistest.Proxy) {
	t.Helper()
	proxy, dial := redistest.Cuttable(t)
	return dial(), proxy
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitUntil polls cond until it holds, failing the test after 15s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func online(t *testing.T, m *presenceredis.Manager, user int64) bool {
	t.Helper()
	on, err := m.Online(ctxOf(t), []int64{user})
	if err != nil {
		t.Fatal(err)
	}
	return on[user]
}

func TestFirstAndLastAcrossNodes(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := startNode(t, redistest.Client(t), prefix, "a")
	b := startNode(t, redistest.Client(t), prefix, "b")
	ctx := ctxOf(t)
	steps := []struct {
		name    string
		node    *node
		connect bool
		user    int64
		conn    string
		want    bool // first for Connect, last for Disconnect
		online  bool // the user afterwards, seen from either node
	}{
		{"first connection on a comes online", a, true, 1, "a1", true, true},
		{"second device on b is not first", b, true, 1, "b1", false, true},
		{"same connection twice is not first", b, true, 1, "b1", false, true},
		{"other user is independent", b, true, 2, "b2", true, true},
		{"b cannot disconnect a's connection", b, false, 1, "a1", false, true},
		{"closing one of two is not last", a, false, 1, "a1", false, true},
		{"unknown connection is not last", a, false, 1, "zzz", false, true},
		{"closing the last on b goes offline", b, false, 1, "b1", true, false},
		{"closing again is not last", b, false, 1, "b1", false, false},
		{"the other user leaves", b, false, 2, "b2", true, false},
	}
	for _, s := range steps {
		var got bool
		var err error
		if s.connect {
			got, err = s.node.m.Connect(ctx, s.user, s.conn, 0)
		} else {
			got, err = s.node.m.Disconnect(ctx, s.user, s.conn)
		}
		if err != nil || got != s.want {
			t.Fatalf("%s: got %v (%v), want %v", s.name, got, err, s.want)
		}
		for _, n := range []*node{a, b} {
			if on := online(t, n.m, s.user); on != s.online {
				t.Fatalf("%s: node %s sees user %d online=%v, want %v", s.name, n.id, s.user, on, s.online)
			}
		}
	}
	on, err := a.m.Online(ctx, []int64{1, 2, 3})
	if err != nil || len(on) != 0 {
		t.Fatalf("Online = %v, %v; want nobody", on, err)
	}
}

func TestLimitAcrossNodes(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := startNode(t, redistest.Client(t), prefix, "a")
	b := startNode(t, redistest.Client(t), prefix, "b")
	ctx := ctxOf(t)
	const limit = 3
	steps := []struct {
		name string
		node *node
		conn string
		err  error
	}{
		{"one on a", a, "a1", nil},
		{"two on a", a, "a2", nil},
		{"the third, on b, reaches the limit", b, "b1", nil},
		{"a fourth on b is refused", b, "b2", presence.ErrLimit},
		{"a fourth on a is refused", a, "a3", presence.ErrLimit},
		{"a connection already recorded is not refused", a, "a1", nil},
	}
	for _, s := range steps {
		if _, err := s.node.m.Connect(ctx, 5, s.conn, limit); !errors.Is(err, s.err) {
			t.Fatalf("%s: err %v, want %v", s.name, err, s.err)
		}
	}
	// A refused connection was not recorded: disconnecting it changes
	// nothing, and closing one of the three makes room again.
	if last, err := b.m.Disconnect(ctx, 5, "b2"); last || err != nil {
		t.Fatalf("refused connection disconnected: last %v, %v", last, err)
	}
	if _, err := b.m.Disconnect(ctx, 5, "b1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.m.Connect(ctx, 5, "b2", limit); err != nil {
		t.Fatalf("after a close, a connection under the limit was refused: %v", err)
	}
	if _, err := b.m.Connect(ctx, 5, "b3", 0); err != nil {
		t.Fatalf("no limit refused: %v", err)
	}
}

// Many goroutines connect and disconnect one user on two nodes at once:
// every first is matched by one last, and the user ends offline.
func TestConcurrentConnectsOfOneUserOnTwoNodes(t *testing.T) {
	prefix := redistest.Prefix(t)
	nodes := []*node{
		startNode(t, redistest.Client(t), prefix, "a"),
		startNode(t, redistest.Client(t), prefix, "b"),
	}
	ctx := ctxOf(t)
	var mu sync.Mutex
	firsts, lasts := 0, 0
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			n := nodes[i%2]
			for j := range 5 {
				conn := fmt.Sprintf("c%d-%d", i, j)
				first, err := n.m.Connect(ctx, 7, conn, 0)
				if err != nil {
					t.Error(err)
					return
				}
				last, err := n.m.Disconnect(ctx, 7, conn)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if first {
					firsts++
				}
				if last {
					lasts++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != lasts || firsts < 1 {
		t.Fatalf("firsts %d, lasts %d: every online must be matched by one offline", firsts, lasts)
	}
	for _, n := range nodes {
		if online(t, n.m, 7) {
			t.Fatalf("node %s sees the user online after every connection closed", n.id)
		}
	}
}

// A node whose refresh stopped is reaped by exactly one of two live nodes,
// which reports the users it left without a connection offline.
func TestDeadNodeIsReapedOnce(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := startNode(t, redistest.Client(t), prefix, "a")
	b := startNode(t, redistest.Client(t), prefix, "b")
	cc, proxy := viaProxy(t)
	c := startNode(t, cc, prefix, "c")
	ctx := ctxOf(t)
	mustConnect(t, c.m, 5, "c5")   // only on c
	mustConnect(t, c.m, 6, "c6")   // also on a
	mustConnect(t, a.m, 6, "a6")   //
	mustConnect(t, a.m, 11, "a11") // not on c at all

	proxy.Cut()
	start := time.Now()
	waitUntil(t, "c reaped", func() bool { return len(a.ch.about("c"))+len(b.ch.about("c")) > 0 })
	t.Logf("reaped %v after the cut (TTL %v)", time.Since(start).Round(time.Millisecond), testTTL)
	// Give the other node two more reaping rounds to reap it again.
	time.Sleep(testTTL)
	got := append(a.ch.about("c"), b.ch.about("c")...)
	if len(got) != 1 {
		t.Fatalf("c was reaped %d times (%+v), want once", len(got), got)
	}
	if !slices.Equal(got[0].Offline, []int64{5}) || len(got[0].Online) != 0 {
		t.Fatalf("reaping c reported %+v, want user 5 offline", got[0])
	}
	on, err := b.m.Online(ctx, []int64{5, 6, 11})
	if err != nil {
		t.Fatal(err)
	}
	if on[5] || !on[6] || !on[11] {
		t.Fatalf("after the reap Online = %v, want 6 and 11", on)
	}
	if last, err := a.m.Disconnect(ctx, 6, "a6"); !last || err != nil {
		t.Fatalf("closing 6's connection on a: last %v (%v), want true: c's is forgotten", last, err)
	}
}

// A node cut off from Redis for longer than the TTL is reaped; once it
// reaches Redis again it records its live connections again and reports
// the users thereby online, and forgets those closed meanwhile.
func TestReapedNodeRecordsItsConnectionsAgain(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := startNode(t, redistest.Client(t), prefix, "a")
	cc, proxy := viaProxy(t)
	c := startNode(t, cc, prefix, "c")
	ctx := ctxOf(t)
	mustConnect(t, c.m, 5, "c5")
	mustConnect(t, c.m, 8, "c8")

	proxy.Cut()
	// Closed while Redis is unreachable: the error says so, and the
	// connection is not written back later.
	if _, err := c.m.Disconnect(ctx, 8, "c8"); err == nil {
		t.Fatal("Disconnect reached a cut Redis")
	}
	// Opened while Redis is unreachable: it is written later.
	if _, err := c.m.Connect(ctx, 9, "c9", 0); err == nil {
		t.Fatal("Connect reached a cut Redis")
	}
	waitUntil(t, "c reaped", func() bool { return len(a.ch.about("c")) > 0 })
	reaped := a.ch.about("c")[0]
	slices.Sort(reaped.Offline)
	if !slices.Equal(reaped.Offline, []int64{5, 8}) {
		t.Fatalf("reaping c reported %+v, want users 5 and 8 offline", reaped)
	}
	if online(t, a.m, 5) {
		t.Fatal("5 is online while its node is reaped")
	}

	proxy.Restore()
	waitUntil(t, "c back", func() bool { return len(c.ch.about("c")) > 0 })
	back := c.ch.about("c")[0]
	slices.Sort(back.Online)
	if !slices.Equal(back.Online, []int64{5, 9}) || len(back.Offline) != 0 {
		t.Fatalf("c reported %+v on its return, want users 5 and 9 online", back)
	}
	on, err := a.m.Online(ctx, []int64{5, 8, 9})
	if err != nil {
		t.Fatal(err)
	}
	if !on[5] || on[8] || !on[9] {
		t.Fatalf("after c's return a sees %v, want 5 and 9 online", on)
	}
	if last, err := c.m.Disconnect(ctx, 5, "c5"); !last || err != nil {
		t.Fatalf("closing 5's connection after the return: last %v (%v), want true", last, err)
	}
}

// Stop removes the node at once: its users go offline without waiting for
// the TTL, and no other node reaps it.
func TestStopRemovesTheNode(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := startNode(t, redistest.Client(t), prefix, "a")
	b := presenceredis.New(redistest.Client(t), presenceredis.WithPrefix(prefix), presenceredis.WithTTL(testTTL), presenceredis.WithLogger(quiet))
	ctx := ctxOf(t)
	if _, err := b.Connect(ctx, 1, "x", 0); !errors.Is(err, presenceredis.ErrNotStarted) {
		t.Fatalf("Connect before Start: %v, want ErrNotStarted", err)
	}
	var bch changes
	if err := b.Start("b", bch.add); err != nil {
		t.Fatal(err)
	}
	if err := b.Start("b", bch.add); err == nil {
		t.Fatal("a second Start succeeded")
	}
	mustConnect(t, b, 4, "b4")
	if !online(t, a.m, 4) {
		t.Fatal("4 not online")
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if online(t, a.m, 4) {
		t.Fatal("4 still online after its node stopped")
	}
	if _, err := b.Connect(ctx, 1, "x", 0); !errors.Is(err, presenceredis.ErrNotStarted) {
		t.Fatalf("Connect after Stop: %v, want ErrNotStarted", err)
	}
	time.Sleep(testTTL) // two reaping rounds of a
	if got := a.ch.about("b"); len(got) != 0 {
		t.Fatalf("a reaped a stopped node: %+v", got)
	}
}

// A node restarting under the same id forgets what its previous run left
// in Redis and reports those users offline.
func TestRestartForgetsThePreviousRun(t *testing.T) {
	prefix := redistest.Prefix(t)
	cc, proxy := viaProxy(t)
	old := startNode(t, cc, prefix, "n")
	mustConnect(t, old.m, 3, "old3")
	proxy.Cut() // the old run is gone without a Stop
	again := startNode(t, redistest.Client(t), prefix, "n")
	waitUntil(t, "the restart's report", func() bool { return len(again.ch.about("n")) > 0 })
	if got := again.ch.about("n")[0]; !slices.Equal(got.Offline, []int64{3}) {
		t.Fatalf("restart reported %+v, want user 3 offline", got)
	}
	if online(t, again.m, 3) {
		t.Fatal("the previous run's user is online")
	}
}

func TestBadOptionsFailStart(t *testing.T) {
	c := redistest.Client(t)
	for name, opts := range map[string][]presenceredis.Option{
		"empty prefix":    {presenceredis.WithPrefix("")},
		"brace in prefix": {presenceredis.WithPrefix("a}b")},
		"TTL below 100ms": {presenceredis.WithTTL(50 * time.Millisecond)},
		"nil logger":      {presenceredis.WithLogger(nil)},
	} {
		if err := presenceredis.New(c, opts...).Start("n", func(presence.Change) {}); err == nil {
			t.Errorf("%s: Start succeeded", name)
		}
	}
	if err := presenceredis.New(nil).Start("n", func(presence.Change) {}); err == nil {
		t.Error("nil client: Start succeeded")
	}
	if err := presenceredis.New(c).Start("", func(presence.Change) {}); err == nil {
		t.Error("empty node id: Start succeeded")
	}
}

func mustConnect(t *testing.T, m *presenceredis.Manager, user int64, conn string) {
	t.Helper()
	if _, err := m.Connect(ctxOf(t), user, conn, 0); err != nil {
		t.Fatalf("connect user %d (%s): %v", user, conn, err)
	}
}
