package presence

import (
	"context"
	"sync"
	"testing"
)

func TestMemoryFirstAndLast(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	steps := []struct {
		name     string
		connect  bool
		user     int64
		conn     string
		want     bool // first for Connect, last for Disconnect
		online   []int64
		offline  []int64
		numUsers int
	}{
		{"first connection comes online", true, 1, "a", true, []int64{1}, []int64{2}, 1},
		{"second device is not first", true, 1, "b", false, []int64{1}, nil, 1},
		{"same connection twice is not first", true, 1, "b", false, []int64{1}, nil, 1},
		{"other user is independent", true, 2, "c", true, []int64{1, 2}, nil, 2},
		{"closing one of two is not last", false, 1, "a", false, []int64{1}, nil, 2},
		{"unknown connection is not last", false, 1, "zzz", false, []int64{1}, nil, 2},
		{"closing the last goes offline", false, 1, "b", true, []int64{2}, []int64{1}, 1},
		{"closing again is not last", false, 1, "b", false, nil, []int64{1}, 1},
		{"last user leaves", false, 2, "c", true, nil, []int64{1, 2}, 0},
	}
	for _, s := range steps {
		var got bool
		var err error
		if s.connect {
			got, err = m.Connect(ctx, s.user, s.conn, 0)
		} else {
			got, err = m.Disconnect(ctx, s.user, s.conn)
		}
		if err != nil || got != s.want {
			t.Fatalf("%s: got %v (%v), want %v", s.name, got, err, s.want)
		}
		on, err := m.Online(ctx, append(append([]int64{}, s.online...), s.offline...))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range s.online {
			if !on[u] {
				t.Fatalf("%s: user %d not online", s.name, u)
			}
		}
		for _, u := range s.offline {
			if _, has := on[u]; has {
				t.Fatalf("%s: user %d reported, want left out", s.name, u)
			}
		}
		if n := m.Len(); n != s.numUsers {
			t.Fatalf("%s: %d users held, want %d", s.name, n, s.numUsers)
		}
	}
}

func TestMemoryConcurrentDevicesComeOnlineOnce(t *testing.T) {
	ctx := context.Background()
	var m Memory // the zero value works
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts, lasts := 0, 0
	for i := range 50 {
		wg.Go(func() {
			id := string(rune('A' + i))
			first, _ := m.Connect(ctx, 7, id, 0)
			last, _ := m.Disconnect(ctx, 7, id)
			mu.Lock()
			defer mu.Unlock()
			if first {
				firsts++
			}
			if last {
				lasts++
			}
		})
	}
	wg.Wait()
	if firsts != lasts || firsts < 1 {
		t.Fatalf("firsts %d, lasts %d: every online must be matched by one offline", firsts, lasts)
	}
	if m.Len() != 0 {
		t.Fatalf("%d users held after every connection closed", m.Len())
	}
}

func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	steps := []struct {
		name  string
		conn  string
		limit int
		first bool
		err   error
	}{
		{"first under the limit", "a", 2, true, nil},
		{"second reaches the limit", "b", 2, false, nil},
		{"third is refused", "c", 2, false, ErrLimit},
		{"a connection already recorded is not refused", "a", 2, false, nil},
		{"no limit admits it", "c", 0, false, nil},
		{"a lower limit refuses the next", "d", 1, false, ErrLimit},
	}
	for _, s := range steps {
		first, err := m.Connect(ctx, 1, s.conn, s.limit)
		if first != s.first || err != s.err {
			t.Fatalf("%s: got %v, %v; want %v, %v", s.name, first, err, s.first, s.err)
		}
	}
	for _, c := range []string{"a", "b", "c"} {
		if _, err := m.Disconnect(ctx, 1, c); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 0 {
		t.Fatalf("refused connections were recorded: %d users held", m.Len())
	}
	if _, err := m.Connect(ctx, 2, "x", 1); err != nil {
		t.Fatalf("limit 1 refused a user's only connection: %v", err)
	}
}
