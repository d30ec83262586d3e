package brokertest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/internal/brokertest"
)

func subscribe(t *testing.T, net *brokertest.Network) (*brokertest.Node, *brokertest.Recorder) {
	t.Helper()
	nd, rec := net.Node(), &brokertest.Recorder{}
	if err := nd.Subscribe(context.Background(), rec.Handle); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nd.Close() })
	return nd, rec
}

func TestSeqMessagesAreReorderedOthersKeepPublisherOrder(t *testing.T) {
	net := brokertest.New(1, 5*time.Millisecond)
	pub, rec0 := subscribe(t, net)
	_, rec1 := subscribe(t, net)
	const n = 200
	for i := range n {
		m := broker.Message{Kind: broker.KindRoom, Room: "r", Seq: int64(i + 1)}
		if i%10 == 9 {
			m = broker.Message{Kind: broker.KindUser, Users: []int64{int64(i)}}
		}
		if err := pub.Publish(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	for node, rec := range []*brokertest.Recorder{rec0, rec1} {
		got := rec.WaitFor(t, n)
		var users []int64
		reordered := false
		lastUser := int64(-1)
		for i, m := range got {
			if m.Kind == broker.KindUser {
				users = append(users, m.Users[0])
				lastUser = m.Users[0]
				continue
			}
			if i > 0 && got[i-1].Kind == broker.KindRoom && got[i-1].Seq > m.Seq {
				reordered = true
			}
			// A seq message never overtakes the unordered one published
			// before it (seq s is published at index s-1, user events at
			// indexes 9, 19, ...).
			if before := (m.Seq-1)/10*10 - 1; before >= 0 && lastUser < before {
				t.Fatalf("node %d: seq %d arrived before the user event published before it (last user event %d)", node, m.Seq, lastUser)
			}
		}
		if !slices.IsSorted(users) || len(users) != n/10 {
			t.Errorf("node %d: unordered events out of publish order: %v", node, users)
		}
		if !reordered {
			t.Errorf("node %d: no seq message overtook another in %d", node, n)
		}
	}
}

func TestFilterDropsAndDuplicates(t *testing.T) {
	net := brokertest.New(2, time.Millisecond)
	pub, rec0 := subscribe(t, net)
	_, rec1 := subscribe(t, net)
	net.SetFilter(func(to int, m broker.Message) brokertest.Fate {
		switch {
		case to == 1 && m.Seq == 2:
			return brokertest.Drop
		case to == 1 && m.Seq == 3:
			return brokertest.Duplicate
		case to == 0 && m.Seq == 3:
			return brokertest.Hold
		}
		return brokertest.Deliver
	})
	for s := int64(1); s <= 3; s++ {
		if err := pub.Publish(context.Background(), broker.Message{Kind: broker.KindRoom, Room: "r", Seq: s}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(ms []broker.Message) map[int64]int {
		c := map[int64]int{}
		for _, m := range ms {
			c[m.Seq]++
		}
		return c
	}
	if c := count(rec1.WaitFor(t, 3)); c[1] != 1 || c[2] != 0 || c[3] != 2 {
		t.Errorf("node 1 got %v, want 1 once, 2 never, 3 twice", c)
	}
	if c := count(rec0.WaitFor(t, 2)); c[1] != 1 || c[2] != 1 || c[3] != 0 {
		t.Errorf("node 0 got %v before Release, want 1 and 2 once, 3 held", c)
	}
	if k := net.Release(); k != 1 {
		t.Errorf("Release released %d, want 1", k)
	}
	if c := count(rec0.WaitFor(t, 3)); c[1] != 1 || c[2] != 1 || c[3] != 1 {
		t.Errorf("node 0 got %v, want each seq once", c)
	}
	for !net.Quiet() {
		time.Sleep(time.Millisecond)
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), broker.Message{Kind: broker.KindRoom}); err != brokertest.ErrClosed {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
}
