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

// TestExample runs the examples' scenarios against this app, built by
// newServer as main builds it.
func TestExample(t *testing.T) {
	exampletest.Run(t, func(ctx context.Context, cfg exampleapp.Config) (http.Handler, func(context.Context) error, error) {
		s, err := newServer(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		return s, s.shutdown, nil
	})
}
