package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rtchat/rtchat/protocol"
)

// Figure names of the catchup scenario.
const (
	figCatchTotal   = "all caught up"
	figCatchP50     = "one client caught up p50"
	figCatchP99     = "one client caught up p99"
	figCatchQueries = "SQL statements per client"
)

// runCatchup fills rooms of cfg.catchupRoomSize members with
// cfg.catchupHistory messages each, then has all cfg.catchupClients members
// connect at once and catch up as a reconnecting client does: room.list,
// then room.messages after the last seq it holds for each room (here: it
// holds none of the history). It measures the time until all are done and,
// in-process, the SQL statements the server ran per client (a bun query
// hook).
func runCatchup(ctx context.Context, b *bench, t *target) ([]figure, error) {
	k, size, hist := b.cfg.catchupClients, b.cfg.catchupRoomSize, b.cfg.catchupHistory
	if err := fillRooms(ctx, b, t, k, size, hist); err != nil {
		return nil, fmt.Errorf("filling the rooms: %w", err)
	}
	if t.local() {
		if err := waitFor(ctx, time.Minute, "setup connections gone", func() bool { return t.conns() == 0 }); err != nil {
			return nil, err
		}
		t.queries.start()
	}
	var queries int64
	stopCounting := func() {
		if t.local() {
			queries = t.queries.stop()
		}
	}
	res, err := catchUpAll(ctx, t.dialer, b.users(1, k), stopCounting, func(ctx context.Context, c *loadConn) error {
		if err := c.waitFirst(ctx); err != nil {
			return err
		}
		p, err := c.request(ctx, protocol.EventRoomList, nil)
		if err != nil {
			return err
		}
		var list struct {
			Data []struct {
				ID      string `json:"id"`
				LastSeq int64  `json:"last_seq"`
			} `json:"data"`
		}
		if err := json.Unmarshal(p, &list); err != nil {
			return fmt.Errorf("room.list: %w", err)
		}
		for _, r := range list.Data {
			if _, err := c.request(ctx, protocol.EventRoomMessages, map[string]any{
				"room_id": r.ID, "after_seq": max(0, r.LastSeq-int64(hist)), "limit": min(hist, 200),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.logf("catchup on %s: %d clients: all done in %.0f ms (p50 %.0f, p99 %.0f), %d statements",
		t.name, k, res.total, res.lat.P50, res.lat.P99, queries)
	figs := res.figures(t.kind)
	if t.local() {
		figs = append(figs, figure{Scenario: "catchup", DB: t.kind, Name: figCatchQueries, Value: float64(queries) / float64(k)})
	}
	return figs, nil
}

// catchupBaseline has as many clients connect at once to a bare melody
// echo server and make as many round trips (a list, then one history
// request for the one room each is in): the floor of connecting and
// answering, without a database.
func catchupBaseline(ctx context.Context, b *bench) (string, map[string]float64, error) {
	mel, err := startMelody(melodyEcho)
	if err != nil {
		return "", nil, err
	}
	defer mel.stop()
	d, err := newDialer(mel.url, nil)
	if err != nil {
		return "", nil, err
	}
	res, err := catchUpAll(ctx, d, b.users(1, b.cfg.catchupClients), func() {}, func(ctx context.Context, c *loadConn) error {
		for range 2 {
			if _, err := c.request(ctx, protocol.EventRoomList, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	values := map[string]float64{}
	for _, f := range res.figures("") {
		values[f.Name] = f.Value
	}
	return "bare melody echo", values, nil
}

type catchupResult struct {
	total float64 // ms until every client was done
	lat   latencies
}

func (r catchupResult) figures(kind string) []figure {
	return []figure{
		{Scenario: "catchup", DB: kind, Name: figCatchTotal, Unit: "ms", Value: r.total},
		{Scenario: "catchup", DB: kind, Name: figCatchP50, Unit: "ms", Value: r.lat.P50},
		{Scenario: "catchup", DB: kind, Name: figCatchP99, Unit: "ms", Value: r.lat.P99},
	}
}

// catchUpAll connects every user at once, runs work on each connection and
// times each from the common start to the end of its work; it calls done
// when all are done, before it closes the connections (whose disconnects
// are not part of catching up).
func catchUpAll(ctx context.Context, d *dialer, users []int64, done func(), work func(context.Context, *loadConn) error) (catchupResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	lat := make([]time.Duration, len(users))
	errs := make([]error, len(users))
	conns := make([]*loadConn, len(users))
	var wg sync.WaitGroup
	start := time.Now()
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := d.dial(ctx, u, nil)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
			if errs[i] = work(ctx, c); errs[i] == nil {
				lat[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)
	done()
	closeAll(conns)
	if err := firstErr(errs); err != nil {
		return catchupResult{}, err
	}
	return catchupResult{total: ms(total), lat: summarize(lat)}, nil
}

// fillRooms puts users 1..k in rooms of size members and sends hist
// messages in each, eight rooms at a time.
func fillRooms(ctx context.Context, b *bench, t *target, k, size, hist int) error {
	var rooms [][]int64
	for lo := 1; lo <= k; lo += size {
		rooms = append(rooms, b.users(lo, min(lo+size-1, k)))
	}
	if n := len(rooms); n > 1 && len(rooms[n-1]) == 1 {
		// A room needs a second member: the odd one out joins the last.
		rooms[n-2] = append(rooms[n-2], rooms[n-1]...)
		rooms = rooms[:n-1]
	}
	errs := make([]error, len(rooms))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, members := range rooms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fillRoom(ctx, t, members, hist)
		}()
	}
	wg.Wait()
	return firstErr(errs)
}

func fillRoom(ctx context.Context, t *target, members []int64, hist int) error {
	others, err := t.ids(members[1:])
	if err != nil {
		return err
	}
	c, err := t.dialer.dial(ctx, members[0], nil)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.waitFirst(ctx); err != nil {
		return err
	}
	data := map[string]any{"type": protocol.RoomGroup, "name": "catchup", "participants": others}
	if len(members) > 100 {
		data["extra_fields"] = map[string]any{"max_participants": len(members)}
	}
	room, err := createRoom(ctx, c, data)
	if err != nil {
		return err
	}
	for i := range hist {
		if _, err := c.request(ctx, protocol.EventMessageSend, map[string]any{
			"room_id": room, "content": fmt.Sprintf("history message %d", i+1),
		}); err != nil {
			return err
		}
	}
	return nil
}
