package consumer

import (
	"testing"
	"time"
)

// abusive closes on the n-th refusal within the window, counting a
// sliding window (not fixed windows, which would let 2n-2 through across
// a boundary).
func TestRefusalsAbusive(t *testing.T) {
	start := time.Unix(1000, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name   string
		n      int
		times  []int // ms since start of each refusal
		closes int   // index of the refusal that closes, -1 for none
	}{
		{"never with n 0", 0, []int{0, 0, 0, 0}, -1},
		{"n 1 closes at the first", 1, []int{0}, 0},
		{"the n-th within the window closes", 3, []int{0, 100, 200}, 2},
		{"spread over more than the window stays", 3, []int{0, 600, 1200, 1800, 2400}, -1},
		{"a burst after quiet refusals closes", 3, []int{0, 2000, 4000, 4001, 4002}, 4},
		{"a refusal a window after the first does not count it", 3, []int{0, 900, 1000, 1850}, 3},
	} {
		r := &refusals{}
		got := -1
		for i, ms := range tc.times {
			if r.abusive(at(ms), tc.n, time.Second) {
				got = i
				break
			}
		}
		if got != tc.closes {
			t.Errorf("%s: closed at refusal %d, want %d", tc.name, got, tc.closes)
		}
	}
}

// A user's limiters are shared by their connections and removed with the
// last one; a refused frame takes no token from either limiter.
func TestLimitersShareAndRelease(t *testing.T) {
	l := newLimiters(RateSpec{PerSecond: 1, Burst: 2}, map[string]RateSpec{"message.send": {PerSecond: 1, Burst: 1}, "off": {}})
	a1, a2 := l.acquire(1), l.acquire(1)
	if a1 != a2 || l.count() != 1 {
		t.Fatalf("two connections of a user: %p %p, count %d", a1, a2, l.count())
	}
	if _, ok := a1.events["off"]; ok {
		t.Fatal("a zero event limit made a limiter")
	}
	now := time.Unix(1000, 0)
	if _, ok := a1.take("message.send", now); !ok {
		t.Fatal("first send refused")
	}
	if wait, ok := a2.take("message.send", now); ok || wait < 900*time.Millisecond {
		t.Fatalf("second send: ok %v wait %v, want refused for about 1s", ok, wait)
	}
	// The refused send gave its overall token back: one is left.
	if _, ok := a2.take("session.heartbeat", now); !ok {
		t.Fatal("heartbeat refused: the refused send kept an overall token")
	}
	if _, ok := a1.take("session.heartbeat", now); ok {
		t.Fatal("a third frame passed a burst of 2")
	}
	l.release(1, a1)
	if l.count() != 1 {
		t.Fatal("released with a connection left")
	}
	l.release(1, a2)
	if l.count() != 0 {
		t.Fatal("not released with the last connection")
	}
	if b := l.acquire(1); b == a1 {
		t.Fatal("a returning user got the old limiters")
	}
	if newLimiters(RateSpec{}, nil).acquire(1) != nil {
		t.Fatal("limiters without any limit")
	}
}
