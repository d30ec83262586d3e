package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/broker"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/protocol"
)

// Figure names of the redis scenario.
const (
	figRedisRate    = "events/s received by each of 2 subscriber nodes"
	figRedisLost    = "lost per subscriber node"
	figRedisPubCPU  = "publish CPU per event"
	figRedisRecvCPU = "receive CPU per event per node"
	figRedisServer  = "Redis server CPU per event"
	figRedisDecode  = "JSON decode per event"
	figRedisPayload = "payload per event"
)

// redisFrameSize is the size of the message.dispatch frame the redis
// scenario carries when no fanout ran before it (what fanout measured in
// BENCHMARKS.md).
const redisFrameSize = 572

// pubsubPath is one way of carrying events through Redis from one
// publishing node to subscribing nodes: our broker, or go-redis bare.
type pubsubPath struct {
	// publish sends one event.
	publish func(ctx context.Context) error
	// subscribe makes subscriber i, which calls got for every event it
	// receives, and returns how to stop it.
	subscribe func(ctx context.Context, i int, got func()) (stop func() error, err error)
}

// redisResult is what one path measured.
type redisResult struct {
	rate    float64 // events/s received per subscriber (the slower one)
	lost    float64 // per subscriber, mean
	pubCPU  float64 // µs of this process's CPU per published event
	recvCPU float64 // µs of this process's CPU per event received, per node
	// server is the µs of the Redis server's CPU per event published to
	// the two subscribers (INFO cpu), -1 if Redis did not say.
	server float64
}

func (r redisResult) figures() []figure {
	return []figure{
		{Scenario: "redis", DB: "redis", Name: figRedisRate, Unit: "/s", Value: r.rate},
		{Scenario: "redis", DB: "redis", Name: figRedisLost, Value: r.lost},
		{Scenario: "redis", DB: "redis", Name: figRedisPubCPU, Unit: "µs", Value: r.pubCPU},
		{Scenario: "redis", DB: "redis", Name: figRedisRecvCPU, Unit: "µs", Value: r.recvCPU},
		{Scenario: "redis", DB: "redis", Name: figRedisServer, Unit: "µs", Value: r.server},
	}
}

// redisClients opens n clients of cfg.redisURL, one per node as real
// nodes would have, and returns how to close them.
func redisClients(ctx context.Context, cfg *config, n int) ([]*goredis.Client, func(), error) {
	var cs []*goredis.Client
	closeAll := func() {
		for _, c := range cs {
			_ = c.Close()
		}
	}
	for range n {
		c, err := openRedis(ctx, cfg.redisURL)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		cs = append(cs, c)
	}
	return cs, closeAll, nil
}

// redisMessage is the event the scenario carries: a new message of a room
// with a message.dispatch frame of size bytes, as the send path publishes.
func redisMessage(size int) broker.Message {
	room := uuid.NewString()
	frame := fmt.Sprintf(`{"eventType":%q,"data":{"id":%q,"room_id":%q,"seq":1,"sender_id":1,"sender":{"id":1,"username":"bench1"},"created_at":"2026-01-01T00:00:00Z","content":"`,
		protocol.DispatchMessage, uuid.NewString(), room)
	frame += strings.Repeat("x", max(0, size-len(frame)-3)) + `"}}`
	return broker.Message{Kind: broker.KindRoom, Room: room, Frame: []byte(frame), Seq: 1}
}

// runRedis measures how many events one Redis carries through our broker
// from one publishing node to two subscribing nodes, all in this process
// with a client each: cfg.redisPublishers goroutines of the publishing
// node publish in a closed loop for cfg.redisDuration, and the rate is
// what each subscriber received over the time until the last event
// arrived. The CPU figures come from the process's own CPU time: a first
// phase publishes with nobody subscribed (the publish cost), the second
// with both subscribers; the difference is what receiving and decoding
// costs a node per event.
func runRedis(ctx context.Context, b *bench, _ *target) ([]figure, error) {
	cs, closeClients, err := redisClients(ctx, b.cfg, 3)
	if err != nil {
		return nil, err
	}
	defer closeClients()
	prefix := redisPrefix()
	m := redisMessage(b.redisFrame())
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	pub := redisbroker.New(cs[0], redisbroker.WithPrefix(prefix))
	defer pub.Close()
	res, err := b.measureRedis(ctx, cs[0], pubsubPath{
		publish: func(ctx context.Context) error { return pub.Publish(ctx, m) },
		subscribe: func(ctx context.Context, i int, got func()) (func() error, error) {
			s := redisbroker.New(cs[1+i], redisbroker.WithPrefix(prefix))
			if err := s.Subscribe(ctx, func(broker.Message) { got() }); err != nil {
				return nil, err
			}
			return s.Close, nil
		},
	})
	if err != nil {
		return nil, err
	}
	decode := decodeCost(payload)
	b.logf("redis: broker: %.0f events/s per node, %.1f lost, publish %.1f µs, receive %.1f µs per event per node, decode %.1f µs, Redis %.1f µs",
		res.rate, res.lost, res.pubCPU, res.recvCPU, decode, res.server)
	return append(res.figures(),
		figure{Scenario: "redis", DB: "redis", Name: figRedisDecode, Unit: "µs", Value: decode},
		figure{Scenario: "redis", DB: "redis", Name: figRedisPayload, Unit: "B", Value: float64(len(payload))},
	), nil
}

// redisBaseline is the same through go-redis alone: PUBLISH of the
// already encoded payload, and subscribers that count what they receive
// without decoding it.
func redisBaseline(ctx context.Context, b *bench) (string, map[string]float64, error) {
	cs, closeClients, err := redisClients(ctx, b.cfg, 3)
	if err != nil {
		return "", nil, err
	}
	defer closeClients()
	channel := redisPrefix() + ":events"
	payload, err := json.Marshal(redisMessage(b.redisFrame()))
	if err != nil {
		return "", nil, err
	}
	res, err := b.measureRedis(ctx, cs[0], pubsubPath{
		publish: func(ctx context.Context) error { return cs[0].Publish(ctx, channel, payload).Err() },
		subscribe: func(ctx context.Context, i int, got func()) (func() error, error) {
			return rawSubscribe(ctx, cs[1+i], channel, got)
		},
	})
	if err != nil {
		return "", nil, err
	}
	b.logf("redis: bare go-redis: %.0f events/s per node, %.1f lost, publish %.1f µs, receive %.1f µs per event per node, Redis %.1f µs",
		res.rate, res.lost, res.pubCPU, res.recvCPU, res.server)
	values := map[string]float64{}
	for _, f := range res.figures() {
		values[f.Name] = f.Value
	}
	return "bare go-redis PUBLISH/SUBSCRIBE, no encode or decode", values, nil
}

// rawSubscribe subscribes c to channel and calls got for every message
// until stopped.
func rawSubscribe(ctx context.Context, c *goredis.Client, channel string, got func()) (func() error, error) {
	ps := c.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil { // the confirmation
		_ = ps.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			msg, err := ps.ReceiveTimeout(context.Background(), 5*time.Second)
			if err != nil {
				var ne interface{ Timeout() bool }
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				return // closed
			}
			if _, ok := msg.(*goredis.Message); ok {
				got()
			}
		}
	}()
	return func() error { err := ps.Close(); <-done; return err }, nil
}

// redisFrame is the frame size the redis scenario carries: fanout's, if
// it ran first.
func (b *bench) redisFrame() int {
	if b.fanoutFrame > 0 {
		return b.fanoutFrame
	}
	return redisFrameSize
}

// measureRedis runs the two phases of the redis scenario on path; c asks
// Redis for its own CPU time.
func (b *bench) measureRedis(ctx context.Context, c *goredis.Client, path pubsubPath) (redisResult, error) {
	var res redisResult
	// Phase 1: nobody listens; Redis drops what it is sent.
	cpu0 := cpuTime()
	n1, _, err := publishLoop(ctx, b.cfg.redisPublishers, b.cfg.redisDuration, path.publish)
	if err != nil {
		return res, err
	}
	pubCPU := (cpuTime() - cpu0) / time.Duration(max(n1, 1))
	res.pubCPU = float64(pubCPU.Nanoseconds()) / 1e3

	// Phase 2: two subscribing nodes.
	var got [2]atomic.Int64
	var last [2]atomic.Int64 // UnixNano of the latest arrival
	var stops []func() error
	defer func() {
		for _, s := range stops {
			_ = s()
		}
	}()
	for i := range got {
		stop, err := path.subscribe(ctx, i, func() { got[i].Add(1); last[i].Store(time.Now().UnixNano()) })
		if err != nil {
			return res, err
		}
		stops = append(stops, stop)
	}
	cpu0 = cpuTime()
	srv0, srvErr := redisServerCPU(ctx, c)
	n2, start, err := publishLoop(ctx, b.cfg.redisPublishers, b.cfg.redisDuration, path.publish)
	if err != nil {
		return res, err
	}
	both := func() int64 { return got[0].Load() + got[1].Load() }
	waitQuietOr(ctx, b.cfg.quiet, time.Minute, both, 2*n2)
	// The quiet wait's own idle time costs no CPU to speak of.
	cpu := cpuTime() - cpu0
	res.server = -1
	if srv1, err := redisServerCPU(ctx, c); err == nil && srvErr == nil && n2 > 0 {
		res.server = float64((srv1 - srv0).Nanoseconds()) / 1e3 / float64(n2)
	}
	recv := both()
	for i := range got {
		r := 0.0
		if k := got[i].Load(); k > 0 {
			r = float64(k) / max(time.Duration(last[i].Load()-start.UnixNano()).Seconds(), 1e-9)
		}
		if i == 0 || r < res.rate {
			res.rate = r
		}
	}
	res.lost = float64(2*n2-recv) / 2
	if recv > 0 {
		rc := cpu - pubCPU*time.Duration(n2)
		res.recvCPU = float64(rc.Nanoseconds()) / 1e3 / float64(recv)
	}
	return res, nil
}

// publishLoop calls publish from workers goroutines in a closed loop for d
// and returns how many calls succeeded and when the loop started.
func publishLoop(ctx context.Context, workers int, d time.Duration, publish func(context.Context) error) (int64, time.Time, error) {
	var n atomic.Int64
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				if err := publish(ctx); err != nil {
					once.Do(func() { firstErr = err })
					if failed.Add(1) > 100 {
						return
					}
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if n.Load() == 0 && firstErr != nil {
		return 0, start, fmt.Errorf("every publish failed: %w", firstErr)
	}
	return n.Load(), start, ctx.Err()
}

// decodeCost returns the µs of CPU json.Unmarshal takes to decode payload
// into a broker.Message, as every subscribing node does for every event:
// the process's CPU time (garbage collection included, and nothing else
// running by then) over three rounds of about 300 ms, the best round.
// CPU time rather than elapsed time, so that other work on the machine
// does not count.
func decodeCost(payload []byte) float64 {
	best := time.Duration(0)
	for range 3 {
		n := 0
		start, cpu0 := time.Now(), cpuTime()
		for time.Since(start) < 300*time.Millisecond {
			for range 100 {
				var m broker.Message
				_ = json.Unmarshal(payload, &m)
			}
			n += 100
		}
		if per := (cpuTime() - cpu0) / time.Duration(n); per > 0 && (best == 0 || per < best) {
			best = per
		}
	}
	return float64(best.Nanoseconds()) / 1e3
}

// redisServerCPU is the CPU time, user and system, the Redis server has
// used (INFO cpu): on a shared Redis, everyone's.
func redisServerCPU(ctx context.Context, c *goredis.Client) (time.Duration, error) {
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var total float64
	found := 0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("chatbench: INFO cpu %s: %w", k, err)
			}
			total += f
			found++
		}
	}
	if found != 2 {
		return 0, errors.New("chatbench: INFO cpu has no used_cpu_sys and used_cpu_user")
	}
	return time.Duration(total * float64(time.Second)), nil
}

// cpuTime is the CPU time, user and system, this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
