// Package exampletest holds the end-to-end scenarios both example apps are
// tested with, so the Echo and Gin tests differ only in how they build the
// app. Every scenario runs against a real server (httptest), real WebSocket
// clients and a real database: a fresh SQLite file, and a fresh Postgres
// schema (skipped without RTCHAT_TEST_POSTGRES outside CI).
package exampletest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/exampleapp"
	"github.com/rtchat/rtchat/protocol"
	"golang.org/x/crypto/bcrypt"
)

// Build builds an example app for cfg the way its main does, without
// listening: each example's own newServer, as it passes to exampleapp.Main.
type Build = exampleapp.Build

// testSecret is the JWT_SECRET of the apps under test, so scenarios can
// forge tokens.
const testSecret = "exampletest: not a secret"

// AllowedOrigin is the extra browser origin the scenarios configure
// (ALLOWED_ORIGINS).
const AllowedOrigin = "http://allowed.example"

// scenarios are run in this order, each on a server of its own.
var scenarios = []struct {
	name string
	run  func(t *testing.T, e *Env)
}{
	{"two users chat in a 1:1 with ordered seqs and usernames", testChat},
	{"login cookie authenticates the page's websocket", testCookieAuth},
	{"token in the query authenticates the websocket", testQueryTokenAuth},
	{"websocket without a valid token is refused with 401", testNoToken},
	{"foreign origin is refused with 403, allowed origin is not", testOrigins},
	{"login answers 401 to bad credentials and 200 to good ones", testLogin},
	{"register answers 400, 409 and 415 to bad requests", testRegisterErrors},
	{"user search and me need a session", testUserSearch},
	{"room.create with an unknown user id is 4004", testUnknownUser},
	{ScenarioStrangers, testStrangers},
	{"page is served as html", testPage},
	{"shutdown closes open websockets with 1001", testShutdown},
	{"a burst of sends is rate limited with a few 4029 naming them", testRateLimits},
	{"GET /metrics shows the chat's rtchat_ metrics", testMetrics},
}

// ScenarioStrangers is the scenario of the example apps' permission rule
// (exampleapp.Permissions); an app with rules of its own skips it.
const ScenarioStrangers = "a group takes only users who share a room with the adder or asked to join"

// Run runs every scenario but those named in skip on SQLite and on
// Postgres, each with a fresh app built by build.
func Run(t *testing.T, build Build, skip ...string) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			for _, sc := range append(scenarios[:len(scenarios):len(scenarios)], securityScenarios...) {
				if slices.Contains(skip, sc.name) {
					continue
				}
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(t, Start(t, build, kind))
				})
			}
		})
	}
}

// Env is one running app under test.
type Env struct {
	// URL is the app's base URL, http://127.0.0.1:port.
	URL string
	// WS is the WebSocket URL, ws://127.0.0.1:port/messaging/.
	WS string
	// HTTP is a client for the app; it keeps no cookies.
	HTTP *http.Client
	// Config is the app's configuration, its database included, for tests
	// that look at the database themselves (Config.OpenDB).
	Config exampleapp.Config

	shutdown func() error // the app's shutdown, once
}

// Shutdown shuts the app down as its main does on SIGTERM, before the end of
// the test.
func (e *Env) Shutdown(tb testing.TB) {
	tb.Helper()
	if err := e.shutdown(); err != nil {
		tb.Fatalf("shut the app down: %v", err)
	}
}

// Start builds an app on a fresh database of kind ("sqlite" or "postgres")
// and serves it with httptest until the end of the test.
func Start(tb testing.TB, build Build, kind string) *Env {
	tb.Helper()
	return StartConfig(tb, build, ConfigFor(tb, kind))
}

// ConfigFor is TestConfig on a fresh database of kind ("sqlite" or
// "postgres"), for a test that changes the Config before StartConfig.
func ConfigFor(tb testing.TB, kind string) exampleapp.Config {
	tb.Helper()
	cfg := TestConfig()
	switch kind {
	case "sqlite":
		cfg.SQLitePath = filepath.Join(tb.TempDir(), "example.db")
	case "postgres":
		cfg.DatabaseURL = dbtest.PostgresDSN(tb)
	default:
		tb.Fatalf("exampletest: unknown database kind %q", kind)
	}
	return cfg
}

// TestConfig is the Config the scenarios start an app with, without a
// database: a known JWT secret, AllowedOrigin, and the cheapest bcrypt cost,
// so registering is fast under the race detector.
func TestConfig() exampleapp.Config {
	return exampleapp.Config{
		Addr: "127.0.0.1:0", JWTSecret: testSecret, AllowedOrigins: []string{AllowedOrigin},
		PasswordCost: bcrypt.MinCost,
	}
}

// StartConfig builds an app for cfg and serves it with httptest until the
// end of the test.
func StartConfig(tb testing.TB, build Build, cfg exampleapp.Config) *Env {
	tb.Helper()
	s, err := build(testCtx(tb), cfg)
	if err != nil {
		tb.Fatalf("build the app: %v", err)
	}
	// As exampleapp.Serve shuts down, but httptest owns the HTTP server.
	once := sync.OnceValue(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), exampleapp.ShutdownTimeout)
		defer cancel()
		return s.Close(ctx)
	})
	tb.Cleanup(func() {
		if err := once(); err != nil {
			tb.Errorf("shut the app down: %v", err)
		}
	})
	srv := httptest.NewServer(s.Handler)
	tb.Cleanup(srv.Close) // runs first: the clients, then the server, then the app
	return &Env{
		URL: srv.URL, WS: "ws" + strings.TrimPrefix(srv.URL, "http") + "/messaging/", HTTP: srv.Client(),
		Config: cfg, shutdown: once,
	}
}

// Session is the answer of register and login.
type Session struct {
	// ID is the user's id.
	ID int64 `json:"id"`
	// Username is the name the user registered with.
	Username string `json:"username"`
	// Token is the JWT that authenticates the user.
	Token string `json:"token"`
}

// Response is an HTTP answer read in full.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header is the answer's header.
	Header http.Header
	// Cookies are the cookies the answer sets.
	Cookies []*http.Cookie
	// Body is the whole body.
	Body []byte
}

// Error returns the "error" of a JSON error body, or "".
func (r Response) Error() string {
	var v struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &v)
	return v.Error
}

// Do sends a request with an optional body and headers and reads the answer.
func (e *Env) Do(tb testing.TB, method, path, contentType string, body []byte, header http.Header) Response {
	tb.Helper()
	req, err := http.NewRequestWithContext(testCtx(tb), method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Cookies: res.Cookies(), Body: b}
}

// PostJSON posts v as JSON to path.
func (e *Env) PostJSON(tb testing.TB, path string, v any) Response {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return e.Do(tb, http.MethodPost, path, "application/json", b, nil)
}

// Register creates a user through POST /api/register, expecting 201.
func (e *Env) Register(tb testing.TB, username, password string) Session {
	tb.Helper()
	return e.signIn(tb, "/api/register", http.StatusCreated, username, password)
}

// Login signs a user in through POST /api/login, expecting 200.
func (e *Env) Login(tb testing.TB, username, password string) Session {
	tb.Helper()
	return e.signIn(tb, "/api/login", http.StatusOK, username, password)
}

func (e *Env) signIn(tb testing.TB, path string, want int, username, password string) Session {
	tb.Helper()
	res := e.PostJSON(tb, path, map[string]string{"username": username, "password": password})
	if res.Status != want {
		tb.Fatalf("POST %s %s: HTTP %d %s, want %d", path, username, res.Status, res.Body, want)
	}
	var s Session
	if err := json.Unmarshal(res.Body, &s); err != nil {
		tb.Fatalf("POST %s: %v in %s", path, err, res.Body)
	}
	if s.ID <= 0 || s.Username != username || s.Token == "" {
		tb.Fatalf("POST %s = %+v, want an id, username %q and a token", path, s, username)
	}
	return s
}

// Dial opens a WebSocket to the app and waits for chat.notifications, which
// the server sends once the connection is in the fan-out index, so events
// sent after Dial returns reach it. The client is closed at the end of the
// test.
func (e *Env) Dial(tb testing.TB, url string, opts ...client.Option) *client.Client {
	tb.Helper()
	ctx := testCtx(tb)
	c, err := client.Dial(ctx, url, opts...)
	if err != nil {
		tb.Fatalf("dial %s: %v", url, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	if _, err := c.Next(ctx, protocol.DispatchNotifications); err != nil {
		tb.Fatalf("waiting for %s: %v", protocol.DispatchNotifications, err)
	}
	return c
}

// DialStatus dials and expects the handshake to be refused with HTTP status.
func (e *Env) DialStatus(tb testing.TB, status int, url string, opts ...client.Option) {
	tb.Helper()
	c, err := client.Dial(testCtx(tb), url, opts...)
	if err == nil {
		_ = c.Close()
		tb.Fatalf("dial %s succeeded, want HTTP %d", url, status)
	}
	var he *client.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != status {
		tb.Fatalf("dial %s: %v, want a handshake refused with HTTP %d", url, err, status)
	}
}

// testCtx bounds one test's waits.
func testCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// decode unmarshals a frame's data, failing the test on error.
func decode[T any](tb testing.TB, f protocol.Frame) T {
	tb.Helper()
	v, err := client.Decode[T](f)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
