package rtchat

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtchat/rtchat/consumer"
)

// The Prometheus collectors of WithMetrics. Every label takes values from a
// fixed set, so no client can grow the number of series: event types are
// those of the chat's event map plus "unknown", codes and close codes are
// bucketed (codeLabel, closeLabel). The children of the hot paths (each
// event's success counter and duration histogram) are resolved once, in
// newMetrics.

// unknownEvent is the event label of a frame that names no event of the map
// (or is no request at all).
const unknownEvent = "unknown"

// latencyBuckets are the buckets of the histograms of whole requests and of
// broker lag, in seconds: 250µs to 10s.
var latencyBuckets = []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// fanoutBuckets are the buckets of rtchat_fanout_duration_seconds: queueing
// a frame to a room's connections takes microseconds per connection.
var fanoutBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1}

// eventCodes are the code labels of rtchat_events_total besides "ok"; any
// other code (an app's error handler may answer its own) is "other".
var eventCodes = map[int]string{}

// closeCodes are the code labels of rtchat_connections_closed_total; any
// other close code is "other".
var closeCodes = map[int]string{}

func init() {
	for _, c := range []int{4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008, 4029} {
		eventCodes[c] = strconv.Itoa(c)
	}
	for _, c := range []int{1000, 1001, 1005, 1006, 1008, 1009, 1011, 1013, 4001, 4002, 4008, 4029} {
		closeCodes[c] = strconv.Itoa(c)
	}
}

func codeLabel(code int) string {
	if code == 0 {
		return "ok"
	}
	if l, ok := eventCodes[code]; ok {
		return l
	}
	return "other"
}

func closeLabel(code int) string {
	if l, ok := closeCodes[code]; ok {
		return l
	}
	return "other"
}

// promMetrics is consumer.Metrics on Prometheus collectors.
type promMetrics struct {
	open       prometheus.Gauge
	opened     prometheus.Counter
	closed     *prometheus.CounterVec
	closedBy   map[int]prometheus.Counter // resolved children of closed
	events     *prometheus.CounterVec
	eventOf    map[string]*eventMetrics // by event type, "" for unknown
	send       prometheus.Observer
	fanout     prometheus.Observer
	resyncs    [3]prometheus.Counter // by consumer.ResyncReason
	brokerLag  prometheus.Observer
	dbErrors   *prometheus.CounterVec
	rateLimits prometheus.Counter
}

// eventMetrics are the resolved children of one event type.
type eventMetrics struct {
	label    string
	ok       prometheus.Counter
	duration prometheus.Observer
}

var _ consumer.Metrics = (*promMetrics)(nil)

// newMetrics registers the collectors with reg for the chat's events; a nil
// reg returns nil (no metrics).
func newMetrics(reg prometheus.Registerer, events []string) (consumer.Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	var errs []error
	m := &promMetrics{}
	m.open = register(reg, &errs, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rtchat_connections_open", Help: "WebSocket connections open on this node.",
	}))
	m.opened = register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rtchat_connections_opened_total", Help: "WebSocket connections upgraded.",
	}))
	m.closed = register(reg, &errs, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtchat_connections_closed_total", Help: "WebSocket connections ended, by close code (the server's, or the client's; 1006: no close frame; other: any code not listed).",
	}, []string{"code"}))
	m.events = register(reg, &errs, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtchat_events_total", Help: "Frames handled, by event type (unknown: not in the event map) and result (ok or the protocol error code).",
	}, []string{"event", "code"}))
	durations := register(reg, &errs, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rtchat_event_duration_seconds", Help: "Time from a frame's read to its answer, by event type.", Buckets: latencyBuckets,
	}, []string{"event"}))
	m.send = register(reg, &errs, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "rtchat_send_latency_seconds", Help: "Time from a message.send frame's read until the message is stored and published (with the memory broker, also fanned out on this node); successful sends only.", Buckets: latencyBuckets,
	}))
	m.fanout = register(reg, &errs, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "rtchat_fanout_duration_seconds", Help: "Time to queue one room event to every connection of the room on this node.", Buckets: fanoutBuckets,
	}))
	resyncs := register(reg, &errs, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtchat_resync_closes_total", Help: "Connections closed with 4008, by reason (fell_behind: send buffer full; membership: rooms changed in a way the node could not apply).",
	}, []string{"reason"}))
	m.brokerLag = register(reg, &errs, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "rtchat_broker_lag_seconds", Help: "Time from a broker message's publish (by the publishing node's clock) to its arrival on this node.", Buckets: latencyBuckets,
	}))
	m.dbErrors = register(reg, &errs, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtchat_database_errors_total", Help: "Work failed because the database could not be reached or was busy, by event type or connect, disconnect, fill, membership.",
	}, []string{"op"}))
	m.rateLimits = register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rtchat_rate_limited_frames_total", Help: "Frames refused by a rate limit (answered 4029 or not).",
	}))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.closedBy = make(map[int]prometheus.Counter, len(closeCodes))
	for code, l := range closeCodes {
		m.closedBy[code] = m.closed.WithLabelValues(l)
	}
	m.eventOf = make(map[string]*eventMetrics, len(events)+1)
	for _, e := range append(events, "") {
		l := e
		if l == "" {
			l = unknownEvent
		}
		m.eventOf[e] = &eventMetrics{label: l, ok: m.events.WithLabelValues(l, "ok"), duration: durations.WithLabelValues(l)}
	}
	m.resyncs[consumer.ResyncFellBehind] = resyncs.WithLabelValues("fell_behind")
	m.resyncs[consumer.ResyncMembership] = resyncs.WithLabelValues("membership")
	return m, nil
}

// register registers c with reg, or returns the collector of the same
// description reg holds already (another Chat of the process registered
// it); any other failure is added to errs.
func register[C prometheus.Collector](reg prometheus.Registerer, errs *[]error, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	*errs = append(*errs, fmt.Errorf("rtchat: WithMetrics: %w", err))
	return c
}

func (m *promMetrics) ConnOpened() {
	m.open.Inc()
	m.opened.Inc()
}

func (m *promMetrics) ConnClosed(code int) {
	m.open.Dec()
	if c, ok := m.closedBy[code]; ok {
		c.Inc()
		return
	}
	m.closed.WithLabelValues("other").Inc()
}

func (m *promMetrics) Event(event string, code int, d time.Duration) {
	em, ok := m.eventOf[event]
	if !ok {
		em = m.eventOf[""]
	}
	if code == 0 {
		em.ok.Inc()
	} else {
		m.events.WithLabelValues(em.label, codeLabel(code)).Inc()
	}
	if d > 0 {
		em.duration.Observe(d.Seconds())
	}
}

func (m *promMetrics) Send(d time.Duration)      { m.send.Observe(d.Seconds()) }
func (m *promMetrics) Fanout(d time.Duration)    { m.fanout.Observe(d.Seconds()) }
func (m *promMetrics) BrokerLag(d time.Duration) { m.brokerLag.Observe(d.Seconds()) }
func (m *promMetrics) RateLimited()              { m.rateLimits.Inc() }

func (m *promMetrics) Resync(r consumer.ResyncReason) {
	if int(r) < len(m.resyncs) && m.resyncs[r] != nil {
		m.resyncs[r].Inc()
	}
}

func (m *promMetrics) DatabaseError(op string) {
	label := op
	switch op {
	case consumer.OpConnect, consumer.OpDisconnect, consumer.OpFill, consumer.OpMembership:
	default:
		if em, ok := m.eventOf[op]; ok {
			label = em.label
		} else {
			label = unknownEvent
		}
	}
	m.dbErrors.WithLabelValues(label).Inc()
}
