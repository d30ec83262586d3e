// Command ginexample is a small chat app on Gin: users register and log in
// over a JSON API, and chat in the browser page at / over rtchat's WebSocket
// at /messaging/, authenticated by the same token (a cookie for the page).
//
//	go run ./ginexample           # http://localhost:8080, SQLite in ./rtchat-example.db
//
// Settings come from the environment: ADDR, DATABASE_URL (Postgres instead
// of SQLite), SQLITE_PATH, JWT_SECRET, ALLOWED_ORIGINS and TRUST_PROXY; see
// exampleapp.Config.
package main

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"
	"github.com/rtchat/rtchat/ginadapter"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() { exampleapp.Main("ginexample", newServer) }

// newServer builds the app without listening: the database, the chat, its
// route behind the app's token auth, and the other routes.
func newServer(ctx context.Context, cfg exampleapp.Config) (*exampleapp.Server, error) {
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
	return &exampleapp.Server{Handler: r, App: app, Chat: chat}, nil
}
