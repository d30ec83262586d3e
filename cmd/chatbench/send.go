package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// Figure names of the send scenario.
const (
	figSendRate = "stored sends per second"
	figSendP50  = "send-to-echo p50"
	figSendP99  = "send-to-echo p99"
)

// runSend has cfg.sendSenders senders, each in a group of its own with one
// offline member, send in a closed loop for cfg.sendDuration: send, wait for
// its own message.dispatch echo (the message is stored and published),
// repeat. In-process, the database's own INSERT loop with as many workers
// runs next on the same pool as the baseline.
func runSend(ctx context.Context, b *bench, t *target) ([]figure, error) {
	s := b.cfg.sendSenders
	senders := b.users(1, s)
	peers, err := t.ids(b.users(s+1, 2*s))
	if err != nil {
		return nil, err
	}
	conns, err := dialMany(ctx, t.dialer, senders, 16, true, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	// Sender i sends into room i % n: by default each sender has a room of
	// its own; with -send-rooms 1 they all share one, which measures one
	// room's ceiling (its sends take the room row's lock in turn).
	n := b.cfg.sendRooms
	if n <= 0 || n > s {
		n = s
	}
	ids, err := t.ids(senders)
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		if err := c.waitFirst(ctx); err != nil {
			return nil, err
		}
	}
	rooms := make([]string, n)
	for j := range rooms {
		participants := []int64{peers[j]}
		for i := j + n; i < s; i += n {
			participants = append(participants, ids[i])
		}
		if rooms[j], err = createRoom(ctx, conns[j], map[string]any{
			"type": protocol.RoomGroup, "name": fmt.Sprintf("send %d", j+1), "participants": participants,
		}); err != nil {
			return nil, err
		}
	}
	lat, errs, elapsed := closedLoop(ctx, s, b.cfg.sendDuration, func(ctx context.Context, w int) error {
		_, err := conns[w].request(ctx, protocol.EventMessageSend, map[string]any{
			"room_id": rooms[w%n], "content": "send benchmark message", "client_msg_id": uuid.NewString(),
		})
		return err
	})
	sum := summarize(lat)
	rate := float64(sum.N) / elapsed.Seconds()
	b.logf("send on %s: %d senders in %d rooms: %.0f stored sends/s, p50 %.1f ms, p99 %.1f ms, %d errors", t.name, s, n, rate, sum.P50, sum.P99, errs)
	if errs > 0 {
		b.note("send on %s: %d sends failed", t.name, errs)
	}
	figs := []figure{
		{Scenario: "send", DB: t.kind, Name: figSendRate, Unit: "/s", Value: rate},
		{Scenario: "send", DB: t.kind, Name: figSendP50, Unit: "ms", Value: sum.P50},
		{Scenario: "send", DB: t.kind, Name: figSendP99, Unit: "ms", Value: sum.P99},
	}
	if !t.local() {
		return figs, nil
	}
	base, err := insertLoop(ctx, t.db(), s, b.cfg.sendDuration)
	if err != nil {
		return figs, fmt.Errorf("INSERT baseline: %w", err)
	}
	b.logf("send on %s: INSERT loop, %d workers: %.0f rows/s, p50 %.2f ms, p99 %.2f ms", t.name, s, base.rate, base.lat.P50, base.lat.P99)
	name := fmt.Sprintf("INSERT loop, %d workers", s)
	figs[0] = figs[0].withBaseline(name, base.rate)
	figs[1] = figs[1].withBaseline(name, base.lat.P50)
	figs[2] = figs[2].withBaseline(name, base.lat.P99)
	return figs, nil
}

// closedLoop runs op on workers goroutines, each repeating it as soon as it
// returns, for d; it returns the latencies of the successful calls, the
// number of failed ones and how long the loop really ran.
func closedLoop(ctx context.Context, workers int, d time.Duration, op func(ctx context.Context, worker int) error) ([]time.Duration, int, time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	end := start.Add(d)
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			failed := 0
			for time.Now().Before(end) {
				rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
				t0 := time.Now()
				err := op(rctx, w)
				rcancel()
				if err != nil {
					failed++
					if ctx.Err() != nil || failed > 100 {
						break
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, errs, time.Since(start)
}

// insertResult is the write floor: the database's own single-row INSERT
// rate.
type insertResult struct {
	rate float64
	lat  latencies
}

// insertLoop is the baseline of the send scenario: workers insert one row
// per statement, autocommit, into a plain table shaped like a message, for
// d, through the same pool rtchat uses.
func insertLoop(ctx context.Context, db *bun.DB, workers int, d time.Duration) (insertResult, error) {
	const table = "chatbench_inserts"
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+
		" (id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL, sender_id BIGINT NOT NULL,"+
		" seq BIGINT NOT NULL, content TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"); err != nil {
		return insertResult{}, err
	}
	defer db.ExecContext(context.Background(), "DROP TABLE "+table) //nolint:errcheck // the database goes with the run
	rooms := make([]string, workers)
	seqs := make([]int64, workers)
	for i := range rooms {
		rooms[i] = uuid.NewString()
	}
	lat, errs, elapsed := closedLoop(ctx, workers, d, func(ctx context.Context, w int) error {
		seqs[w]++
		_, err := db.ExecContext(ctx, "INSERT INTO "+table+" (id, room_id, sender_id, seq, content, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			uuid.NewString(), rooms[w], int64(w+1), seqs[w], "send benchmark message", time.Now().UTC())
		return err
	})
	if errs > 0 && len(lat) == 0 {
		return insertResult{}, fmt.Errorf("every INSERT failed")
	}
	sum := summarize(lat)
	return insertResult{rate: float64(sum.N) / elapsed.Seconds(), lat: sum}, nil
}
