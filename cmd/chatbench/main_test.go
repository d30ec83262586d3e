package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
// speed.
func TestTinyRun(t *testing.T) {
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
