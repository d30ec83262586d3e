package exampleapp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rtchat/rtchat"
)

// ShutdownTimeout bounds the shutdown of an example app after SIGINT or
// SIGTERM.
const ShutdownTimeout = 10 * time.Second

// Server is an example app built without listening: the handler its
// framework serves (the chat's WebSocket route included), and the chat and
// App its shutdown closes.
type Server struct {
	// Handler serves every route of the app.
	Handler http.Handler
	// App is the app's database, users and tokens.
	App *App
	// Chat is the app's chat, on App's database.
	Chat *rtchat.Chat
}

// Build builds an example app for cfg without listening. Each example's
// main passes its own to Main, and its tests to exampletest.
type Build func(ctx context.Context, cfg Config) (*Server, error)

// Close closes the chat, whose WebSockets get 1001, then the App. It does
// not stop an HTTP server: Serve does, between the two.
func (s *Server) Close(ctx context.Context) error {
	return errors.Join(s.Chat.Close(ctx), s.App.Close())
}

// Main is the whole main of an example app called name: it reads the
// Config from the environment, builds the app and serves it on cfg.Addr
// until SIGINT or SIGTERM; an error is logged and exits with status 1.
func Main(name string, build Build) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, name, ConfigFromEnv(), build)
	stop()
	if err != nil {
		slog.Error(name, "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, cfg Config, build Build) error {
	s, err := build(ctx, cfg)
	if err != nil {
		return err
	}
	return Serve(ctx, name, cfg.Addr, s)
}

// Serve serves s on addr until ctx ends, then shuts down: the chat first,
// since http.Server.Shutdown does not wait for hijacked connections, then
// the HTTP server, then the App's database once nothing uses it. When addr
// cannot be listened on, it shuts down at once and returns that error.
func Serve(ctx context.Context, name, addr string, s *Server) error {
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		slog.Info(name+": listening", "addr", ln.Addr().String())
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err = <-errc: // the listener failed
		case <-ctx.Done():
			slog.Info(name + ": shutting down")
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err = errors.Join(err, s.Chat.Close(shutdownCtx))
	if err2 := srv.Shutdown(shutdownCtx); err2 != nil && !errors.Is(err2, http.ErrServerClosed) {
		err = errors.Join(err, err2)
	}
	return errors.Join(err, s.App.Close())
}
