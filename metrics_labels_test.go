package rtchat

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtchat/rtchat/protocol"
)

// TestMetricLabelsBounded: whatever the event names, codes and close codes
// handed to the collectors, their labels stay within the fixed sets:
// "unknown" for an event outside the map, "other" for a code or close code
// outside the lists.
func TestMetricLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg, []string{protocol.EventMessageSend})
	if err != nil {
		t.Fatal(err)
	}
	m.Event("made.up", 4999, time.Millisecond)
	m.Event(protocol.EventMessageSend, 4002, time.Millisecond)
	m.ConnClosed(3000)
	m.ConnClosed(1000)
	m.DatabaseError("made.up")
	m.DatabaseError(protocol.EventMessageSend)
	m.DatabaseError("fill")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			var ls []string
			for _, lp := range s.GetLabel() {
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			v := s.GetCounter().GetValue()
			if mf.GetName() == "rtchat_event_duration_seconds" {
				v = float64(s.GetHistogram().GetSampleCount())
			}
			if v != 0 {
				got = append(got, mf.GetName()+"{"+strings.Join(ls, ",")+"}")
			}
		}
	}
	sort.Strings(got)
	want := []string{
		"rtchat_connections_closed_total{code=1000}",
		"rtchat_connections_closed_total{code=other}",
		"rtchat_database_errors_total{op=fill}",
		"rtchat_database_errors_total{op=message.send}",
		"rtchat_database_errors_total{op=unknown}",
		"rtchat_event_duration_seconds{event=message.send}",
		"rtchat_event_duration_seconds{event=unknown}",
		"rtchat_events_total{code=4002,event=message.send}",
		"rtchat_events_total{code=other,event=unknown}",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("series counted:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
