package main

import (
	"context"
	"time"
)

// Figure names of the idle scenario.
const (
	figHeapPerConn = "heap per connection"
	figRSSPerConn  = "RSS per connection"
	figGoPerConn   = "goroutines per connection"
)

// runIdle holds cfg.idleConns authenticated idle connections to the chat
// (opened by a child process) and measures what they cost the server.
func runIdle(ctx context.Context, b *bench, t *target) ([]figure, error) {
	n := b.cfg.idleConns
	a := clientsArgs{URL: t.dialer.url, URLs: t.dialer.urls, Base: t.dialer.base, First: b.user(1), N: n, Auth: true}
	d, err := measureIdle(ctx, b, a, t.conns)
	if err != nil {
		return nil, err
	}
	return d.figures("idle", t.kind, n), nil
}

// idleBaseline is the same on a bare melody server.
func idleBaseline(ctx context.Context, b *bench) (string, map[string]float64, error) {
	mel, err := startMelody(melodyIdle)
	if err != nil {
		return "", nil, err
	}
	defer mel.stop()
	n := b.cfg.idleConns
	d, err := measureIdle(ctx, b, clientsArgs{URL: mel.url, First: 1, N: n}, mel.m.Len)
	if err != nil {
		return "", nil, err
	}
	values := map[string]float64{}
	for _, f := range d.figures("idle", "", n) {
		values[f.Name] = f.Value
	}
	return "bare melody", values, nil
}

// idleDelta is the server's growth while holding the connections.
type idleDelta struct{ before, after memSample }

func (d idleDelta) figures(scenario, kind string, n int) []figure {
	per := func(a, b uint64) float64 { return (float64(b) - float64(a)) / float64(n) / 1024 }
	return []figure{
		{Scenario: scenario, DB: kind, Name: figHeapPerConn, Unit: "KB", Value: per(d.before.heapInuse, d.after.heapInuse)},
		{Scenario: scenario, DB: kind, Name: figRSSPerConn, Unit: "KB", Value: per(d.before.rss, d.after.rss)},
		{Scenario: scenario, DB: kind, Name: figGoPerConn, Value: float64(d.after.goroutines-d.before.goroutines) / float64(n)},
	}
}

// measureIdle samples this process, has a child process open a.N
// connections, waits until the server counts them all (count), samples
// again, and closes them.
func measureIdle(ctx context.Context, b *bench, a clientsArgs, count func() int) (idleDelta, error) {
	var d idleDelta
	settleGoroutines(b.cfg.quiet/2, 5*time.Second)
	d.before = sampleMemory()
	p, err := startClients(ctx, a)
	if err != nil {
		return d, err
	}
	err = waitFor(ctx, 5*time.Minute, "server holds every connection", func() bool { return count() >= a.N })
	if err == nil {
		// Registration goes on after the server counts a connection
		// (session row, notifications): let it finish.
		settleGoroutines(b.cfg.quiet/2, 10*time.Second)
		d.after = sampleMemory()
		b.logf("idle: %d connections: heap %+d KB, RSS %+d KB, goroutines %+d", a.N,
			(int64(d.after.heapInuse)-int64(d.before.heapInuse))/1024, (int64(d.after.rss)-int64(d.before.rss))/1024,
			d.after.goroutines-d.before.goroutines)
	}
	if serr := p.stop(); err == nil && serr != nil {
		err = serr
	}
	if err == nil {
		err = waitFor(ctx, 2*time.Minute, "server lets every connection go", func() bool { return count() == 0 })
	}
	return d, err
}
