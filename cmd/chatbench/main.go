package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is what the flags say.
type config struct {
	scenarios []string
	dbs       []string
	pgDSN     string
	url       string
	// nodes are the node counts each in-process scenario runs at, in
	// order (-nodes 1,2: once on one node, once on two).
	nodes    []int
	redisURL string
	register bool
	userBase int64

	idleConns       int
	fanoutMembers   int
	fanoutMessages  int
	fanoutInterval  time.Duration
	sendSenders     int
	sendRooms       int
	sendDuration    time.Duration
	catchupClients  int
	catchupHistory  int
	catchupRoomSize int
	stormMembers    int
	stormWindow     time.Duration
	redisPublishers int
	redisDuration   time.Duration
	// quiet is how long without a new frame counts as "everything that
	// was coming has arrived".
	quiet time.Duration

	jsonPath   string
	markdown   bool
	cpuProfile string
	memProfile string
	verbose    bool
}

// allScenarios are the scenarios a run without -scenarios runs, in the
// order they run.
var allScenarios = []string{"idle", "fanout", "send", "catchup", "storm"}

// knownScenarios are allScenarios and those that run only when named
// (redis needs a Redis server).
var knownScenarios = append(slices.Clone(allScenarios), "redis")

// defaultPostgres is the DSN used when neither -pg nor RTCHAT_TEST_POSTGRES
// is set.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// defaultRedis is the Redis URL used when neither -redis, REDIS_URL nor
// RTCHAT_TEST_REDIS is set.
const defaultRedis = "redis://127.0.0.1:6379/0"

func defaultConfig() *config {
	pg := os.Getenv("RTCHAT_TEST_POSTGRES")
	if pg == "" {
		pg = defaultPostgres
	}
	rd := os.Getenv("REDIS_URL")
	if rd == "" {
		rd = os.Getenv("RTCHAT_TEST_REDIS")
	}
	if rd == "" {
		rd = defaultRedis
	}
	return &config{
		scenarios: allScenarios, dbs: []string{"sqlite", "postgres"}, pgDSN: pg,
		nodes: []int{1}, redisURL: rd,
		idleConns:     10_000,
		fanoutMembers: 1000, fanoutMessages: 100, fanoutInterval: 20 * time.Millisecond,
		sendSenders: 8, sendDuration: 10 * time.Second,
		catchupClients: 1000, catchupHistory: 50, catchupRoomSize: 10,
		stormMembers: 1000, stormWindow: 3 * time.Second,
		redisPublishers: 8, redisDuration: 5 * time.Second,
		quiet: 2 * time.Second,
	}
}

func parseFlags(args []string) (*config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("chatbench", flag.ContinueOnError)
	scen := fs.String("scenarios", strings.Join(cfg.scenarios, ","), "scenarios to run: "+strings.Join(knownScenarios, ",")+" (redis only when named)")
	dbs := fs.String("dbs", strings.Join(cfg.dbs, ","), "databases to run each scenario on: sqlite,postgres")
	fs.StringVar(&cfg.pgDSN, "pg", cfg.pgDSN, "Postgres DSN (default $RTCHAT_TEST_POSTGRES or "+defaultPostgres+"); each run uses a fresh schema, dropped at the end")
	db := fs.String("db", "", "shorthand for -dbs with one database")
	nodes := fs.String("nodes", "1", "node counts to run each in-process scenario at, e.g. 1,2: N nodes in this process on one database, with a Redis broker when N > 1, load users spread over them round-robin")
	fs.StringVar(&cfg.redisURL, "redis", cfg.redisURL, "Redis URL of the broker with -nodes above 1 and of the redis scenario (default $REDIS_URL, $RTCHAT_TEST_REDIS or "+defaultRedis+"); each run uses a channel prefix of its own")
	fs.StringVar(&cfg.url, "url", "", "ws:// URL of a running server to target instead of the in-process example (runs fanout, send, catchup, storm without their database figures)")
	fs.BoolVar(&cfg.register, "register", false, "with -url: sign load users in through the example app's /api/register and /api/login; without it the token is the user id")
	fs.Int64Var(&cfg.userBase, "user-base", 0, "load user n is user id user-base+n (default 0 in-process, time-based with -url)")
	fs.IntVar(&cfg.idleConns, "idle-conns", cfg.idleConns, "idle: connections")
	fs.IntVar(&cfg.fanoutMembers, "fanout-members", cfg.fanoutMembers, "fanout: members of the channel, sender included")
	fs.IntVar(&cfg.fanoutMessages, "fanout-messages", cfg.fanoutMessages, "fanout: messages sent")
	fs.DurationVar(&cfg.fanoutInterval, "fanout-interval", cfg.fanoutInterval, "fanout: time between sends")
	fs.IntVar(&cfg.sendSenders, "send-senders", cfg.sendSenders, "send: closed-loop senders, each in its own room")
	fs.IntVar(&cfg.sendRooms, "send-rooms", 0, "send: rooms the senders share (0: one per sender; 1: all in one room)")
	fs.DurationVar(&cfg.sendDuration, "send-duration", cfg.sendDuration, "send: how long the loop runs")
	fs.IntVar(&cfg.catchupClients, "catchup-clients", cfg.catchupClients, "catchup: clients reconnecting at once")
	fs.IntVar(&cfg.catchupHistory, "catchup-history", cfg.catchupHistory, "catchup: messages in each room")
	fs.IntVar(&cfg.catchupRoomSize, "catchup-room-size", cfg.catchupRoomSize, "catchup: members per room")
	fs.IntVar(&cfg.stormMembers, "storm-members", cfg.stormMembers, "storm: members of the room")
	fs.DurationVar(&cfg.stormWindow, "storm-window", cfg.stormWindow, "storm: members connect spread evenly over this window")
	fs.IntVar(&cfg.redisPublishers, "redis-publishers", cfg.redisPublishers, "redis: goroutines publishing at once from the publishing node")
	fs.DurationVar(&cfg.redisDuration, "redis-duration", cfg.redisDuration, "redis: how long each publishing phase runs")
	fs.DurationVar(&cfg.quiet, "quiet", cfg.quiet, "how long without a new frame ends a wait for frames still coming")
	fs.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&cfg.markdown, "markdown", false, "print the table as Markdown (as BENCHMARKS.md holds it)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&cfg.memProfile, "memprofile", "", "write a heap profile at the end to this file")
	fs.BoolVar(&cfg.verbose, "v", false, "show the server's logs (warnings and errors are hidden otherwise)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("chatbench: unexpected arguments %q", fs.Args())
	}
	cfg.scenarios = splitList(*scen)
	cfg.dbs = splitList(*dbs)
	var nerr error
	if cfg.nodes, nerr = parseNodes(*nodes); nerr != nil {
		return nil, nerr
	}
	if *db != "" {
		cfg.dbs = []string{*db}
	}
	if cfg.url != "" && cfg.userBase == 0 {
		// Fresh users on a server that may hold earlier runs' rooms.
		cfg.userBase = time.Now().Unix() % 1_000_000 * 100_000
	}
	return cfg, cfg.validate()
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseNodes reads -nodes: distinct node counts from 1 to 8.
func parseNodes(s string) ([]int, error) {
	var out []int
	for _, v := range splitList(s) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 8 || slices.Contains(out, n) {
			return nil, fmt.Errorf("chatbench: -nodes %q: want distinct counts from 1 to 8, e.g. 1,2", s)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("chatbench: -nodes %q: no node count", s)
	}
	return out, nil
}

// multiNode says whether the run names node counts (-nodes other than 1),
// so that figures and tables say at how many nodes each was measured;
// without it the output is as before -nodes existed.
func (c *config) multiNode() bool { return len(c.nodes) != 1 || c.nodes[0] != 1 }

func (c *config) validate() error {
	var errs []error
	if c.url != "" && c.multiNode() {
		errs = append(errs, errors.New("chatbench: -nodes is for the in-process example; with -url the server's own nodes count"))
	}
	if c.redisPublishers < 1 || c.redisDuration <= 0 {
		errs = append(errs, errors.New("chatbench: -redis-publishers and -redis-duration must be positive"))
	}
	for _, s := range c.scenarios {
		if !slices.Contains(knownScenarios, s) {
			errs = append(errs, fmt.Errorf("chatbench: unknown scenario %q", s))
		}
	}
	for _, d := range c.dbs {
		if d != "sqlite" && d != "postgres" {
			errs = append(errs, fmt.Errorf("chatbench: unknown database %q", d))
		}
	}
	if c.idleConns < 1 || c.fanoutMembers < 2 || c.fanoutMessages < 1 || c.sendSenders < 1 ||
		c.catchupClients < 2 || c.catchupHistory < 1 || c.catchupRoomSize < 2 || c.stormMembers < 2 {
		errs = append(errs, errors.New("chatbench: counts must be positive (at least 2 members per room)"))
	}
	if c.fanoutInterval < 0 || c.sendDuration <= 0 || c.stormWindow < 0 || c.quiet <= 0 {
		errs = append(errs, errors.New("chatbench: durations must be positive"))
	}
	return errors.Join(errs...)
}

func main() {
	if os.Getenv(roleEnv) == roleClients {
		os.Exit(clientsMain())
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runMain(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// runMain runs the benchmark with profiles and output as the flags ask.
func runMain(ctx context.Context, cfg *config, out, progress io.Writer) error {
	level := slog.LevelError + 4 // the server's expected complaints (4008 closes) would bury the table
	if cfg.verbose {
		level = slog.LevelInfo
	}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: level})))
	defer slog.SetDefault(prev)
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := run(ctx, cfg, progress)
	if rep != nil {
		if cfg.markdown {
			rep.writeMarkdown(out)
		} else {
			rep.writeText(out)
		}
		if cfg.jsonPath != "" {
			err = errors.Join(err, rep.writeJSON(cfg.jsonPath))
		}
	}
	if cfg.memProfile != "" {
		f, ferr := os.Create(cfg.memProfile)
		if ferr != nil {
			return errors.Join(err, ferr)
		}
		defer f.Close()
		runtime.GC()
		err = errors.Join(err, pprof.WriteHeapProfile(f))
	}
	return err
}
