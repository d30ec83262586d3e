package rtchat_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/olahol/melody"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// BenchmarkIdleMemory reports the server's memory per idle connection: heap
// and goroutine stacks in use (after a few collections) with N authenticated connections
// open, minus the same before they opened, divided by N; and goroutines per
// connection. The clients run in a child process (this test binary again,
// see TestIdleHolder), so only the server's memory is counted. The baseline
// is a bare melody server (its defaults) holding the same connections,
// measured the same way in the same run. Timing means nothing here:
//
//	go test -run '^$' -bench IdleMemory -benchtime 1x .
//
// RTCHAT_IDLE_CONNS sets N (default 2,000); RTCHAT_IDLE_HEAPPROFILE=path
// writes a heap profile of each case while its connections are open
// (path.<case>), for `go tool pprof -top -sample_index=inuse_space`.
//
// Figures on the 2-core development machine, 2,000 connections, one run,
// KB per connection (heap + stacks = total):
//
//	                        before (4 KiB read and write buffers)   after (pooled write buffer, net/http's read buffer)
//	bare melody (baseline)  28.9 + 8.0 = 36.8                       28.8 + 8.0 = 36.8
//	rtchat SQLite           40.0 + 11.8 = 51.7 (1.40x)              30.7 + 11.8 = 42.4 (1.15x)
//	rtchat Postgres         42.2 + 11.6 = 53.8 (1.46x)              31.7 + 11.4 = 43.0 (1.17x)
//
// Then the connect work moved to a goroutine of its own (consumer.onConnect),
// so the read goroutine no longer keeps the stack that the queries grew:
// rtchat SQLite 31.8 + 7.8 = 39.6 KB (1.08x) against melody 28.8 + 8.0 = 36.8.
//
// What is left above the baseline: 2 to 3 KB of heap (melody's Keys map, Conn, the index and
// presence entries, the request copy that carries the user). Both sides
// include melody's own 12 KB send channel (256 slots of 48 bytes,
// WithSendBuffer). The 26.8 KB for bare melody was measured another
// way (RSS, 10,000 connections); compare the ratios.
func BenchmarkIdleMemory(b *testing.B) {
	n := 2000
	if s := os.Getenv("RTCHAT_IDLE_CONNS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("melody", func(b *testing.B) {
		m := melody.New()
		m.HandleConnect(func(s *melody.Session) { _ = s.Write([]byte(`{"eventType":"chat.notifications","data":{}}`)) })
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = m.HandleRequest(w, r) }))
		defer srv.Close()
		defer m.Close()
		measureIdle(b, "ws"+strings.TrimPrefix(srv.URL, "http"), n)
	})
	for _, kind := range dbtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			h := newHarness(b, dbtest.Open(b, kind))
			measureIdle(b, h.url, n)
		})
	}
}

// measureIdle opens n connections to url from a child process, measures,
// and closes them.
func measureIdle(b *testing.B, url string, n int) {
	for b.Loop() {
		// One measurement: the loop is only there to satisfy the
		// benchmark protocol.
		before := serverMemory()
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleHolder$", "-test.count=1")
		cmd.Env = append(os.Environ(), "RTCHAT_IDLE_HOLD_URL="+url, "RTCHAT_IDLE_HOLD_N="+strconv.Itoa(n))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		ready := false
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready = true
				break
			}
		}
		if !ready {
			_ = cmd.Wait()
			b.Fatal("the client process ended before its connections were open")
		}
		after := serverMemory()
		if path := os.Getenv("RTCHAT_IDLE_HEAPPROFILE"); path != "" {
			writeHeapProfile(b, path+"."+strings.ReplaceAll(b.Name(), "/", "_"))
		}
		_ = stdin.Close() // the child closes its connections and exits
		if err := cmd.Wait(); err != nil {
			b.Fatalf("client process: %v", err)
		}
		kb := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) / 1024 }
		heap, stack := kb(after.heap, before.heap), kb(after.stack, before.stack)
		goroutines := float64(after.goroutines-before.goroutines) / float64(n)
		b.ReportMetric(heap+stack, "KB/conn")
		b.ReportMetric(heap, "heapKB/conn")
		b.ReportMetric(stack, "stackKB/conn")
		b.ReportMetric(goroutines, "goroutines/conn")
		b.Logf("%d idle connections: %.1f KB each (heap %.1f + stacks %.1f), %.2f goroutines each", n, heap+stack, heap, stack, goroutines)
	}
}

type memSample struct {
	heap, stack uint64
	goroutines  int
}

// serverMemory returns the heap and stacks in use after a few collections
// (they also shrink the stacks that grew while a connection was set up).
func serverMemory() memSample {
	var ms runtime.MemStats
	for range 12 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return memSample{heap: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// TestIdleHolder is BenchmarkIdleMemory's client process, not a test of its
// own: without RTCHAT_IDLE_HOLD_URL it skips. It opens RTCHAT_IDLE_HOLD_N
// connections (users 1 to N) to that URL, waits for each one's first frame,
// prints "ready", keeps reading (so pings are answered) until its stdin
// closes, and then closes them.
func TestIdleHolder(t *testing.T) {
	url := os.Getenv("RTCHAT_IDLE_HOLD_URL")
	if url == "" {
		t.Skip("the client side of BenchmarkIdleMemory")
	}
	n, err := strconv.Atoi(os.Getenv("RTCHAT_IDLE_HOLD_N"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conns := make([]*client.Client, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range n {
		c, err := client.Dial(ctx, url, client.WithToken(strconv.Itoa(i+1)))
		if err != nil {
			t.Fatalf("dial %d: %v", i+1, err)
		}
		conns = append(conns, c)
		if _, err := c.Next(ctx, protocol.DispatchNotifications); err != nil {
			t.Fatalf("connection %d: no first frame: %v", i+1, err)
		}
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
}
