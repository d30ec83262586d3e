package rtchat_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
)

// BenchmarkSendMetrics is BenchmarkSend with WithMetrics: beside it, the
// cost of the metrics on the send and fan-out paths.
func BenchmarkSendMetrics(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		for _, n := range []int{2, 10, 50} {
			b.Run(fmt.Sprintf("%s/members=%d", kind, n), func(b *testing.B) {
				benchSend(b, kind, n, rtchat.WithMetrics(prometheus.NewRegistry()))
			})
		}
	}
}
