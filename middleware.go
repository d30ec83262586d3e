package rtchat

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat/consumer"
)

// Middleware returns Echo middleware that serves the WebSocket path and
// passes every other request on. Add it after the app's own auth
// middleware: e.Use(chat.Middleware()).
func (c *Chat) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			if ec.Request().URL.Path != c.cfg.path {
				return next(ec)
			}
			return c.serveEcho(ec)
		}
	}
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
