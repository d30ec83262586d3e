package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/broker/memory"
)

func TestPublishDeliversInOrder(t *testing.T) {
	b := memory.New()
	var got []string
	if err := b.Subscribe(context.Background(), func(m broker.Message) { got = append(got, string(m.Frame)) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"1", "2", "3"} {
		if err := b.Publish(context.Background(), broker.Message{Kind: broker.KindRoom, Room: "r", Frame: []byte(f)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0] != "1" || got[2] != "3" {
		t.Fatalf("delivered %v, want 1 2 3 in order before Publish returned", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), broker.Message{Kind: broker.KindRoom}); !errors.Is(err, memory.ErrClosed) {
		t.Fatalf("Publish after Close: %v, want ErrClosed", err)
	}
	if len(got) != 3 {
		t.Fatal("delivered after Close")
	}
}

func TestSharedBrokerReachesEveryNode(t *testing.T) {
	b := memory.New()
	var got [2][]int64
	for i := range got {
		if err := b.Subscribe(context.Background(), func(m broker.Message) { got[i] = append(got[i], m.Seq) }); err != nil {
			t.Fatal(err)
		}
	}
	for s := int64(1); s <= 3; s++ {
		if err := b.Publish(context.Background(), broker.Message{Kind: broker.KindRoom, Room: "r", Seq: s}); err != nil {
			t.Fatal(err)
		}
	}
	for i, seqs := range got {
		if len(seqs) != 3 || seqs[0] != 1 || seqs[2] != 3 {
			t.Fatalf("node %d got %v, want 1 2 3", i, seqs)
		}
	}
	// The first node to close does not cut the other off.
	_ = b.Close()
	if err := b.Publish(context.Background(), broker.Message{Kind: broker.KindRoom, Seq: 4}); err != nil {
		t.Fatalf("Publish after one of two Close calls: %v", err)
	}
	_ = b.Close()
	if err := b.Publish(context.Background(), broker.Message{Kind: broker.KindRoom}); !errors.Is(err, memory.ErrClosed) {
		t.Fatalf("Publish after every node closed: %v, want ErrClosed", err)
	}
}
