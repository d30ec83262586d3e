package main

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine describes where the figures were measured.
type machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryMB int64  `json:"memory_mb"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute averages when the run
	// started: other work on the machine shows in every figure.
	LoadAvg string `json:"load_avg"`
}

func describeMachine() machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		m.MemoryMB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file, or "".
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// connection is a file, and the usual soft limit of 1,024 is far below the
// idle scenario's 10,000.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return lim.Cur, nil
}

// memSample is the process's memory and goroutines at one moment.
type memSample struct {
	heapInuse  uint64 // runtime.MemStats.HeapInuse after a GC
	rss        uint64 // VmRSS, bytes
	goroutines int
}

// sampleMemory collects garbage and returns freed memory to the OS first,
// so that what remains is what is held.
func sampleMemory() memSample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memSample{heapInuse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
	if v := procField("/proc/self/status", "VmRSS"); v != "" {
		kb, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
		s.rss = kb * 1024
	}
	return s
}

// settleGoroutines waits until the goroutine count has not moved for
// stable, or max has passed.
func settleGoroutines(stable, max time.Duration) {
	deadline := time.Now().Add(max)
	last, since := runtime.NumGoroutine(), time.Now()
	for time.Now().Before(deadline) && time.Since(since) < stable {
		time.Sleep(stable / 10)
		if n := runtime.NumGoroutine(); n != last {
			last, since = n, time.Now()
		}
	}
}
