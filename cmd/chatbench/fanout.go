package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/protocol"
)

// Figure names of the fanout scenario.
const (
	figFanP50    = "send-to-receive p50"
	figFanP99    = "send-to-receive p99"
	figFanMax    = "send-to-receive max"
	figFanLost   = "lost (expected - received)"
	figFanClosed = "receivers closed with 4008"
)

// stampPrefix marks a benchmark message; the send time in Unix
// nanoseconds follows in 19 digits, so a receiver finds it in the raw
// frame without decoding it.
const stampPrefix = "chatbench-"

func stamp(at time.Time) string { return fmt.Sprintf("%s%019d", stampPrefix, at.UnixNano()) }

var stampKey = []byte(stampPrefix)

// readStamp returns the send time stamped in frame p.
func readStamp(p []byte) (time.Time, bool) {
	i := bytes.Index(p, stampKey)
	if i < 0 || len(p) < i+len(stampKey)+19 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(p[i+len(stampKey):i+len(stampKey)+19]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

var (
	messageDispatchKey  = []byte(`"eventType":"` + protocol.DispatchMessage + `"`)
	presenceDispatchKey = []byte(`"eventType":"` + protocol.DispatchPresence + `"`)
)

// receiver is what one load connection saw.
type receiver struct {
	mu       sync.Mutex // guards lat
	lat      []time.Duration
	messages atomic.Int64
	presence atomic.Int64
}

// fanoutRun is one fan-out measurement, on rtchat or the baseline.
type fanoutRun struct {
	d         *dialer
	sender    int64
	receivers []int64
	// prepare readies the sender's side (the room) and returns how to send
	// one stamped payload.
	prepare func(ctx context.Context, sender *loadConn) (send func(stamped string) error, err error)
	// isMessage tells a benchmark message among the frames.
	isMessage func(p []byte) bool
	// registered says the server sends a first frame on connect
	// (chat.notifications), to wait for before the room counts as online.
	registered bool
}

// fanoutResult is what a fan-out measurement found.
type fanoutResult struct {
	lat          latencies
	lost         int64
	closed       int // receivers closed with 4008
	senderClosed int // the sender's close code, 0 if it stayed open
	sendErrs     int
	frameSize    int
}

func (r fanoutResult) figures(kind string) []figure {
	return []figure{
		{Scenario: "fanout", DB: kind, Name: figFanP50, Unit: "ms", Value: r.lat.P50},
		{Scenario: "fanout", DB: kind, Name: figFanP99, Unit: "ms", Value: r.lat.P99},
		{Scenario: "fanout", DB: kind, Name: figFanMax, Unit: "ms", Value: r.lat.Max},
		{Scenario: "fanout", DB: kind, Name: figFanLost, Value: float64(r.lost)},
		{Scenario: "fanout", DB: kind, Name: figFanClosed, Value: float64(r.closed)},
	}
}

// runFanout has the members of a channel online, reading, while one of
// them sends cfg.fanoutMessages messages cfg.fanoutInterval apart.
func runFanout(ctx context.Context, b *bench, t *target) ([]figure, error) {
	m := b.cfg.fanoutMembers
	subs, err := t.ids(b.users(2, m))
	if err != nil {
		return nil, err
	}
	run := fanoutRun{
		d: t.dialer, sender: b.user(1), receivers: b.users(2, m), registered: true,
		isMessage: func(p []byte) bool { return bytes.Contains(p, messageDispatchKey) },
		prepare: func(ctx context.Context, s *loadConn) (func(string) error, error) {
			if err := s.waitFirst(ctx); err != nil {
				return nil, err
			}
			room, err := createRoom(ctx, s, map[string]any{
				"type": protocol.RoomChannel, "name": "fanout", "subscribers": subs,
				"extra_fields": map[string]any{"max_subscribers": m},
			})
			if err != nil {
				return nil, err
			}
			return func(stamped string) error {
				_, err := s.send(protocol.EventMessageSend, map[string]any{"room_id": room, "content": stamped + " fan-out benchmark message"})
				return err
			}, nil
		},
	}
	r, err := run.measure(ctx, b)
	if err != nil {
		return nil, err
	}
	if b.fanoutFrame == 0 {
		b.fanoutFrame = r.frameSize
	}
	if r.senderClosed != 0 {
		b.note("fanout on %s: the sender itself was closed with %d after %d send errors", t.name, r.senderClosed, r.sendErrs)
	}
	return r.figures(t.kind), nil
}

// fanoutBaseline broadcasts frames of the size rtchat delivered through a
// bare melody server to as many connections, at the same pace.
func fanoutBaseline(ctx context.Context, b *bench) (string, map[string]float64, error) {
	mel, err := startMelody(melodyBroadcast)
	if err != nil {
		return "", nil, err
	}
	defer mel.stop()
	d, err := newDialer(mel.url, nil)
	if err != nil {
		return "", nil, err
	}
	size := max(b.fanoutFrame, len(stamp(time.Now())))
	run := fanoutRun{
		d: d, sender: 1, receivers: b.users(2, b.cfg.fanoutMembers),
		isMessage: func([]byte) bool { return true },
		prepare: func(_ context.Context, s *loadConn) (func(string) error, error) {
			return func(stamped string) error {
				return s.writeRaw([]byte(stamped + strings.Repeat(".", size-len(stamped))))
			}, nil
		},
	}
	r, err := run.measure(ctx, b)
	if err != nil {
		return "", nil, err
	}
	values := map[string]float64{}
	for _, f := range r.figures("") {
		values[f.Name] = f.Value
	}
	return fmt.Sprintf("bare melody, %d-byte frames", size), values, nil
}

func (run fanoutRun) measure(ctx context.Context, b *bench) (fanoutResult, error) {
	var res fanoutResult
	var frames atomic.Int64
	var frameSize atomic.Int64
	sender, err := run.d.dial(ctx, run.sender, func([]byte, time.Time) { frames.Add(1) })
	if err != nil {
		return res, err
	}
	defer sender.close()
	send, err := run.prepare(ctx, sender)
	if err != nil {
		return res, err
	}
	recv := make([]*receiver, len(run.receivers))
	conns, err := dialMany(ctx, run.d, run.receivers, 32, false, func(i int) func([]byte, time.Time) {
		r := &receiver{lat: make([]time.Duration, 0, b.cfg.fanoutMessages)}
		recv[i] = r
		return func(p []byte, at time.Time) {
			frames.Add(1)
			if !run.isMessage(p) {
				return
			}
			sent, ok := readStamp(p)
			if !ok {
				return
			}
			frameSize.CompareAndSwap(0, int64(len(p)))
			r.messages.Add(1)
			r.mu.Lock()
			r.lat = append(r.lat, at.Sub(sent))
			r.mu.Unlock()
		}
	})
	if err != nil {
		return res, err
	}
	defer closeAll(conns)
	if run.registered {
		for _, c := range conns {
			_ = c.waitFirst(ctx) // one closed meanwhile is counted below
		}
	}
	// What connecting set off (presence) settles before the first send.
	waitQuietOr(ctx, b.cfg.quiet, time.Minute, frames.Load, -1)

	k := b.cfg.fanoutMessages
	start := time.Now()
	for i := range k {
		time.Sleep(time.Until(start.Add(time.Duration(i) * b.cfg.fanoutInterval)))
		if sender.closed() || ctx.Err() != nil {
			break
		}
		if err := send(stamp(time.Now())); err != nil {
			res.sendErrs++
		}
	}
	count := func() int64 {
		var n int64
		for _, r := range recv {
			n += r.messages.Load()
		}
		return n
	}
	expected := int64(k) * int64(len(conns))
	// Done when everything arrived, or nothing more has for a while.
	waitQuietOr(ctx, b.cfg.quiet, 2*time.Minute, count, expected)
	var all []time.Duration
	for i, r := range recv {
		r.mu.Lock()
		all = append(all, r.lat...)
		r.mu.Unlock()
		if conns[i].closed() && int(conns[i].closeCode.Load()) == protocol.CodeResync {
			res.closed++
		}
	}
	res.lat = summarize(all)
	res.lost = expected - count()
	res.frameSize = int(frameSize.Load())
	if sender.closed() {
		res.senderClosed = int(sender.closeCode.Load())
		if res.senderClosed == 0 {
			res.senderClosed = -1
		}
	}
	b.logf("fanout: %d receivers, %d messages: p50 %.1f ms, p99 %.1f ms, lost %d, 4008 %d",
		len(conns), k, res.lat.P50, res.lat.P99, res.lost, res.closed)
	return res, nil
}

// createRoom sends room.create as c and returns the new room's id.
func createRoom(ctx context.Context, c *loadConn, data map[string]any) (string, error) {
	p, err := c.request(ctx, protocol.EventRoomCreate, data)
	if err != nil {
		return "", err
	}
	var f struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(p, &f); err != nil || f.Data.ID == "" {
		return "", fmt.Errorf("chatbench: room.create answered %.200s", p)
	}
	return f.Data.ID, nil
}
