package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/redistest"
)

// TestMain lets the test binary play the idle scenario's clients process,
// which chatbench starts by re-executing itself.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == roleClients {
		os.Exit(clientsMain())
	}
	os.Exit(m.Run())
}

// tinyConfig is every scenario at a size that runs in seconds under -race.
func tinyConfig(kind string) *config {
	cfg := defaultConfig()
	cfg.dbs = []string{kind}
	cfg.idleConns = 10
	cfg.fanoutMembers, cfg.fanoutMessages, cfg.fanoutInterval = 10, 3, 5*time.Millisecond
	cfg.sendSenders, cfg.sendDuration = 2, 200*time.Millisecond
	cfg.catchupClients, cfg.catchupHistory, cfg.catchupRoomSize = 10, 2, 5
	cfg.stormMembers, cfg.stormWindow = 10, 100*time.Millisecond
	cfg.quiet = 200 * time.Millisecond
	return cfg
}

// TestTinyRun runs every scenario end to end on each database and checks
// that each produced its figures with sane values; it asserts nothing about
// speed. Its two-nodes case runs them at one node and at two nodes on a
// real Redis, with the redis scenario.
func TestTinyRun(t *testing.T) {
	t.Run("two-nodes", testTinyTwoNodes)
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			cfg := tinyConfig(kind)
			if kind == "postgres" {
				cfg.pgDSN = os.Getenv("RTCHAT_TEST_POSTGRES")
				if cfg.pgDSN == "" {
					if os.Getenv("CI") != "" {
						t.Fatal("RTCHAT_TEST_POSTGRES is not set under CI: the Postgres run must happen")
					}
					t.Skip("set RTCHAT_TEST_POSTGRES to run on Postgres")
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var progress bytes.Buffer
			rep, err := run(ctx, cfg, &progress)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, progress.String())
			}
			if testing.Verbose() {
				t.Log(progress.String())
			}
			got := map[string]figure{}
			for _, f := range rep.Figures {
				if f.DB != kind {
					t.Errorf("%s %q measured on %q", f.Scenario, f.Name, f.DB)
				}
				if f.Nodes != 0 || f.VsOneNode != nil {
					t.Errorf("%s %q has a node count without -nodes", f.Scenario, f.Name)
				}
				got[f.Scenario+"/"+f.Name] = f
			}
			expected := float64(cfg.fanoutMessages * (cfg.fanoutMembers - 1))
			checks := []struct {
				figure   string
				sane     func(v float64) bool
				baseline bool
			}{
				{"idle/" + figGoPerConn, func(v float64) bool { return v > 0 }, true},
				{"idle/" + figHeapPerConn, func(v float64) bool { return v != 0 }, true},
				{"fanout/" + figFanP50, func(v float64) bool { return v > 0 }, true},
				{"fanout/" + figFanLost, func(v float64) bool { return v >= 0 && v < expected }, true},
				{"send/" + figSendRate, func(v float64) bool { return v > 0 }, true},
				{"send/" + figSendP99, func(v float64) bool { return v > 0 }, true},
				{"catchup/" + figCatchTotal, func(v float64) bool { return v > 0 }, true},
				{"catchup/" + figCatchQueries, func(v float64) bool { return v > 0 }, false},
				{"storm/" + figStormMean, func(v float64) bool { return v >= 0 }, false},
				{"storm/" + figStormClosed, func(v float64) bool { return v >= 0 && v <= float64(cfg.stormMembers) }, false},
			}
			for _, c := range checks {
				f, ok := got[c.figure]
				switch {
				case !ok:
					t.Errorf("no figure %q", c.figure)
				case !c.sane(f.Value):
					t.Errorf("%s = %v: not a sane value", c.figure, f.Value)
				case c.baseline && (f.Baseline == nil || f.BaselineName == ""):
					t.Errorf("%s has no baseline", c.figure)
				}
			}

			var md bytes.Buffer
			rep.writeMarkdown(&md)
			if !strings.Contains(md.String(), "| scenario | figure | db |") || !strings.Contains(md.String(), rep.Machine.CPU) {
				t.Errorf("Markdown table:\n%s", md.String())
			}
			path := filepath.Join(t.TempDir(), "out.json")
			if err := rep.writeJSON(path); err != nil {
				t.Fatal(err)
			}
			var back report
			if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &back) != nil || len(back.Figures) != len(rep.Figures) {
				t.Errorf("JSON output does not read back: %v", err)
			}
		})
	}
}

// testTinyTwoNodes runs every scenario at one and at two nodes (-nodes 1,2)
// on SQLite, and on Postgres when RTCHAT_TEST_POSTGRES is set, with the
// broker on the Redis of RTCHAT_TEST_REDIS (skipped without it, failed
// under CI), plus the redis scenario. Every member of the fan-out gets
// every message at two nodes too, so delivery crossed Redis both ways.
func testTinyTwoNodes(t *testing.T) {
	cfg := tinyConfig("sqlite")
	cfg.redisURL = redistest.URL(t)
	if pg := os.Getenv("RTCHAT_TEST_POSTGRES"); pg != "" {
		cfg.dbs, cfg.pgDSN = append(cfg.dbs, "postgres"), pg
	}
	cfg.nodes = []int{1, 2}
	cfg.scenarios = append(slices.Clone(allScenarios), "redis")
	cfg.redisPublishers, cfg.redisDuration = 2, 200*time.Millisecond
	// Long enough that a fan-out message still on its way through Redis
	// under -race is waited for, so that lost can be asked to be 0.
	cfg.quiet = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := run(ctx, cfg, &progress)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	if testing.Verbose() {
		t.Log(progress.String())
	}
	got := map[string]figure{}
	for _, f := range rep.Figures {
		got[fmt.Sprintf("%s/%s/%s/%d", f.Scenario, f.DB, f.Name, f.Nodes)] = f
	}
	for _, kind := range cfg.dbs {
		for _, sc := range allScenarios {
			one := 0
			for _, f := range rep.Figures {
				if f.Scenario != sc || f.DB != kind || f.Nodes != 1 {
					continue
				}
				one++
				two, ok := got[fmt.Sprintf("%s/%s/%s/2", sc, kind, f.Name)]
				switch {
				case !ok:
					t.Errorf("%s on %s: %q at 1 node but not at 2", sc, kind, f.Name)
				case f.Value != 0 && two.VsOneNode == nil:
					t.Errorf("%s on %s: %q at 2 nodes has no ratio to 1 node", sc, kind, f.Name)
				}
			}
			if one == 0 {
				t.Errorf("%s on %s: no figure at 1 node", sc, kind)
			}
		}
		for _, n := range cfg.nodes {
			key := func(sc, name string) string { return fmt.Sprintf("%s/%s/%s/%d", sc, kind, name, n) }
			if f := got[key("fanout", figFanLost)]; f.Value != 0 {
				t.Errorf("fanout on %s at %d nodes: %v messages lost", kind, n, f.Value)
			}
			if f := got[key("fanout", figFanP50)]; !(f.Value > 0) {
				t.Errorf("fanout on %s at %d nodes: p50 %v", kind, n, f.Value)
			}
			if f := got[key("send", figSendRate)]; !(f.Value > 0) || f.Baseline == nil {
				t.Errorf("send on %s at %d nodes: %v stored sends/s, baseline %v", kind, n, f.Value, f.Baseline)
			}
			if f := got[key("idle", figGoPerConn)]; !(f.Value > 0) {
				t.Errorf("idle on %s at %d nodes: %v goroutines per connection", kind, n, f.Value)
			}
		}
	}
	for _, name := range []string{figRedisRate, figRedisDecode, figRedisPayload} {
		if f := got["redis/redis/"+name+"/0"]; !(f.Value > 0) {
			t.Errorf("redis: %s = %v", name, f.Value)
		}
	}
	if f := got["redis/redis/"+figRedisRate+"/0"]; f.Baseline == nil {
		t.Errorf("redis: %s has no baseline", figRedisRate)
	}
	var md bytes.Buffer
	rep.writeMarkdown(&md)
	if !strings.Contains(md.String(), "| vs 1 node |") || !strings.Contains(md.String(), "| sqlite, 2 nodes |") {
		t.Errorf("Markdown table:\n%s", md.String())
	}
}
