package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

func main() {
	exampleapp.Main("custom-permission", build(ParseVIPs(os.Getenv("VIP_USERS"))))
}

// ParseVIPs reads VIP_USERS: comma-separated usernames, blanks trimmed and
// empty entries skipped.
func ParseVIPs(s string) []string {
	var out []string
	for _, name := range strings.Split(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// build returns the app's Build for the VIP usernames: echoexample with the
// app's permission handler.
func build(vips []string) exampleapp.Build {
	return func(ctx context.Context, cfg exampleapp.Config) (*exampleapp.Server, error) {
		app, err := exampleapp.New(ctx, cfg)
		if err != nil {
			return nil, err
		}
		chat, err := app.NewChat(ctx,
			rtchat.WithPermissionHandler(NewPerms(vips, app.LookupUsers)),
			rtchat.WithEchoAuth(func(c echo.Context) (int64, error) { return app.UserFromRequest(c.Request()) }),
		)
		if err != nil {
			return nil, errors.Join(err, app.Close())
		}
		slog.Info("custom-permission: VIP users in archived rooms", "vips", vips)
		e := echo.New()
		e.HideBanner = true
		e.Use(chat.Middleware())
		for _, r := range app.Routes() {
			e.Add(r.Method, r.Path, echo.WrapHandler(r.Handler))
		}
		return &exampleapp.Server{Handler: e, App: app, Chat: chat}, nil
	}
}
