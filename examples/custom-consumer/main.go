package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() { exampleapp.Main("custom-consumer", newServer) }

// newServer builds the app without listening: echoexample with the app's
// events and hooks, its tables, and GET /api/sessions/stats.
func newServer(ctx context.Context, cfg exampleapp.Config) (*exampleapp.Server, error) {
	app, err := exampleapp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sessions := NewSessions(slog.Default())
	limiter := NewSendLimiter(SendLimit, SendWindow)
	chat, err := app.NewChat(ctx,
		rtchat.WithEvent(EventPin, pinEvent),
		rtchat.WithEvent(EventFlag, flagEvent),
		rtchat.WithEvent(EventAnalytics, analyticsEvent),
		rtchat.WithHooks(hooks(sessions, limiter)),
		rtchat.WithEchoAuth(func(c echo.Context) (int64, error) { return app.UserFromRequest(c.Request()) }),
	)
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}
	s := &exampleapp.Server{App: app, Chat: chat}
	if err := Migrate(ctx, app.DB()); err != nil {
		return nil, errors.Join(err, s.Close(ctx))
	}
	slog.Info("custom-consumer: limiting sends", "limit", limiter.String())

	e := echo.New()
	e.HideBanner = true
	e.Use(chat.Middleware())
	for _, r := range app.Routes() {
		e.Add(r.Method, r.Path, echo.WrapHandler(r.Handler))
	}
	e.GET("/api/sessions/stats", func(c echo.Context) error {
		if _, err := app.UserFromRequest(c.Request()); err != nil {
			return c.JSON(http.StatusUnauthorized, map[string]string{"error": "not signed in"})
		}
		return c.JSON(http.StatusOK, sessions.Stats())
	})
	s.Handler = e
	return s, nil
}
