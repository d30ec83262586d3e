package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/internal/exampleapp"
	"github.com/rtchat/rtchat/internal/exampleapp/exampletest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	goleak.VerifyTestMain(m)
}

// build builds this app as main does, for the examples' scenarios.
func build(ctx context.Context, cfg exampleapp.Config) (http.Handler, func(context.Context) error, error) {
	s, err := newServer(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, s.shutdown, nil
}

// TestExample runs the examples' scenarios against this app.
func TestExample(t *testing.T) {
	exampletest.Run(t, build)
}

// TestBrowser drives the chat page of this app in headless Chromium
// (RTCHAT_TEST_CHROMIUM; it skips without, except under CI).
func TestBrowser(t *testing.T) {
	exampletest.Browser(t, build)
}

// TestTwoNodes runs two of this app on one Postgres and one Redis, as
// README's "Running several nodes" does.
func TestTwoNodes(t *testing.T) {
	exampletest.TwoNodes(t, build)
}
