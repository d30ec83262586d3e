package rtchat_test

import (
	"fmt"
	"testing"

	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// newRedisCluster starts n nodes on db, each with a Redis broker of its
// own client, on a channel prefix no other test uses.
func newRedisCluster(t *testing.T, db *bun.DB, n int) *asyncCluster {
	t.Helper()
	prefix := redistest.Prefix(t)
	cl := &asyncCluster{}
	for i := range n {
		b := redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix))
		cl.nodes = append(cl.nodes, newHarness(t, db, rtchat.WithBroker(b), rtchat.WithNodeID(fmt.Sprintf("redis-node-%d", i))))
	}
	return cl
}

// TestRedisClusterDeliversAcrossNodes: a message sent by a user on node 1
// reaches a member connected to node 2, and back.
func TestRedisClusterDeliversAcrossNodes(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		cl := newRedisCluster(t, db, 2)
		ca, cz := cl.nodes[0].dial(t, 1), cl.nodes[1].dial(t, 2)
		room := createRoom(t, ca, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		next(t, cz, protocol.DispatchRoomCreate)
		expect := func(c *client.Client, from, to int64, prefix string) {
			t.Helper()
			for want := from; want <= to; want++ {
				msg := decode[wireMessage](t, next(t, c, protocol.DispatchMessage))
				if msg.Seq != want || msg.Content != fmt.Sprintf("%s%d", prefix, want) {
					t.Fatalf("got seq %d %q, want seq %d %q", msg.Seq, msg.Content, want, fmt.Sprintf("%s%d", prefix, want))
				}
			}
		}
		for s := 1; s <= 3; s++ {
			send(t, ca, room.ID, fmt.Sprintf("a%d", s))
		}
		expect(cz, 1, 3, "a")
		for s := 4; s <= 6; s++ {
			send(t, cz, room.ID, fmt.Sprintf("z%d", s))
		}
		expect(ca, 4, 6, "z")
	})
}

// TestRedisClusterDeliversInSeqOrder: members on both nodes send at once
// into shared rooms; every member on both nodes gets every message once,
// in seq order.
func TestRedisClusterDeliversInSeqOrder(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		concurrentSendsArriveInOrder(t, newRedisCluster(t, db, 2), db, 2, 2, 5)
	})
}
