package exampletest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/exampleapp"
)

// Restartable is an app under test that can be stopped and started again on
// the same address and the same database, as an operator restarts a node:
// clients that reconnect find it where it was.
type Restartable struct {
	// Env is the app's address and configuration, which stay the same
	// across restarts. Its Shutdown stops the app for good.
	*Env

	build Build
	addr  string // host:port, fixed at the first start

	mu      sync.Mutex // guards the fields below
	server  *exampleapp.Server
	http    *http.Server
	serving chan struct{} // closed when http.Serve returned
	stopped bool
}

// StartRestartable builds an app for cfg and serves it on a free port of
// 127.0.0.1 until the end of the test; Stop and Start restart it on the same
// port. cfg's database must outlive the app (a SQLite file or a Postgres
// DSN, as ConfigFor gives).
func StartRestartable(tb testing.TB, build Build, cfg exampleapp.Config) *Restartable {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	r := &Restartable{build: build, addr: ln.Addr().String()}
	url := "http://" + r.addr
	r.Env = &Env{
		URL: url, WS: "ws" + strings.TrimPrefix(url, "http") + "/messaging/",
		HTTP: &http.Client{Timeout: 10 * time.Second}, Config: cfg,
		shutdown: r.stop,
	}
	r.serve(tb, ln)
	tb.Cleanup(func() {
		r.HTTP.CloseIdleConnections()
		if err := r.stop(); err != nil {
			tb.Errorf("shut the app down: %v", err)
		}
	})
	return r
}

// Addr is the app's host:port.
func (r *Restartable) Addr() string { return r.addr }

// Server is the running app: the Chat's server API (Chat.SendMessage,
// Chat.CreateRoom) and its App. It is a new one after each Start.
func (r *Restartable) Server() *exampleapp.Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.server
}

// Stop shuts the app down as exampleapp.Serve does: the chat first (its
// WebSockets get 1001), then the HTTP server and its listener, then the
// App's database.
func (r *Restartable) Stop(tb testing.TB) {
	tb.Helper()
	if err := r.stop(); err != nil {
		tb.Fatalf("stop the app: %v", err)
	}
}

// Start builds the app again on the same Config (so the same database) and
// serves it on the same address.
func (r *Restartable) Start(tb testing.TB) {
	tb.Helper()
	var ln net.Listener
	var err error
	// The port was just given up; listening again may race with the
	// kernel's release of it for a moment.
	for range 50 {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("listen on %s again: %v", r.addr, err)
	}
	r.serve(tb, ln)
}

// serve builds the app and serves it on ln.
func (r *Restartable) serve(tb testing.TB, ln net.Listener) {
	tb.Helper()
	s, err := r.build(testCtx(tb), r.Config)
	if err != nil {
		_ = ln.Close()
		tb.Fatalf("build the app: %v", err)
	}
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	serving := make(chan struct{})
	go func() {
		defer close(serving)
		_ = srv.Serve(ln) // ErrServerClosed after Shutdown
	}()
	r.mu.Lock()
	r.server, r.http, r.serving, r.stopped = s, srv, serving, false
	r.mu.Unlock()
}

// stop shuts the running app down, if it runs.
func (r *Restartable) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.server == nil {
		return nil
	}
	r.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), exampleapp.ShutdownTimeout)
	defer cancel()
	err := r.server.Chat.Close(ctx)
	if err2 := r.http.Shutdown(ctx); err2 != nil && !errors.Is(err2, http.ErrServerClosed) {
		err = errors.Join(err, err2)
	}
	<-r.serving
	return errors.Join(err, r.server.App.Close())
}
