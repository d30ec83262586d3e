// Package ginadapter mounts an rtchat Chat on a Gin engine or group. It is a
// separate package so that Echo-only apps do not import Gin.
package ginadapter

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rtchat/rtchat/consumer"
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

// WithAuth reads the user id from the Gin context (set there by the app's
// own auth middleware); an error or 0 is HTTP 401 before any upgrade.
// Default: the chat's own auth (rtchat.WithHTTPAuth or ContextWithUser).
func WithAuth(fn func(*gin.Context) (int64, error)) Option {
	return func(o *options) { o.auth = fn }
}

// Register adds GET <chat path> to r, serving the chat's WebSocket endpoint.
func Register(r gin.IRoutes, chat Handler, opts ...Option) {
	var o options
	for _, fn := range opts {
		fn(&o)
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
		chat.ServeHTTP(c.Writer, req)
	})
}
