package rtchat_test

import (
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/presence"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// clusterTTL is the presence TTL of the cluster tests: a dead node's users
// go offline within about 1.5 of it.
const clusterTTL = time.Second

// quietLog swallows the errors a node cut off from Redis logs.
var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newPresenceNode starts a node named id with the Redis broker and
// presence on Redis under prefix, on a client from dial (a
// redistest.Cuttable one) or, when dial is nil, a direct one. Its broker
// subscribes again within 100 ms of a cut's end.
func newPresenceNode(t *testing.T, db *bun.DB, prefix, id string, dial func() *goredis.Client, opts ...rtchat.Option) *harness {
	t.Helper()
	if dial == nil {
		dial = func() *goredis.Client { return redistest.Client(t) }
	}
	c := dial()
	b := redisbroker.New(c, redisbroker.WithPrefix(prefix), redisbroker.WithLogger(quietLog), redisbroker.WithBackoff(5*time.Millisecond, 100*time.Millisecond))
	p := presenceredis.New(c, presenceredis.WithPrefix(prefix), presenceredis.WithTTL(clusterTTL), presenceredis.WithLogger(quietLog))
	return newHarness(t, db, append([]rtchat.Option{rtchat.WithBroker(b), rtchat.WithPresence(p), rtchat.WithNodeID(id)}, opts...)...)
}

// queryPresence asks c's node about user and returns whether it is online.
// The answer is a presence.dispatch too: it is drained, so that a later
// next does not take it for a push.
func queryPresence(t *testing.T, c *client.Client, user int64) bool {
	t.Helper()
	p := decode[wirePresence](t, request(t, c, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{user}}))
	c.Drain(protocol.DispatchPresence)
	if len(p.Users) != 1 || p.Users[0].UserID != user {
		t.Fatalf("presence.query about %d answered %+v", user, p)
	}
	return p.Users[0].Online
}

// The acceptance test of presence across nodes: a user connected only to a
// node that dies without closing is announced offline to a member on the
// other node within the TTL and a reaping round, and its session row is
// closed by that other node.
//
// The dead node is node 1 with its Redis cut: its heartbeat stops and it
// can publish nothing, so no graceful offline leaves it. Its WebSocket
// stays open: httptest's CloseClientConnections does not reach hijacked
// connections, and dropping the socket would make node 1, which shares
// this process's database, close A's row itself, which a crashed node
// cannot. The row closed at its last_seen (EndNodeSessions) shows node 2
// closed it.
func TestPresenceClusterKilledNodeUsersGoOffline(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		proxy, dial := redistest.Cuttable(t)
		n1 := newPresenceNode(t, db, prefix, "pnode-1", dial, rtchat.WithLogger(quietLog))
		n2 := newPresenceNode(t, db, prefix, "pnode-2", nil)
		a := n1.dial(t, 1)
		b := n2.dial(t, 2)
		createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{1}})
		next(t, a, protocol.DispatchRoomCreate)
		if !queryPresence(t, b, 1) {
			t.Fatal("B does not see A online before the kill")
		}
		b.Drain(protocol.DispatchPresence)

		killed := time.Now()
		proxy.Cut()
		p := nextAbout(t, b, 1)
		took := time.Since(killed)
		if !p.is(1, false) || p.Users[0].LastSeen == nil {
			t.Fatalf("B got %+v, want A offline with last_seen", p)
		}
		if bound := clusterTTL + clusterTTL/2 + 5*time.Second; took > bound {
			t.Fatalf("A was announced offline %v after the kill, want within %v", took, bound)
		}
		t.Logf("A announced offline %v after the kill (TTL %v)", took.Round(time.Millisecond), clusterTTL)
		if queryPresence(t, b, 1) {
			t.Fatal("presence.query still shows A online")
		}
		rows := sessions(t, db, 1)
		if len(rows) != 1 || rows[0].DisconnectedAt == nil || !rows[0].DisconnectedAt.Equal(rows[0].LastSeen) {
			t.Fatalf("A's row after the reap: %+v, want disconnected at its last_seen", rows)
		}
		_ = a.Close()
	})
}

// A node that dies leaves its session rows open when it cannot reach the
// database either (here: a dead presence node that never wrote through
// rtchat); the node that reaps it closes them at their last_seen and
// announces their users offline.
func TestPresenceClusterReaperClosesDeadNodeSessions(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		n2 := newPresenceNode(t, db, prefix, "pnode-2", nil)
		b := n2.dial(t, 2)
		createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{1}})

		// The dead node: presence on Redis through a proxy, and A's open
		// session row under its id.
		proxy, dial := redistest.Cuttable(t)
		ghost := presenceredis.New(dial(), presenceredis.WithPrefix(prefix), presenceredis.WithTTL(clusterTTL), presenceredis.WithLogger(quietLog))
		if err := ghost.Start("ghost", func(presence.Change) {}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ghost.Stop(testCtx(t)) })
		ctx := testCtx(t)
		seen := model.Now().Add(-time.Second)
		row := &model.Session{ID: uuid.NewString(), UserID: 1, NodeID: "ghost", ConnectedAt: seen, LastSeen: seen}
		if err := model.NewStore(db).StartSession(ctx, row); err != nil {
			t.Fatal(err)
		}
		if _, err := ghost.Connect(ctx, 1, row.ID, 0); err != nil {
			t.Fatal(err)
		}
		if !queryPresence(t, b, 1) {
			t.Fatal("B does not see A online on the ghost node")
		}
		b.Drain(protocol.DispatchPresence)

		proxy.Cut()
		p := nextAbout(t, b, 1)
		if !p.is(1, false) || p.Users[0].LastSeen == nil || !p.Users[0].LastSeen.Equal(seen) {
			t.Fatalf("B got %+v, want A offline, last seen %v", p, seen)
		}
		rows := sessions(t, db, 1)
		if len(rows) != 1 || rows[0].DisconnectedAt == nil || !rows[0].DisconnectedAt.Equal(rows[0].LastSeen) {
			t.Fatalf("A's row after the reap: %+v, want disconnected at its last_seen", rows)
		}
	})
}

// Users on two nodes see each other online with presence.query, and a
// graceful close shows at once on the other node.
func TestPresenceClusterQueryAcrossNodes(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		n1 := newPresenceNode(t, db, prefix, "pnode-1", nil)
		n2 := newPresenceNode(t, db, prefix, "pnode-2", nil)
		a := n1.dial(t, 1)
		b := n2.dial(t, 2)
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)
		if !queryPresence(t, a, 2) || !queryPresence(t, b, 1) {
			t.Fatal("users on two nodes do not see each other online")
		}
		_ = a.Close()
		if p := nextAbout(t, b, 1); !p.is(1, false) {
			t.Fatalf("B got %+v, want A offline", p)
		}
		if queryPresence(t, b, 1) {
			t.Fatal("A still online after closing")
		}
		a2 := n2.dial(t, 1) // A again, on the other node
		if p := nextAbout(t, b, 1); !p.is(1, true) {
			t.Fatalf("B got %+v, want A online", p)
		}
		if !queryPresence(t, a2, 2) {
			t.Fatal("B not online for A on the same node")
		}
	})
}

// dialRefused dials user on h and checks that the connection is closed
// with 4029 "too many connections" before any frame.
func dialRefused(t *testing.T, h *harness, user int64) {
	t.Helper()
	ctx := testCtx(t)
	c, err := client.Dial(ctx, h.url, client.WithToken(strconv.FormatInt(user, 10)))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if f, err := c.Next(ctx, protocol.DispatchNotifications); err == nil {
		t.Fatalf("a connection over the cap got %s", f.EventType)
	}
	var ce *websocket.CloseError
	if !errors.As(c.CloseError(), &ce) || ce.Code != protocol.CodeRateLimited || ce.Text != protocol.DetailTooManyConnections {
		t.Fatalf("connection over the cap ended with %v, want close 4029 %q", c.CloseError(), protocol.DetailTooManyConnections)
	}
}

func TestConnectionCapOnOneNode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, rtchat.WithMaxConnectionsPerUser(2), gone.option())
		first := h.dial(t, 1)
		h.dial(t, 1)
		h.dial(t, 2) // another user has a cap of their own
		dialRefused(t, h, 1)
		gone.wait(t, 1, 1)
		if rows := sessions(t, db, 1); len(rows) != 2 {
			t.Fatalf("%d session rows for user 1, want 2: the refused connection records none", len(rows))
		}
		barrier(t, first) // the user's other connections stay open
		_ = first.Close()
		gone.wait(t, 1, 2)
		h.dial(t, 1) // room again
	})
}

func TestConnectionCapAcrossRedisNodes(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		var gone disconnects
		n1 := newPresenceNode(t, db, prefix, "pnode-1", nil, rtchat.WithMaxConnectionsPerUser(2), gone.option())
		n2 := newPresenceNode(t, db, prefix, "pnode-2", nil, rtchat.WithMaxConnectionsPerUser(2))
		first := n1.dial(t, 1)
		n2.dial(t, 1)
		dialRefused(t, n1, 1)
		dialRefused(t, n2, 1)
		_ = first.Close()
		gone.wait(t, 1, 2) // the refused one on n1, then first
		n2.dial(t, 1)
	})
}

// A bad option of the Redis presence manager is an error from New.
func TestPresenceClusterBadOptionFailsNew(t *testing.T) {
	redistest.URL(t)
	p := presenceredis.New(redistest.Client(t), presenceredis.WithTTL(time.Millisecond))
	if _, err := rtchat.New(dbtest.Open(t, "sqlite"), rtchat.WithPresence(p)); err == nil {
		t.Fatal("New accepted a presence manager with a 1ms TTL")
	}
}

// A node cut off from Redis for longer than the TTL is reaped (its users
// shown offline); when it reaches Redis again it records its connections
// again and announces their users online.
func TestPresenceClusterReapedNodeAnnouncesItsUsersAgain(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		proxy, dial := redistest.Cuttable(t)
		n1 := newPresenceNode(t, db, prefix, "pnode-1", dial, rtchat.WithLogger(quietLog))
		n2 := newPresenceNode(t, db, prefix, "pnode-2", nil)
		a := n1.dial(t, 1)
		b := n2.dial(t, 2)
		createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{1}})
		next(t, a, protocol.DispatchRoomCreate)
		b.Drain(protocol.DispatchPresence)

		proxy.Cut()
		if p := nextAbout(t, b, 1); !p.is(1, false) {
			t.Fatalf("B got %+v, want A offline while its node is cut off", p)
		}
		proxy.Restore()
		if p := nextAbout(t, b, 1); !p.is(1, true) {
			t.Fatalf("B got %+v, want A online once its node is back", p)
		}
		if !queryPresence(t, b, 1) {
			t.Fatal("presence.query shows A offline after its node came back")
		}
		barrier(t, a) // A's connection was served throughout
	})
}
