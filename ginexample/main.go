// Command ginexample is a small chat app on Gin: users register and log in
// over a JSON API, and chat in the browser page at / over rtchat's WebSocket
// at /messaging/, authenticated by the same token (a cookie for the page).
//
//	go run ./ginexample           # http://localhost:8080, SQLite in ./rtchat-example.db
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

	"github.com/gin-gonic/gin"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/ginadapter"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, exampleapp.ConfigFromEnv()); err != nil {
		slog.Error("ginexample", "err", err)
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
	go func() { errc <- s.http.ListenAndServe() }()
	slog.Info("ginexample: listening", "addr", cfg.Addr)
	select {
	case err = <-errc: // could not listen
	case <-ctx.Done():
		slog.Info("ginexample: shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, s.shutdown(shutdownCtx))
}

// server is the Gin engine with its HTTP server and what its shutdown
// needs.
type server struct {
	*gin.Engine
	http *http.Server
	app  *exampleapp.App
	chat *rtchat.Chat
}

// newServer builds the app without listening: the database, the chat, its
// route behind the app's token auth, and the other routes.
func newServer(ctx context.Context, cfg exampleapp.Config) (*server, error) {
	app, err := exampleapp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	chat, err := app.NewChat(ctx, ginadapter.WithGinAuth(func(c *gin.Context) (int64, error) {
		return app.UserFromRequest(c.Request)
	}))
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}

	r := gin.New()
	r.Use(gin.Recovery())
	ginadapter.Register(r, chat)
	for _, rt := range app.Routes() {
		r.Handle(rt.Method, rt.Path, gin.WrapF(rt.Handler))
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: r, ReadHeaderTimeout: 10 * time.Second}
	return &server{Engine: r, http: srv, app: app, chat: chat}, nil
}

// shutdown closes the WebSockets first, since http.Server.Shutdown does not
// wait for hijacked connections, then stops the HTTP server, then closes the
// database once nothing uses it.
func (s *server) shutdown(ctx context.Context) error {
	err := s.chat.Close(ctx)
	if err2 := s.http.Shutdown(ctx); err2 != nil && !errors.Is(err2, http.ErrServerClosed) {
		err = errors.Join(err, err2)
	}
	return errors.Join(err, s.app.Close())
}
