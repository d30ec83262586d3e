// Package ginadapter mounts an rtchat Chat on a Gin engine or group. It is a
// separate package so that Echo-only apps do not import Gin.
package ginadapter

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/internal/authopt"
)

// Handler is what Register mounts: *rtchat.Chat satisfies it.
type Handler interface {
	http.Handler
	// Path is the WebSocket path to serve.
	Path() string
}

// Option configures Register.
type Option func(*options)

type options struct {
	auth func(*gin.Context) (int64, error)
}

// ginKey carries the Gin context of a request Register serves, for
// WithGinAuth.
type ginKey struct{}

var errNoGin = errors.New("rtchat: ginadapter.WithGinAuth: the chat is not served by ginadapter.Register")

// WithGinAuth is the rtchat.New option that reads the user id from the Gin
// context (set there by the app's own auth middleware): fn returns the user
// id, or an error (or 0) for no user, which is HTTP 401 before any upgrade.
// Serve the chat with Register, which hands fn the Gin context. Give one
// auth option: New refuses WithGinAuth beside rtchat.WithHTTPAuth or
// rtchat.WithEchoAuth. Default: the user put on the request context with
// rtchat.ContextWithUser.
func WithGinAuth(fn func(*gin.Context) (int64, error)) rtchat.Option {
	return authopt.Option("ginadapter.WithGinAuth", func(r *http.Request) (int64, error) {
		c, ok := r.Context().Value(ginKey{}).(*gin.Context)
		if !ok {
			return 0, errNoGin
		}
		return fn(c)
	}).(rtchat.Option)
}

// WithAuth is the Register option that reads the user id from the Gin
// context; an error or 0 is HTTP 401 before any upgrade. A chat made with
// an auth option of its own answers every request with HTTP 500 instead,
// since two ways to learn the user are a mistake: that is the only check
// Register can make, as it returns no error.
//
// Deprecated: use WithGinAuth, given to rtchat.New, which refuses a second
// auth option.
func WithAuth(fn func(*gin.Context) (int64, error)) Option {
	return func(o *options) { o.auth = fn }
}

// Register adds GET <chat path> to r, serving the chat's WebSocket endpoint.
func Register(r gin.IRoutes, chat Handler, opts ...Option) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	if o.auth != nil {
		if other := authopt.Of(chat); other != "" {
			msg := "rtchat: ginadapter.WithAuth and " + other + " are both set: give one way to learn the user"
			r.GET(chat.Path(), func(c *gin.Context) {
				c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": msg})
			})
			return
		}
	}
	r.GET(chat.Path(), func(c *gin.Context) {
		req := c.Request
		if o.auth != nil {
			id, err := o.auth(c)
			if err != nil || id == 0 {
				c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "authentication required"})
				return
			}
			req = req.WithContext(consumer.WithUser(req.Context(), id))
		}
		req = req.WithContext(context.WithValue(req.Context(), ginKey{}, c))
		chat.ServeHTTP(c.Writer, req)
	})
}
