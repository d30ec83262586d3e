package exampleapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/dbtest"
	"golang.org/x/crypto/bcrypt"
)

// testApp is an App on a fresh database of kind with its routes served by
// httptest; its clock is the fake one.
type testApp struct {
	*App
	url   string
	clock *fakeClock
}

// fakeClock is the throttle's clock, moved by the test instead of waiting a
// window out.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testConfig is a Config on a fresh database of kind, at bcrypt's cheapest
// cost.
func testConfig(tb testing.TB, kind string) Config {
	tb.Helper()
	cfg := Config{JWTSecret: "exampleapp test", PasswordCost: bcrypt.MinCost}
	switch kind {
	case "sqlite":
		cfg.SQLitePath = filepath.Join(tb.TempDir(), "example.db")
	case "postgres":
		cfg.DatabaseURL = dbtest.PostgresDSN(tb)
	default:
		tb.Fatalf("unknown database kind %q", kind)
	}
	return cfg
}

// startApp builds an App for cfg and serves its routes until the end of the
// test.
func startApp(tb testing.TB, cfg Config) *testApp {
	tb.Helper()
	app, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = app.Close() })
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	app.logins.now = clock.Now
	mux := http.NewServeMux()
	for _, r := range app.Routes() {
		mux.HandleFunc(r.Method+" "+r.Path, r.Handler)
	}
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return &testApp{App: app, url: srv.URL, clock: clock}
}

// eachKind runs fn on SQLite and on Postgres (skipped without
// RTCHAT_TEST_POSTGRES outside CI).
func eachKind(t *testing.T, fn func(t *testing.T, kind string)) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, kind)
		})
	}
}

// post posts {username, password} to path with extra headers and returns
// the status and the Retry-After header.
func (a *testApp) post(tb testing.TB, path, username, password string, header http.Header) (int, string) {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequest(http.MethodPost, a.url+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("Retry-After")
}

func (a *testApp) login(tb testing.TB, username, password string, header http.Header) (int, string) {
	tb.Helper()
	return a.post(tb, "/api/login", username, password, header)
}

func (a *testApp) register(tb testing.TB, username, password string) {
	tb.Helper()
	if status, _ := a.post(tb, "/api/register", username, password, nil); status != http.StatusCreated {
		tb.Fatalf("register %s: HTTP %d, want 201", username, status)
	}
}

func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// TestLoginThrottlePerAccount guesses a password 100 times, then gives the
// right one: the guesses past the limit answer 429, and so does the right
// password until Retry-After has passed.
func TestLoginThrottlePerAccount(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		cfg := testConfig(t, kind)
		cfg.LoginAccountLimit = 5
		cfg.LoginAddressLimit = -1 // off: this is about the account
		cfg.LoginWindow = 15 * time.Minute
		a := startApp(t, cfg)
		a.register(t, "victim", "right-password")
		a.register(t, "bystander", "bystander-password")

		for i := 1; i <= 100; i++ {
			name := "victim"
			if i%2 == 0 {
				name = "VicTim" // the same account: logins ignore case
			}
			status, retry := a.login(t, name, fmt.Sprintf("guess-%d", i), nil)
			switch {
			case i <= cfg.LoginAccountLimit && status != http.StatusUnauthorized:
				t.Fatalf("guess %d: HTTP %d, want 401 within the limit", i, status)
			case i > cfg.LoginAccountLimit && status != http.StatusTooManyRequests:
				t.Fatalf("guess %d: HTTP %d, want 429 past the limit of %d", i, status, cfg.LoginAccountLimit)
			case i > cfg.LoginAccountLimit && retry != "180":
				// An attempt comes back every window/limit = 3 minutes.
				t.Fatalf("guess %d: Retry-After %q, want 180", i, retry)
			}
		}
		if status, _ := a.login(t, "victim", "right-password", nil); status != http.StatusTooManyRequests {
			t.Fatalf("the right password after 100 guesses: HTTP %d, want 429", status)
		}
		if status, _ := a.login(t, "bystander", "bystander-password", nil); status != http.StatusOK {
			t.Fatalf("another account from the same address: HTTP %d, want 200", status)
		}
		a.clock.Add(179 * time.Second)
		if status, retry := a.login(t, "victim", "right-password", nil); status != http.StatusTooManyRequests || retry != "1" {
			t.Fatalf("the right password a second early: HTTP %d Retry-After %q, want 429 and 1", status, retry)
		}
		a.clock.Add(time.Second)
		if status, _ := a.login(t, "victim", "right-password", nil); status != http.StatusOK {
			t.Fatalf("the right password once Retry-After passed: HTTP %d, want 200", status)
		}
		// A whole window without attempts gives them all back.
		a.clock.Add(cfg.LoginWindow)
		for i := 1; i <= cfg.LoginAccountLimit; i++ {
			if status, _ := a.login(t, "victim", "wrong", nil); status != http.StatusUnauthorized {
				t.Fatalf("guess %d after a quiet window: HTTP %d, want 401", i, status)
			}
		}
	})
}

// TestLoginThrottlePerAddress spreads guesses over many usernames from one
// address: past the address's limit every login from it answers 429, while
// other addresses still log in.
func TestLoginThrottlePerAddress(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		cfg := testConfig(t, kind)
		cfg.LoginAddressLimit = 4
		cfg.TrustProxy = true
		a := startApp(t, cfg)
		a.register(t, "real", "real-password")

		attacker := "203.0.113.7"
		for i := 1; i <= cfg.LoginAddressLimit; i++ {
			if status, _ := a.login(t, fmt.Sprintf("name%d", i), "guess", from(attacker)); status != http.StatusUnauthorized {
				t.Fatalf("guess %d: HTTP %d, want 401", i, status)
			}
		}
		cases := []struct {
			name, user, password string
			header               http.Header
			want                 int
		}{
			{"another name from the address", "name99", "guess", from(attacker), http.StatusTooManyRequests},
			{"a right password from the address", "real", "real-password", from(attacker), http.StatusTooManyRequests},
			{"a forged first hop before the address", "real", "real-password", from("198.51.100.1, " + attacker), http.StatusTooManyRequests},
			{"the address in a second header line", "real", "real-password", http.Header{"X-Forwarded-For": {"198.51.100.1", attacker}}, http.StatusTooManyRequests},
			{"another address", "real", "real-password", from("203.0.113.8"), http.StatusOK},
		}
		for _, tc := range cases {
			if status, _ := a.login(t, tc.user, tc.password, tc.header); status != tc.want {
				t.Errorf("%s: HTTP %d, want %d", tc.name, status, tc.want)
			}
		}
	})
}

// TestLoginThrottleIgnoresForwardedForByDefault shows that without
// TrustProxy a client cannot escape its limit by writing X-Forwarded-For.
func TestLoginThrottleIgnoresForwardedForByDefault(t *testing.T) {
	cfg := testConfig(t, "sqlite")
	cfg.LoginAddressLimit = 3
	a := startApp(t, cfg)
	for i := 1; i <= 5; i++ {
		want := http.StatusUnauthorized
		if i > cfg.LoginAddressLimit {
			want = http.StatusTooManyRequests
		}
		if status, _ := a.login(t, fmt.Sprintf("name%d", i), "guess", from(fmt.Sprintf("198.51.100.%d", i))); status != want {
			t.Fatalf("guess %d with a new X-Forwarded-For: HTTP %d, want %d", i, status, want)
		}
	}
}

func TestClientAddress(t *testing.T) {
	cases := []struct {
		name, remote string
		xff          []string
		trust        bool
		want         string
	}{
		{"remote address without a proxy", "192.0.2.1:5000", nil, false, "192.0.2.1"},
		{"header ignored without TrustProxy", "192.0.2.1:5000", []string{"198.51.100.1"}, false, "192.0.2.1"},
		{"last hop with TrustProxy", "10.0.0.1:5000", []string{"198.51.100.1, 198.51.100.2"}, true, "198.51.100.2"},
		{"last header line with TrustProxy", "10.0.0.1:5000", []string{"198.51.100.1", "198.51.100.3"}, true, "198.51.100.3"},
		{"remote address when the proxy sent none", "10.0.0.1:5000", nil, true, "10.0.0.1"},
		{"IPv6 counted by its /64", "[2001:db8:1:2:3:4:5:6]:5000", nil, false, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6 as IPv4", "[::ffff:192.0.2.9]:5000", nil, false, "192.0.2.9"},
		{"not an address kept as it is", "10.0.0.1:5000", []string{"unknown"}, true, "unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/login", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddress(r, tc.trust); got != tc.want {
				t.Fatalf("clientAddress = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHashBound fires 32 logins at once: no more than MaxConcurrentHashes
// bcrypt hashes ever run together, and with a long HashWait all of them
// are answered.
func TestHashBound(t *testing.T) {
	cfg := testConfig(t, "sqlite")
	cfg.MaxConcurrentHashes = 2
	cfg.HashWait = time.Minute
	cfg.LoginAddressLimit = -1
	a := startApp(t, cfg)
	a.register(t, "target", "target-password")
	var running, most atomic.Int32
	a.logins.onHash = func(delta int) {
		n := running.Add(int32(delta))
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if delta > 0 {
			time.Sleep(5 * time.Millisecond) // long enough for the others to pile up
		}
	}
	var wg sync.WaitGroup
	statuses := make([]int, 32)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A name each, so the account limit stays out of the way.
			statuses[i], _ = a.login(t, "target"+strconv.Itoa(i), "guess", nil)
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusUnauthorized {
			t.Fatalf("login %d: HTTP %d, want 401", i, s)
		}
	}
	if got := most.Load(); got != int32(cfg.MaxConcurrentHashes) {
		t.Fatalf("at most %d hashes ran at once, want exactly the bound %d", got, cfg.MaxConcurrentHashes)
	}
}

// TestHashBusy holds the only hash slot: a login and a register meanwhile
// wait HashWait, then answer 503 with Retry-After; once the slot is free
// they work.
func TestHashBusy(t *testing.T) {
	cfg := testConfig(t, "sqlite")
	cfg.MaxConcurrentHashes = 1
	cfg.HashWait = 50 * time.Millisecond
	a := startApp(t, cfg)
	a.register(t, "holder", "holder-password")
	entered, release := make(chan struct{}), make(chan struct{})
	var held atomic.Bool
	a.logins.onHash = func(delta int) {
		if delta > 0 && held.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
	}
	done := make(chan int)
	go func() {
		status, _ := a.login(t, "holder", "holder-password", nil)
		done <- status
	}()
	<-entered
	if status, retry := a.login(t, "holder", "holder-password", nil); status != http.StatusServiceUnavailable || retry != "1" {
		t.Errorf("login while the slot is held: HTTP %d Retry-After %q, want 503 and 1", status, retry)
	}
	if status, retry := a.post(t, "/api/register", "newcomer", "newcomer-password", nil); status != http.StatusServiceUnavailable || retry != "1" {
		t.Errorf("register while the slot is held: HTTP %d Retry-After %q, want 503 and 1", status, retry)
	}
	close(release)
	if status := <-done; status != http.StatusOK {
		t.Fatalf("the login holding the slot: HTTP %d, want 200", status)
	}
	a.register(t, "newcomer", "newcomer-password")
}

func TestThrottleConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(*Config)
	}{
		{"LoginWindow", func(c *Config) { c.LoginWindow = -time.Second }},
		{"MaxConcurrentHashes", func(c *Config) { c.MaxConcurrentHashes = -1 }},
		{"HashWait", func(c *Config) { c.HashWait = -time.Second }},
	} {
		cfg := testConfig(t, "sqlite")
		tc.edit(&cfg)
		if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New with a negative %s: %v, want an error naming it", tc.field, err)
		}
	}
}
