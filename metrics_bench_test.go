package rtchat

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/protocol"
)

// BenchmarkMetricsPerSend is what the collectors cost one message.send on
// its node: the event counted and timed, its send latency, its fan-out and
// its broker lag observed (the clock reads around them are not included).
func BenchmarkMetricsPerSend(b *testing.B) {
	m, err := newMetrics(prometheus.NewRegistry(), eventmap.Default().Events())
	if err != nil {
		b.Fatal(err)
	}
	d := 3 * time.Millisecond
	for b.Loop() {
		m.Event(protocol.EventMessageSend, 0, d)
		m.Send(d)
		m.Fanout(d)
		m.BrokerLag(d)
	}
}
