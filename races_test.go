package rtchat_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// eachTopology runs fn on every database twice: with one chat node, and
// with two nodes sharing the database and a broker, so that a race is
// settled by the database's own locking and not by a node's in-process room
// lock. nodes has two entries either way; with one node they are the same.
func eachTopology(t *testing.T, fn func(t *testing.T, nodes [2]*harness)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		t.Run("one node", func(t *testing.T) {
			h := newHarness(t, db)
			fn(t, [2]*harness{h, h})
		})
		t.Run("two nodes", func(t *testing.T) {
			c := &cluster{}
			fn(t, [2]*harness{newHarness(t, db, rtchat.WithBroker(c.node())), newHarness(t, db, rtchat.WithBroker(c.node()))})
		})
	})
}

// cluster is a broker shared by the nodes of one test: a publish reaches
// every node before it returns, as the memory broker does for one.
type cluster struct {
	mu       sync.Mutex // guards handlers
	handlers map[*clusterNode]broker.Handler
}

func (c *cluster) node() *clusterNode { return &clusterNode{c: c} }

// clusterNode is one node's view of a cluster.
type clusterNode struct{ c *cluster }

var _ broker.Broker = (*clusterNode)(nil)

func (n *clusterNode) Publish(_ context.Context, m broker.Message) error {
	n.c.mu.Lock()
	hs := make([]broker.Handler, 0, len(n.c.handlers))
	for _, h := range n.c.handlers {
		hs = append(hs, h)
	}
	n.c.mu.Unlock()
	for _, h := range hs {
		h(m)
	}
	return nil
}

func (n *clusterNode) Subscribe(_ context.Context, h broker.Handler) error {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if n.c.handlers == nil {
		n.c.handlers = map[*clusterNode]broker.Handler{}
	}
	n.c.handlers[n] = h
	return nil
}

func (n *clusterNode) Close() error {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	delete(n.c.handlers, n)
	return nil
}

// lastUser hands out user ids no other race round has used.
var lastUser atomic.Int64

func freshUser() int64 { return 1000 + lastUser.Add(1) }

// race sends one request from each client at once and returns the frame or
// error that answered each.
func race(t testing.TB, cs []*client.Client, event string, data func(i int) any) ([]protocol.Frame, []error) {
	t.Helper()
	frames, errs := make([]protocol.Frame, len(cs)), make([]error, len(cs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			<-start
			frames[i], errs[i] = c.Request(testCtx(t), event, data(i))
		})
	}
	close(start)
	wg.Wait()
	return frames, errs
}

func TestRaceSameOneToOne(t *testing.T) {
	eachTopology(t, func(t *testing.T, nodes [2]*harness) {
		for round := range 8 {
			a, b := freshUser(), freshUser()
			ca, cb := nodes[0].dial(t, a), nodes[1].dial(t, b)
			frames, errs := race(t, []*client.Client{ca, cb}, protocol.EventRoomCreate, func(i int) any {
				other := []int64{b, a}[i]
				return map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{other}}
			})
			var created, refused int
			for i, err := range errs {
				if err == nil && frames[i].EventType == protocol.DispatchRoomCreate {
					created++
					continue
				}
				if pe, ok := protocol.AsError(err); ok && pe.Code == protocol.CodeConflict && pe.Detail == protocol.DetailChatExists {
					refused++
					continue
				}
				t.Fatalf("round %d: answer %d = %s, %v", round, i, frames[i].EventType, err)
			}
			if created != 1 || refused != 1 {
				t.Fatalf("round %d: %d created, %d refused; want one of each", round, created, refused)
			}
			if n := nodes[0].count(t, "rtchat_rooms", "pair_key = ?", fmt.Sprintf("%d:%d", a, b)); n != 1 {
				t.Fatalf("round %d: %d rooms for the pair", round, n)
			}
		}
	})
}

func TestRaceJoinFullChannel(t *testing.T) {
	eachTopology(t, func(t *testing.T, nodes [2]*harness) {
		owner := nodes[0].dial(t, 1)
		for round := range 3 {
			ch := createRoom(t, owner, map[string]any{"type": protocol.RoomChannel, "name": "tiny",
				"extra_fields": map[string]any{"is_public": true, "max_subscribers": 3}})
			var joiners []*client.Client
			for i := range 8 {
				joiners = append(joiners, nodes[i%2].dial(t, freshUser()))
			}
			frames, errs := race(t, joiners, protocol.EventRoomJoin, func(int) any { return roomData(ch.ID) })
			var joined, full int
			for i, err := range errs {
				if err == nil && frames[i].EventType == protocol.DispatchRoomAddMembers {
					joined++
					continue
				}
				if pe, ok := protocol.AsError(err); ok && pe.Code == protocol.CodeInvalid && pe.Detail == protocol.DetailChannelFull {
					full++
					continue
				}
				t.Fatalf("round %d: joiner %d got %s, %v", round, i, frames[i].EventType, err)
			}
			if rows := nodes[0].count(t, "rtchat_members", "room_id = ?", ch.ID); rows != 3 || joined != 2 || full != 6 {
				t.Fatalf("round %d: %d joined, %d refused, %d member rows; want 2, 6, 3", round, joined, full, rows)
			}
		}
	})
}

func TestRaceLastTwoLeave(t *testing.T) {
	eachTopology(t, func(t *testing.T, nodes [2]*harness) {
		owner := nodes[0].dial(t, 1)
		for round := range 5 {
			b, c := freshUser(), freshUser()
			cb, cc := nodes[0].dial(t, b), nodes[1].dial(t, c)
			g := createRoom(t, owner, map[string]any{"type": protocol.RoomGroup, "name": "last", "participants": []int64{b, c}})
			send(t, owner, g.ID, "something to delete")
			request(t, owner, protocol.EventRoomLeave, roomData(g.ID))
			settle(t, owner, cb, cc)

			frames, errs := race(t, []*client.Client{cb, cc}, protocol.EventRoomLeave, func(int) any { return roomData(g.ID) })
			deletes := 0
			for i, cl := range []*client.Client{cb, cc} {
				if errs[i] != nil || frames[i].EventType != protocol.DispatchRoomExit {
					t.Fatalf("round %d: leaver %d got %s, %v", round, i, frames[i].EventType, errs[i])
				}
				barrier(t, cl)
				if n := cl.Pending(client.ErrorKey); n != 0 {
					t.Fatalf("round %d: leaver %d has %d error frames", round, i, n)
				}
				if n := cl.Pending(protocol.DispatchRoomExit); n != 1 {
					t.Fatalf("round %d: leaver %d has %d roomexit, want 1", round, i, n)
				}
				deletes += cl.Pending(protocol.DispatchRoomDelete)
			}
			if deletes != 1 {
				t.Fatalf("round %d: %d roomdelete frames, want 1 (to the last leaver)", round, deletes)
			}
			h := nodes[0]
			if n := h.count(t, "rtchat_rooms", "id = ?", g.ID) + h.count(t, "rtchat_members", "room_id = ?", g.ID) + h.count(t, "rtchat_messages", "room_id = ?", g.ID); n != 0 {
				t.Fatalf("round %d: %d rows of the room remain", round, n)
			}
			quiet(t, "the owner who left first", owner)
		}
	})
}
