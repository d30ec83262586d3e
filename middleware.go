package rtchat

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat/consumer"
)

// Middleware returns Echo middleware that serves the WebSocket path (with
// or without its trailing slash, so Echo's AddTrailingSlash and
// RemoveTrailingSlash pre-middleware do not hide it) and passes every other
// request on. Add it after the app's own auth middleware:
// e.Use(chat.Middleware()).
func (c *Chat) Middleware() echo.MiddlewareFunc {
	return c.MiddlewareWithConfig(MiddlewareConfig{})
}

// MiddlewareConfig configures MiddlewareWithConfig, as Echo's own
// middleware configs do.
type MiddlewareConfig struct {
	// Skipper, when it returns true, passes the request on without
	// serving it, even on the WebSocket path. Default never.
	Skipper func(echo.Context) bool
}

// MiddlewareWithConfig is Middleware with a config.
func (c *Chat) MiddlewareWithConfig(cfg MiddlewareConfig) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			if !c.isPath(ec.Request().URL.Path) || (cfg.Skipper != nil && cfg.Skipper(ec)) {
				return next(ec)
			}
			return c.serveEcho(ec)
		}
	}
}

// isPath reports whether p is the WebSocket path, with or without its
// trailing slash.
func (c *Chat) isPath(p string) bool {
	return strings.TrimSuffix(p, "/") == strings.TrimSuffix(c.cfg.path, "/")
}

// Register adds the WebSocket route (GET on the path) to an Echo instance or
// group, with optional route middleware. Use it instead of Middleware when
// the app prefers explicit routes.
func (c *Chat) Register(r interface {
	GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}, m ...echo.MiddlewareFunc) {
	r.GET(c.cfg.path, c.serveEcho, m...)
}

// serveEcho resolves the user from the Echo context and hands the request to
// the core handler.
func (c *Chat) serveEcho(ec echo.Context) error {
	req := ec.Request()
	if c.cfg.echoAuth != nil {
		id, err := c.cfg.echoAuth(ec)
		if err != nil || id == 0 {
			return echo.NewHTTPError(http.StatusUnauthorized, "authentication required")
		}
		req = req.WithContext(consumer.WithUser(req.Context(), id))
	}
	c.ServeHTTP(ec.Response(), req)
	return nil
}
