package redis_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat/broker"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/internal/redistest"
)

// BenchmarkPublishReceive publishes messages with a 300-byte frame from
// one publisher, one after another, and stops the clock when both nodes
// hold every one: the cost of an event crossing Redis to two nodes.
func BenchmarkPublishReceive(b *testing.B) {
	prefix := redistest.Prefix(b)
	var got [2]atomic.Int64
	var nodes [2]*redisbroker.Broker
	for i := range nodes {
		nodes[i] = redisbroker.New(redistest.Client(b), redisbroker.WithPrefix(prefix))
		if err := nodes[i].Subscribe(context.Background(), func(broker.Message) { got[i].Add(1) }); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = nodes[i].Close() })
	}
	m := broker.Message{Kind: broker.KindRoom, Room: "0193b2a4-7c1e-7d3a-9f00-3c5e2a1b4d6f", Frame: []byte(strings.Repeat("x", 300)), Seq: 1}
	b.ResetTimer()
	for range b.N {
		if err := nodes[0].Publish(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	for got[0].Load() < int64(b.N) || got[1].Load() < int64(b.N) {
		time.Sleep(10 * time.Microsecond)
	}
}

// BenchmarkDecode is what every node pays for every event of the cluster
// before it can tell whether the event concerns any of its connections:
// the JSON decoding of a message with a 572-byte frame (a message.dispatch
// of a short message), as the subscriber does it. On the one channel
// "<prefix>:events", a cluster carrying E events/s costs every node E times
// this, however few of its connections are in the rooms concerned.
func BenchmarkDecode(b *testing.B) {
	m := broker.Message{Kind: broker.KindRoom, Room: "0193b2a4-7c1e-7d3a-9f00-3c5e2a1b4d6f", Frame: []byte(strings.Repeat("x", 572)), Seq: 1}
	payload, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for range b.N {
		var got broker.Message
		if err := json.Unmarshal(payload, &got); err != nil {
			b.Fatal(err)
		}
	}
}
