// Command echoexample is a small chat app on Echo: users register and log in
// over a JSON API, and chat in the browser page at / over rtchat's WebSocket
// at /messaging/, authenticated by the same token (a cookie for the page).
//
//	go run ./echoexample          # http://localhost:8080, SQLite in ./rtchat-example.db
//
// Settings come from the environment: ADDR, DATABASE_URL (Postgres instead
// of SQLite), SQLITE_PATH, JWT_SECRET and ALLOWED_ORIGINS; see
// exampleapp.Config.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, exampleapp.ConfigFromEnv()); err != nil {
		slog.Error("echoexample", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGINT or SIGTERM), then shuts down.
func run(ctx context.Context, cfg exampleapp.Config) error {
	s, err := newServer(ctx, cfg)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Start(cfg.Addr) }()
	select {
	case err = <-errc: // could not listen
	case <-ctx.Done():
		slog.Info("echoexample: shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, s.shutdown(shutdownCtx))
}

// server is the Echo app with what its shutdown needs.
type server struct {
	*echo.Echo
	app  *exampleapp.App
	chat *rtchat.Chat
}

// newServer builds the app without listening: the database, the chat behind
// the app's token auth, and the routes.
func newServer(ctx context.Context, cfg exampleapp.Config) (*server, error) {
	app, err := exampleapp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	chat, err := app.NewChat(ctx, rtchat.WithEchoAuth(func(c echo.Context) (int64, error) {
		return app.UserFromRequest(c.Request())
	}))
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}

	e := echo.New()
	e.HideBanner = true
	// The chat serves its WebSocket path and passes every other request on.
	e.Use(chat.Middleware())
	for _, r := range app.Routes() {
		e.Add(r.Method, r.Path, echo.WrapHandler(r.Handler))
	}
	return &server{Echo: e, app: app, chat: chat}, nil
}

// shutdown closes the WebSockets first, since http.Server.Shutdown does not
// wait for hijacked connections, then stops the HTTP server, then closes the
// database once nothing uses it.
func (s *server) shutdown(ctx context.Context) error {
	err := s.chat.Close(ctx)
	if err2 := s.Shutdown(ctx); err2 != nil && !errors.Is(err2, http.ErrServerClosed) {
		err = errors.Join(err, err2)
	}
	return errors.Join(err, s.app.Close())
}
