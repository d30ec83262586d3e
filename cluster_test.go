package rtchat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/broker/memory"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/brokertest"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// asyncCluster is several nodes of one chat: an rtchat.Chat per node, each behind
// its own httptest listener, on one database, joined by an asynchronous
// broker that delays and reorders deliveries (internal/brokertest).
type asyncCluster struct {
	nodes []*harness
	net   *brokertest.Network
}

// newCluster starts n nodes on db. Deliveries wait 0-20ms, drawn from seed.
func newCluster(t testing.TB, db *bun.DB, n int, seed uint64, opts ...rtchat.Option) *asyncCluster {
	t.Helper()
	cl := &asyncCluster{net: brokertest.New(seed, 20*time.Millisecond)}
	for i := range n {
		nodeOpts := append([]rtchat.Option{rtchat.WithBroker(cl.net.Node()), rtchat.WithNodeID(fmt.Sprintf("node-%d", i))}, opts...)
		cl.nodes = append(cl.nodes, newHarness(t, db, nodeOpts...))
	}
	return cl
}

// eachCluster runs fn on a two-node cluster per database kind.
func eachCluster(t *testing.T, seed uint64, fn func(t *testing.T, cl *asyncCluster), opts ...rtchat.Option) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) { fn(t, newCluster(t, db, 2, seed, opts...)) })
}

// quiet waits until the broker has delivered everything published so far
// (at once without a network: the memory broker delivers as it publishes).
func (cl *asyncCluster) quiet(t testing.TB) {
	t.Helper()
	ctx := testCtx(t)
	for cl.net != nil && !cl.net.Quiet() {
		select {
		case <-ctx.Done():
			t.Fatal("the broker never went quiet")
		case <-time.After(time.Millisecond):
		}
	}
}

// member is a connected user and the node it is on.
type member struct {
	user int64
	node int
	c    *client.Client
}

// groupOnCluster connects users 1..perNode*len(nodes), perNode on each
// node in turn, and makes them all members of rooms new groups created by
// user 1. It returns once every member has seen every roomcreate.dispatch:
// every node has then added its connections to the rooms.
func groupOnCluster(t testing.TB, cl *asyncCluster, perNode, rooms int) ([]member, []wireRoom) {
	t.Helper()
	var ms []member
	for i := range perNode * len(cl.nodes) {
		node := i / perNode
		u := int64(i + 1)
		ms = append(ms, member{user: u, node: node, c: cl.nodes[node].dial(t, u)})
	}
	others := make([]int64, 0, len(ms)-1)
	for _, m := range ms[1:] {
		others = append(others, m.user)
	}
	var rs []wireRoom
	for i := range rooms {
		rs = append(rs, createRoom(t, ms[0].c, map[string]any{"type": protocol.RoomGroup, "name": fmt.Sprintf("g%d", i), "participants": others}))
	}
	for _, m := range ms[1:] {
		for range rooms {
			next(t, m.c, protocol.DispatchRoomCreate)
		}
	}
	return ms, rs
}

// sendConcurrently has every member send perMember messages into every
// room, one goroutine per member and room, each waiting for its answer
// before sending the next. It fails the test on any send error.
func sendConcurrently(t testing.TB, ms []member, rooms []wireRoom, perMember int) {
	t.Helper()
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for _, m := range ms {
		for _, r := range rooms {
			wg.Go(func() {
				for k := range perMember {
					if _, err := m.c.SendMessage(ctx, r.ID, fmt.Sprintf("u%d-%d", m.user, k)); err != nil {
						t.Errorf("user %d, room %s, message %d: %v", m.user, r.Name, k, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}

// expectInOrder reads message.dispatch frames until c holds n of each
// room, and fails unless each room's arrived exactly once each, in seq
// order 1..n. Then, once the broker is quiet, nothing more may come.
func expectInOrder(t testing.TB, cl *asyncCluster, m member, rooms []wireRoom, n int) {
	t.Helper()
	ctx := testCtx(t)
	got := map[string][]int64{}
	for range n * len(rooms) {
		f, err := m.c.Next(ctx, protocol.DispatchMessage)
		if err != nil {
			t.Fatalf("user %d (node %d): waiting for message.dispatch after %v: %v", m.user, m.node, got, err)
		}
		msg := decode[wireMessage](t, f)
		got[msg.Room.ID] = append(got[msg.Room.ID], msg.Seq)
	}
	for _, r := range rooms {
		seqs := got[r.ID]
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("user %d (node %d), room %s: seqs %v, want 1..%d in order, each once", m.user, m.node, r.Name, seqs, n)
			}
		}
		if len(seqs) != n {
			t.Fatalf("user %d (node %d), room %s: %d messages, want %d", m.user, m.node, r.Name, len(seqs), n)
		}
	}
	cl.quiet(t)
	barrier(t, m.c)
	if k := m.c.Pending(protocol.DispatchMessage); k != 0 {
		t.Fatalf("user %d (node %d): %d more message.dispatch after all %d arrived", m.user, m.node, k, n*len(rooms))
	}
}

// expectRows checks that the database holds exactly n messages per room.
func expectRows(t testing.TB, db *bun.DB, rooms []wireRoom, n int) {
	t.Helper()
	for _, r := range rooms {
		k, err := db.NewSelect().Table("rtchat_messages").Where("room_id = ?", r.ID).Count(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if k != int64(n) {
			t.Errorf("room %s holds %d messages, want %d", r.Name, k, n)
		}
	}
}

// TestClusterDeliversInSeqOrder: senders on both nodes send at once into
// the same rooms through a broker that delays and reorders; every member
// on both nodes gets every message once, in seq order, without a gap.
func TestClusterDeliversInSeqOrder(t *testing.T) {
	eachCluster(t, 1, func(t *testing.T, cl *asyncCluster) {
		concurrentSendsArriveInOrder(t, cl, cl.nodes[0].db, 3, 2, 6)
	})
}

// concurrentSendsArriveInOrder has perNode members on each node of cl,
// all in rooms new groups, send perMember messages each at once; then every
// member must get every message of each room once, in seq order, and the
// database must hold exactly those rows.
func concurrentSendsArriveInOrder(t *testing.T, cl *asyncCluster, db *bun.DB, perNode, rooms, perMember int) {
	t.Helper()
	ms, rs := groupOnCluster(t, cl, perNode, rooms)
	sendConcurrently(t, ms, rs, perMember)
	n := perMember * len(ms)
	for _, m := range ms {
		expectInOrder(t, cl, m, rs, n)
	}
	expectRows(t, db, rs, n)
}

// TestOneNodeDeliversInSeqOrder: on one node with the memory broker,
// concurrent sends in one room may publish out of seq order; members still
// get 1..N in order, once.
func TestOneNodeDeliversInSeqOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		cl := &asyncCluster{nodes: []*harness{newHarness(t, db)}}
		concurrentSendsArriveInOrder(t, cl, db, 4, 1, 8)
	})
}

// TestClusterDropsDuplicates: the broker delivers every other message
// twice to each node; nobody gets a message twice, and every sender's
// request is answered once.
func TestClusterDropsDuplicates(t *testing.T) {
	eachCluster(t, 2, func(t *testing.T, cl *asyncCluster) {
		var mu sync.Mutex
		dups := 0
		cl.net.SetFilter(func(_ int, m broker.Message) brokertest.Fate {
			if m.Seq > 0 && m.Kind == broker.KindRoom && m.Seq%2 == 0 {
				mu.Lock()
				dups++
				mu.Unlock()
				return brokertest.Duplicate
			}
			return brokertest.Deliver
		})
		const perMember = 4
		ms, rooms := groupOnCluster(t, cl, 2, 2)
		sendConcurrently(t, ms, rooms, perMember)
		n := perMember * len(ms)
		for _, m := range ms {
			expectInOrder(t, cl, m, rooms, n)
			if k := m.c.Pending(protocol.DispatchDone); k != 0 {
				t.Errorf("user %d: %d done.dispatch for requests already answered by their message", m.user, k)
			}
		}
		expectRows(t, cl.nodes[0].db, rooms, n)
		mu.Lock()
		defer mu.Unlock()
		if dups == 0 {
			t.Fatal("the broker duplicated nothing")
		}
	})
}

// TestClusterFillsGapFromDatabase: the broker loses one message on its way
// to node 1; node 1's members still get it, from the database, in order,
// once the next message shows the gap.
func TestClusterFillsGapFromDatabase(t *testing.T) {
	eachCluster(t, 3, func(t *testing.T, cl *asyncCluster) {
		ms, rooms := groupOnCluster(t, cl, 2, 1)
		room := rooms[0]
		cl.net.SetFilter(func(to int, m broker.Message) brokertest.Fate {
			if to == 1 && m.Kind == broker.KindRoom && m.Room == room.ID && m.Seq == 3 {
				return brokertest.Drop
			}
			return brokertest.Deliver
		})
		// The sender is on node 0, whose delivery (and so its answer) is
		// untouched.
		for k := range 5 {
			send(t, ms[0].c, room.ID, fmt.Sprintf("m%d", k))
		}
		for _, m := range ms[1:] {
			expectInOrder(t, cl, m, rooms, 5)
		}
	})
}

// TestClusterAnswersRequesterAfterFill: the broker holds a message on its
// way to its sender's own node; the next message shows the gap, node 1
// reads the held one from the database and delivers both; when the held
// copy finally arrives it is not delivered again, and the sender's request
// is answered with done.dispatch.
func TestClusterAnswersRequesterAfterFill(t *testing.T) {
	eachCluster(t, 4, func(t *testing.T, cl *asyncCluster) {
		ms, rooms := groupOnCluster(t, cl, 2, 1)
		room := rooms[0]
		sender, other := ms[2], ms[0] // on nodes 1 and 0
		cl.net.SetFilter(func(to int, m broker.Message) brokertest.Fate {
			if to == 1 && m.Kind == broker.KindRoom && m.Seq == 1 {
				return brokertest.Hold
			}
			return brokertest.Deliver
		})
		type result struct {
			f   protocol.Frame
			err error
		}
		answer := make(chan result, 1)
		ctx := testCtx(t)
		data := map[string]any{"room_id": room.ID, "content": "held", "client_msg_id": "held-1"}
		go func() {
			// The protocol's answer, as client.SendMessage sees it
			// before asking again.
			f, err := sender.c.Request(ctx, protocol.EventMessageSend, data)
			answer <- result{f, err}
		}()
		next(t, other.c, protocol.DispatchMessage) // seq 1 is stored and on node 0
		send(t, other.c, room.ID, "shows the gap")
		for _, m := range ms[2:] {
			for want := int64(1); want <= 2; want++ {
				if msg := decode[wireMessage](t, next(t, m.c, protocol.DispatchMessage)); msg.Seq != want {
					t.Fatalf("user %d got seq %d, want %d", m.user, msg.Seq, want)
				}
			}
		}
		if k := cl.net.Release(); k != 1 {
			t.Fatalf("released %d deliveries, want 1", k)
		}
		select {
		case res := <-answer:
			if res.err != nil {
				t.Fatalf("send: %v", res.err)
			}
			if f := res.f; f.EventType != protocol.DispatchDone || !strings.Contains(string(f.Data), protocol.EventMessageSend) {
				t.Fatalf("the sender's request was answered with %s %s, want done.dispatch for message.send", f.EventType, f.Data)
			}
		case <-ctx.Done():
			t.Fatal("the sender's request was never answered")
		}
		// Asked again with the same client_msg_id, the send answers with
		// the stored message, to the sender only.
		if m := decode[wireMessage](t, request(t, sender.c, protocol.EventMessageSend, data)); m.Seq != 1 || m.Content != "held" {
			t.Fatalf("the repeated send answered seq %d %q, want seq 1 held", m.Seq, m.Content)
		}
		sender.c.Drain(protocol.DispatchMessage) // the answer's copy in the inbox
		cl.quiet(t)
		for _, m := range ms[2:] {
			barrier(t, m.c)
			if k := m.c.Pending(protocol.DispatchMessage); k != 0 {
				t.Fatalf("user %d: the held copy was delivered again (%d more)", m.user, k)
			}
		}
	})
}

// TestClusterSendMessageAfterFillQueuesOnce: as above, but through
// client.SendMessage, which asks again after done.dispatch: it returns the
// stored message, and the sender's inbox holds each message once (the
// repeated send's answer is not queued beside the copy the fill delivered).
func TestClusterSendMessageAfterFillQueuesOnce(t *testing.T) {
	eachCluster(t, 4, func(t *testing.T, cl *asyncCluster) {
		ms, rooms := groupOnCluster(t, cl, 2, 1)
		room := rooms[0]
		sender, other, peer := ms[2], ms[0], ms[3] // nodes 1, 0 and 1
		cl.net.SetFilter(func(to int, m broker.Message) brokertest.Fate {
			if to == 1 && m.Kind == broker.KindRoom && m.Seq == 1 {
				return brokertest.Hold
			}
			return brokertest.Deliver
		})
		type result struct {
			f   protocol.Frame
			err error
		}
		answer := make(chan result, 1)
		ctx := testCtx(t)
		go func() {
			f, err := sender.c.SendMessage(ctx, room.ID, "held")
			answer <- result{f, err}
		}()
		next(t, other.c, protocol.DispatchMessage) // seq 1 is stored
		send(t, other.c, room.ID, "shows the gap")
		for want := int64(1); want <= 2; want++ {
			if msg := decode[wireMessage](t, next(t, peer.c, protocol.DispatchMessage)); msg.Seq != want {
				t.Fatalf("user %d got seq %d, want %d", peer.user, msg.Seq, want)
			}
		}
		if k := cl.net.Release(); k != 1 {
			t.Fatalf("released %d deliveries, want 1", k)
		}
		var res result
		select {
		case res = <-answer:
		case <-ctx.Done():
			t.Fatal("SendMessage never returned")
		}
		if res.err != nil {
			t.Fatalf("SendMessage: %v", res.err)
		}
		if m := decode[wireMessage](t, res.f); res.f.EventType != protocol.DispatchMessage || m.Seq != 1 || m.Content != "held" {
			t.Fatalf("SendMessage returned %s seq %d %q, want message.dispatch seq 1 held", res.f.EventType, m.Seq, m.Content)
		}
		cl.quiet(t)
		barrier(t, sender.c)
		for want := int64(1); want <= 2; want++ {
			if msg := decode[wireMessage](t, next(t, sender.c, protocol.DispatchMessage)); msg.Seq != want {
				t.Fatalf("the sender's inbox has seq %d, want %d", msg.Seq, want)
			}
		}
		if k := sender.c.Pending(protocol.DispatchMessage); k != 0 {
			t.Fatalf("the sender's inbox holds %d more message.dispatch frames, want none", k)
		}
	})
}

// TestClusterOnSharedMemoryBroker: two nodes sharing one memory broker
// deliver each other's messages.
func TestClusterOnSharedMemoryBroker(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		b := memory.New()
		a := newHarness(t, db, rtchat.WithBroker(b))
		z := newHarness(t, db, rtchat.WithBroker(b))
		ca, cz := a.dial(t, 1), z.dial(t, 2)
		room := createRoom(t, ca, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		next(t, cz, protocol.DispatchRoomCreate)
		expect := func(c *client.Client, from, to int64) {
			t.Helper()
			for want := from; want <= to; want++ {
				if msg := decode[wireMessage](t, next(t, c, protocol.DispatchMessage)); msg.Seq != want {
					t.Fatalf("got seq %d, want %d", msg.Seq, want)
				}
			}
		}
		for k := range 3 {
			send(t, ca, room.ID, fmt.Sprintf("a%d", k))
		}
		expect(cz, 1, 3)
		for k := range 3 {
			send(t, cz, room.ID, fmt.Sprintf("z%d", k))
		}
		expect(ca, 4, 6)
	})
}

func TestReorderWindowIsValidated(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	for _, d := range []time.Duration{0, -time.Millisecond, time.Minute} {
		if _, err := rtchat.New(db, rtchat.WithReorderWindow(d)); err == nil || !strings.Contains(err.Error(), "WithReorderWindow") {
			t.Errorf("WithReorderWindow(%v): %v, want an error about the reorder window", d, err)
		}
	}
	chat, err := rtchat.New(db, rtchat.WithReorderWindow(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_ = chat.Close(context.Background())
}
