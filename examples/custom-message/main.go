package main

import (
	"context"
	"errors"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() { exampleapp.Main("custom-message", newServer) }

// newServer builds the app without listening: echoexample with the app's
// Message, whose columns its own migration adds after rtchat's.
func newServer(ctx context.Context, cfg exampleapp.Config) (*exampleapp.Server, error) {
	app, err := exampleapp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts := append(messageOptions(),
		rtchat.WithEchoAuth(func(c echo.Context) (int64, error) { return app.UserFromRequest(c.Request()) }))
	chat, err := app.NewChat(ctx, opts...) // migrates rtchat's tables
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}
	s := &exampleapp.Server{App: app, Chat: chat}
	// Before anything is served: rtchat inserts and reads the app's
	// columns from the first message on.
	if err := Migrate(ctx, app.DB()); err != nil {
		return nil, errors.Join(err, s.Close(ctx))
	}

	e := echo.New()
	e.HideBanner = true
	e.Use(chat.Middleware())
	for _, r := range app.Routes() {
		e.Add(r.Method, r.Path, echo.WrapHandler(r.Handler))
	}
	s.Handler = e
	return s, nil
}
