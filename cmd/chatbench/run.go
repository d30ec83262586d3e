package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// bench is one run: the configuration, where progress goes, and what the
// scenarios pass to their baselines.
type bench struct {
	cfg      *config
	progress io.Writer
	rep      *report
	// fanoutFrame is the size of the message.dispatch frame rtchat's
	// fan-out delivered, so the melody baseline broadcasts as many bytes.
	fanoutFrame int
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "chatbench %6.1fs: "+format+"\n", append([]any{time.Since(b.rep.Started).Seconds()}, args...)...)
}

func (b *bench) note(format string, args ...any) {
	b.rep.Notes = append(b.rep.Notes, fmt.Sprintf(format, args...))
}

// user returns load user n (1-based).
func (b *bench) user(n int) int64 { return b.cfg.userBase + int64(n) }

// users returns load users lo..hi.
func (b *bench) users(lo, hi int) []int64 {
	out := make([]int64, 0, max(0, hi-lo+1))
	for n := lo; n <= hi; n++ {
		out = append(out, b.user(n))
	}
	return out
}

// scenario is one of the benchmark's scenarios.
type scenario struct {
	// users is how many example users the scenario needs.
	users func(*config) int
	// localOnly scenarios measure the server process itself, so they
	// cannot run against -url.
	localOnly bool
	// standalone scenarios need no chat: they run once, with a nil
	// target, whatever -dbs, -nodes and -url say.
	standalone bool
	run        func(ctx context.Context, b *bench, t *target) ([]figure, error)
	// baseline, if set, measures the baseline once after the runs on every
	// database, and returns its value for each figure name.
	baseline func(ctx context.Context, b *bench) (name string, values map[string]float64, err error)
}

var scenarios = map[string]scenario{
	"idle":    {users: func(c *config) int { return c.idleConns }, localOnly: true, run: runIdle, baseline: idleBaseline},
	"fanout":  {users: func(c *config) int { return c.fanoutMembers }, run: runFanout, baseline: fanoutBaseline},
	"send":    {users: func(c *config) int { return 2 * c.sendSenders }, run: runSend},
	"catchup": {users: func(c *config) int { return c.catchupClients }, run: runCatchup, baseline: catchupBaseline},
	"storm":   {users: func(c *config) int { return c.stormMembers }, run: runStorm},
	"redis":   {standalone: true, run: runRedis, baseline: redisBaseline},
}

// run runs the configured scenarios and returns the report, which holds
// what was measured even when a scenario failed.
func run(ctx context.Context, cfg *config, progress io.Writer) (*report, error) {
	start := time.Now()
	b := &bench{cfg: cfg, progress: progress, rep: &report{
		Started: start, Machine: describeMachine(), Target: "in-process example chat",
		Config: map[string]any{
			"scenarios": cfg.scenarios, "dbs": cfg.dbs,
			"idle_conns": cfg.idleConns, "fanout_members": cfg.fanoutMembers, "fanout_messages": cfg.fanoutMessages,
			"fanout_interval": cfg.fanoutInterval.String(), "send_senders": cfg.sendSenders, "send_duration": cfg.sendDuration.String(),
			"catchup_clients": cfg.catchupClients, "catchup_history": cfg.catchupHistory, "catchup_room_size": cfg.catchupRoomSize,
			"storm_members": cfg.stormMembers, "storm_window": cfg.stormWindow.String(),
		},
	}}
	if cfg.url != "" {
		b.rep.Target = cfg.url
	}
	if cfg.multiNode() {
		b.rep.Config["nodes"] = cfg.nodes
		b.rep.Config["redis"] = cfg.redisURL
		b.rep.Target = fmt.Sprintf("in-process example chat at %s each (nodes in this one process on one database, Redis broker at %s; memory and goroutines are per process)",
			joinCounts(cfg.nodes), cfg.redisURL)
	}
	if n, err := raiseFileLimit(); err != nil {
		b.note("could not raise the open-files limit: %v", err)
	} else {
		b.logf("open-files limit %d", n)
	}
	var errs []error
	for _, name := range cfg.scenarios {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		figs, err := b.runScenario(ctx, name, scenarios[name])
		b.rep.Figures = append(b.rep.Figures, figs...)
		if err != nil {
			b.note("%s: %v", name, err)
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	b.rep.Duration = time.Since(start).Round(time.Second).String()
	return b.rep, errors.Join(errs...)
}

func (b *bench) runScenario(ctx context.Context, name string, sc scenario) ([]figure, error) {
	var figs []figure
	var errs []error
	switch {
	case sc.standalone:
		b.logf("%s", name)
		f, err := sc.run(ctx, b, nil)
		figs = append(figs, f...)
		errs = append(errs, err)
	case b.cfg.url != "":
		if sc.localOnly {
			b.note("%s: skipped: it measures the server's own process, which -url does not reach", name)
			return nil, nil
		}
		t, err := startRemote(b.cfg)
		if err != nil {
			return nil, err
		}
		b.logf("%s on %s", name, b.cfg.url)
		f, err := sc.run(ctx, b, t)
		figs = append(figs, f...)
		errs = append(errs, err)
	default:
		for _, kind := range b.cfg.dbs {
			var runs [][]figure
			for _, n := range b.cfg.nodes {
				f, err := b.runLocal(ctx, name, sc, kind, n)
				runs = append(runs, f)
				errs = append(errs, err)
			}
			figs = append(figs, besideOneNode(runs)...)
		}
	}
	if sc.baseline != nil && ctx.Err() == nil {
		b.logf("%s baseline", name)
		bname, values, err := sc.baseline(ctx, b)
		if err != nil {
			errs = append(errs, fmt.Errorf("baseline: %w", err))
		}
		for i, f := range figs {
			if v, ok := values[f.Name]; ok && f.Baseline == nil {
				figs[i] = f.withBaseline(bname, v)
			}
		}
	}
	return figs, errors.Join(errs...)
}

// runLocal runs sc on a fresh in-process target of kind at n nodes.
func (b *bench) runLocal(ctx context.Context, name string, sc scenario, kind string, n int) ([]figure, error) {
	label := kind
	if b.cfg.multiNode() {
		label += ", " + nodeCount(n)
	}
	b.logf("%s on %s", name, label)
	t, err := startLocal(ctx, b.cfg, kind, sc.users(b.cfg), n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	figs, err := sc.run(ctx, b, t)
	if err != nil {
		err = fmt.Errorf("%s: %w", t.name, err)
	}
	if b.cfg.multiNode() {
		for i := range figs {
			figs[i].Nodes = n
		}
	}
	if cerr := t.close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("%s: close: %w", t.name, cerr))
	}
	return figs, err
}

// besideOneNode merges the figures of one scenario and database measured
// at several node counts so that each figure's lines follow each other,
// in the order of the first run, and gives every figure measured at more
// than one node its ratio to the same figure at one node.
func besideOneNode(runs [][]figure) []figure {
	if len(runs) == 1 {
		return runs[0]
	}
	var names []string
	byName := map[string][]figure{}
	for _, run := range runs {
		for _, f := range run {
			if _, ok := byName[f.Name]; !ok {
				names = append(names, f.Name)
			}
			byName[f.Name] = append(byName[f.Name], f)
		}
	}
	var out []figure
	for _, name := range names {
		fs := byName[name]
		var one *figure
		for i := range fs {
			if fs[i].Nodes == 1 {
				one = &fs[i]
			}
		}
		for _, f := range fs {
			if one != nil && f.Nodes > 1 && one.Value != 0 {
				r := f.Value / one.Value
				f.VsOneNode = &r
			}
			out = append(out, f)
		}
	}
	return out
}

// joinCounts prints node counts as "1 node and 2 nodes".
func joinCounts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = nodeCount(n)
	}
	return strings.Join(parts, " and ")
}

// waitFor polls cond every 20 ms until it holds, ctx ends or max passes.
func waitFor(ctx context.Context, max time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(max)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("chatbench: %s: not after %v", what, max)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// waitQuietOr waits until count reaches target (never, if target < 0), or
// has not moved for quiet, or max has passed: how the benchmark knows that
// the frames still coming have arrived without knowing how many will.
func waitQuietOr(ctx context.Context, quiet, max time.Duration, count func() int64, target int64) {
	deadline := time.Now().Add(max)
	last, since := count(), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil && (target < 0 || last < target) {
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
		if n := count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}
