package rtchat_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// eachDBMetrics runs fn as eachDB does (sqlite, postgres, two nodes through
// Redis), each variant with a registry of its own that its chat (both
// nodes of the two-node variant, which add to the same collectors)
// registers its metrics with.
func eachDBMetrics(t *testing.T, fn func(t *testing.T, h *harness, reg *prometheus.Registry), opts ...rtchat.Option) {
	t.Helper()
	t.Parallel()
	with := func(reg *prometheus.Registry) []rtchat.Option {
		return append([]rtchat.Option{rtchat.WithMetrics(reg)}, opts...)
	}
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			fn(t, newHarness(t, dbtest.Open(t, kind), with(reg)...), reg)
		})
	}
	t.Run("two-nodes", func(t *testing.T) {
		t.Parallel()
		redistest.URL(t)
		reg := prometheus.NewRegistry()
		fn(t, newTwoNodes(t, dbtest.Open(t, "postgres"), with(reg)...), reg)
	})
}

// scrape gathers reg and returns the sample of the metric name whose labels
// include want, or nil.
func scrape(t testing.TB, reg prometheus.Gatherer, name string, want map[string]string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue metrics
				}
			}
			return m
		}
	}
	return nil
}

// value is a counter's or gauge's value (0 when the series does not exist).
func value(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	m := scrape(t, reg, name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

// observations is a histogram's sample count (0 when the series does not
// exist).
func observations(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) uint64 {
	t.Helper()
	m := scrape(t, reg, name, labels)
	if m == nil {
		return 0
	}
	if m.Histogram == nil {
		t.Fatalf("%s%v is not a histogram", name, labels)
	}
	return m.Histogram.GetSampleCount()
}

// wantValue checks a counter or gauge.
func wantValue(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string, want float64) {
	t.Helper()
	if got := value(t, reg, name, labels); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// wantObservations checks a histogram's sample count.
func wantObservations(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string, want uint64) {
	t.Helper()
	if got := observations(t, reg, name, labels); got != want {
		t.Errorf("%s%v has %d observations, want %d", name, labels, got, want)
	}
}

// TestMetricsAfterAChat: after a short chat (two users, three messages, a
// message.send without room_id, an unknown event, a frame over a rate
// limit, both disconnecting), the registry holds the exact counts.
func TestMetricsAfterAChat(t *testing.T) {
	const sends = 3
	eachDBMetrics(t, func(t *testing.T, h *harness, reg *prometheus.Registry) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		wantValue(t, reg, "rtchat_connections_open", nil, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "metrics", "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)
		for i := range sends {
			send(t, a, room.ID, "hello")
			if m := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); m.Seq != int64(i+1) {
				t.Fatalf("b got seq %d, want %d", m.Seq, i+1)
			}
		}
		wantCode(t, requestErr(t, a, protocol.EventMessageSend, map[string]any{"content": "no room"}), protocol.CodeInvalid)
		wantCode(t, requestErr(t, a, "no.such.event", nil), protocol.CodeInvalid)
		request(t, a, protocol.EventRoomList, nil)
		wantCode(t, requestErr(t, a, protocol.EventRoomList, nil), protocol.CodeRateLimited)
		if h.peer != nil {
			h.sync(t) // b's node has delivered every message
		}
		_ = b.Close()
		_ = a.Close()
		waitFor(t, "the connections gauge back to 0", func() bool { return value(t, reg, "rtchat_connections_open", nil) == 0 })

		nodes := uint64(1)
		if h.peer != nil {
			nodes = 2
		}
		wantValue(t, reg, "rtchat_connections_opened_total", nil, 2)
		wantValue(t, reg, "rtchat_connections_closed_total", map[string]string{"code": "1000"}, 2)
		wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventRoomCreate, "code": "ok"}, 1)
		wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventMessageSend, "code": "ok"}, sends)
		wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventMessageSend, "code": "4003"}, 1)
		wantValue(t, reg, "rtchat_events_total", map[string]string{"event": "unknown", "code": "4003"}, 1)
		wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventRoomList, "code": "ok"}, 1)
		// The refused frame is counted as such, not as an event handled.
		wantValue(t, reg, "rtchat_rate_limited_frames_total", nil, 1)
		wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventRoomList, "code": "4029"}, 0)
		// The unknown event type is not a label of its own.
		if m := scrape(t, reg, "rtchat_events_total", map[string]string{"event": "no.such.event"}); m != nil {
			t.Errorf("an unknown event type got a series: %v", m)
		}
		wantObservations(t, reg, "rtchat_event_duration_seconds", map[string]string{"event": protocol.EventMessageSend}, sends+1)
		wantObservations(t, reg, "rtchat_send_latency_seconds", nil, sends)
		// The room events (roomcreate.dispatch and each message) are each
		// fanned out once on every node with a member.
		wantObservations(t, reg, "rtchat_fanout_duration_seconds", nil, (1+sends)*nodes)
		if n := observations(t, reg, "rtchat_broker_lag_seconds", nil); n < sends*nodes {
			t.Errorf("rtchat_broker_lag_seconds has %d observations, want at least %d (the messages on every node)", n, sends*nodes)
		}
		wantValue(t, reg, "rtchat_resync_closes_total", map[string]string{"reason": "fell_behind"}, 0)
		if m := scrape(t, reg, "rtchat_database_errors_total", nil); m != nil {
			t.Errorf("a database error was counted: %v", m)
		}
	}, rtchat.WithEventRateLimit(protocol.EventRoomList, 0.001, 1))
}

// TestMetricsSlowConsumer: a connection dropped with 4008 for falling
// behind is counted by reason and by close code.
func TestMetricsSlowConsumer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		reg := prometheus.NewRegistry()
		h := newHarness(t, db, rtchat.WithMetrics(reg), rtchat.WithSendBuffer(4), rtchat.WithMaxContentLength(30_000), rtchat.WithWriteTimeout(time.Second))
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{3}})
		// User 3 connects and never reads.
		ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer 3"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Cleanup(func() { _ = ws.Close() })
		waitFor(t, "user 3 registered", func() bool { return h.chat.Stats().Conns == 2 })
		big := strings.Repeat("x", 25_000)
		for sent := 0; h.chat.Stats().Conns == 2; sent++ {
			if sent == 2000 {
				t.Fatal("the silent connection was never dropped")
			}
			if _, err := a.SendMessage(testCtx(t), room.ID, big); err != nil {
				t.Fatalf("send %d: %v", sent, err)
			}
			a.Drain(protocol.DispatchMessage)
		}
		waitFor(t, "the dropped connection counted", func() bool { return value(t, reg, "rtchat_connections_open", nil) == 1 })
		wantValue(t, reg, "rtchat_resync_closes_total", map[string]string{"reason": "fell_behind"}, 1)
		wantValue(t, reg, "rtchat_resync_closes_total", map[string]string{"reason": "membership"}, 0)
		wantValue(t, reg, "rtchat_connections_closed_total", map[string]string{"code": "4008"}, 1)
	})
}

// TestMetricsDatabaseErrors: while the database link is cut, the sends and
// reads answered 4007 are counted as database errors of their event, and
// as events of code 4007.
func TestMetricsDatabaseErrors(t *testing.T) {
	t.Parallel()
	proxy, db := dbtest.CuttablePostgres(t)
	reg := prometheus.NewRegistry()
	h := newHarness(t, db, rtchat.WithMetrics(reg), rtchat.WithLogger(quietLog))
	a := h.dial(t, 1)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "cut"})
	proxy.Cut()
	const writes, reads = 3, 2
	for range writes {
		_, err := a.Request(testCtx(t), protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "lost"})
		pe, _ := protocol.AsError(err)
		wantCode(t, pe, protocol.CodeUnavailable)
	}
	for range reads {
		wantCode(t, requestErr(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID}), protocol.CodeUnavailable)
	}
	proxy.Restore()
	a.Drain(client.ErrorKey)
	wantValue(t, reg, "rtchat_database_errors_total", map[string]string{"op": protocol.EventMessageSend}, writes)
	wantValue(t, reg, "rtchat_database_errors_total", map[string]string{"op": protocol.EventRoomMessages}, reads)
	wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventMessageSend, "code": "4007"}, writes)
	wantValue(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventRoomMessages, "code": "4007"}, reads)
	// The link is back: a send succeeds and is counted as such.
	waitFor(t, "a send after the restore", func() bool {
		_, err := a.SendMessage(testCtx(t), room.ID, "back")
		return err == nil
	})
	if got := value(t, reg, "rtchat_events_total", map[string]string{"event": protocol.EventMessageSend, "code": "ok"}); got < 1 {
		t.Errorf("no successful send counted after the restore")
	}
}

// TestNoMetricsRegistersNothing: without WithMetrics (or with a nil
// registry) the chat works and no rtchat_ collector exists, in the default
// registry or anywhere.
func TestNoMetricsRegistersNothing(t *testing.T) {
	for _, opts := range [][]rtchat.Option{nil, {rtchat.WithMetrics(nil)}} {
		h := newHarness(t, dbtest.Open(t, "sqlite"), opts...)
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)
		send(t, a, room.ID, "no metrics")
		next(t, b, protocol.DispatchMessage)
		mfs, err := prometheus.DefaultGatherer.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), "rtchat_") {
				t.Errorf("%s is registered in the default registry without WithMetrics", mf.GetName())
			}
		}
	}
}

// TestMetricsNameConflict: a registry that holds another collector under
// one of rtchat's names makes New fail, naming it.
func TestMetricsNameConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtchat_events_total", Help: "not rtchat's"}))
	_, err := rtchat.New(dbtest.Open(t, "sqlite"), rtchat.WithMetrics(reg))
	if err == nil || !strings.Contains(err.Error(), "WithMetrics") {
		t.Fatalf("New = %v, want a WithMetrics error", err)
	}
}

// TestMetricsSharedRegistry: two chats of one process on one registry add
// to the same collectors.
func TestMetricsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	db := dbtest.Open(t, "sqlite")
	for range 2 {
		chat, err := rtchat.New(db, rtchat.WithMetrics(reg))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := chat.Close(ctx); err != nil {
			t.Error(err)
		}
		cancel()
	}
}

// TestMetricsMembershipResync: a node cut off from Redis while one of its
// users was removed from a room closes that user's connection with 4008
// once it is back; the close is counted with reason membership, and the
// messages the node missed are filled from the database without a
// database error.
func TestMetricsMembershipResync(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		reg := prometheus.NewRegistry()
		prefix := redistest.Prefix(t)
		proxy, dial := redistest.Cuttable(t)
		n0 := newPresenceNode(t, db, prefix, "metrics-0", dial, rtchat.WithLogger(quietLog), rtchat.WithMetrics(reg))
		n1 := newPresenceNode(t, db, prefix, "metrics-1", nil)
		a, removed := n0.dial(t, 1), n0.dial(t, 3)
		b := n1.dial(t, 2)
		room := createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "shared", "participants": []int64{1, 3}})
		next(t, a, protocol.DispatchRoomCreate)
		next(t, removed, protocol.DispatchRoomCreate)

		proxy.Cut()
		send(t, b, room.ID, "during the cut")
		act(t, b, protocol.EventRoomRemoveMembers, roomData(room.ID, "members", []int64{3}))
		proxy.Restore()

		if m := decode[wireMessage](t, next(t, a, protocol.DispatchMessage)); m.Content != "during the cut" {
			t.Fatalf("a got %q, want the message sent during the cut", m.Content)
		}
		closedWith(t, "the removed member", removed, protocol.CodeResync)
		waitFor(t, "the 4008 counted", func() bool {
			return value(t, reg, "rtchat_connections_closed_total", map[string]string{"code": "4008"}) == 1
		})
		wantValue(t, reg, "rtchat_resync_closes_total", map[string]string{"reason": "membership"}, 1)
		wantValue(t, reg, "rtchat_resync_closes_total", map[string]string{"reason": "fell_behind"}, 0)
		wantValue(t, reg, "rtchat_connections_open", nil, 1)
		if m := scrape(t, reg, "rtchat_database_errors_total", nil); m != nil {
			t.Errorf("a database error was counted: %v", m)
		}
	})
}
