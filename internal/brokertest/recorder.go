package brokertest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/broker"
)

// Recorder collects what a node's broker hands it, for broker tests: pass
// its Handle to Subscribe.
type Recorder struct {
	mu      sync.Mutex // guards got and resyncs
	got     []broker.Message
	resyncs int
}

// Handle records m; it is a broker.Handler. KindResync messages are
// counted apart (Resyncs), not recorded.
func (r *Recorder) Handle(m broker.Message) {
	r.mu.Lock()
	if m.Kind == broker.KindResync {
		r.resyncs++
	} else {
		r.got = append(r.got, m)
	}
	r.mu.Unlock()
}

// Resyncs counts the KindResync messages handed to the recorder.
func (r *Recorder) Resyncs() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resyncs
}

// Snapshot returns what has been recorded so far, in arrival order.
func (r *Recorder) Snapshot() []broker.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// WaitFor polls until at least n messages are recorded and returns them,
// failing the test after 10 seconds.
func (r *Recorder) WaitFor(t testing.TB, n int) []broker.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.Snapshot()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d messages, want %d", len(got), n)
		}
		time.Sleep(time.Millisecond)
	}
}
