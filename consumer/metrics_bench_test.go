package consumer

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtchat/rtchat/broker"
)

// histMetrics is a Metrics whose Fanout observes a Prometheus histogram, as
// rtchat's does; the rest do nothing.
type histMetrics struct{ fanout prometheus.Histogram }

func (histMetrics) ConnOpened()                      {}
func (histMetrics) ConnClosed(int)                   {}
func (histMetrics) Event(string, int, time.Duration) {}
func (histMetrics) Send(time.Duration)               {}
func (m histMetrics) Fanout(d time.Duration)         { m.fanout.Observe(d.Seconds()) }
func (histMetrics) Resync(ResyncReason)              {}
func (histMetrics) BrokerLag(time.Duration)          {}
func (histMetrics) DatabaseError(string)             {}
func (histMetrics) RateLimited()                     {}

// BenchmarkFanout measures writeRoom, the fan-out of one room event to the
// room's local connections, without metrics and with them (two clock reads
// and a histogram observation per event). The connections have no socket,
// so what is measured is the index walk and the metrics, not the writes.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{2, 50} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("members=%d/metrics=%v", n, on), func(b *testing.B) {
				cs := &Consumer{hub: newHub()}
				if on {
					cs.metrics = histMetrics{prometheus.NewHistogram(prometheus.HistogramOpts{Name: "f", Buckets: prometheus.DefBuckets})}
				}
				for i := range n {
					c := &Conn{id: strconv.Itoa(i), userID: int64(i + 1)}
					cs.hub.addConn(c)
					cs.hub.addRooms(c, []string{"room"})
				}
				m := broker.Message{Kind: broker.KindRoom, Room: "room", Frame: []byte(`{}`)}
				for b.Loop() {
					cs.writeRoom(m)
				}
			})
		}
	}
}
