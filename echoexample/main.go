// Command echoexample is a small chat app on Echo: users register and log in
// over a JSON API, and chat in the browser page at / over rtchat's WebSocket
// at /messaging/, authenticated by the same token (a cookie for the page).
//
//	go run ./echoexample          # http://localhost:8080, SQLite in ./rtchat-example.db
//
// Settings come from the environment: ADDR, DATABASE_URL (Postgres instead
// of SQLite), SQLITE_PATH, JWT_SECRET, ALLOWED_ORIGINS and TRUST_PROXY; see
// exampleapp.Config.
package main

import (
	"context"
	"errors"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() { exampleapp.Main("echoexample", newServer) }

// newServer builds the app without listening: the database, the chat behind
// the app's token auth, and the routes.
func newServer(ctx context.Context, cfg exampleapp.Config) (*exampleapp.Server, error) {
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
	return &exampleapp.Server{Handler: e, App: app, Chat: chat}, nil
}
