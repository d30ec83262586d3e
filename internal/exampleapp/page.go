package exampleapp

import (
	_ "embed"
	"net/http"
)

//go:embed index.html
var indexHTML []byte

// pageCSP allows the page's inline script and style and its own WebSocket,
// and nothing else.
const pageCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ServePage serves the browser chat page: GET /.
func (a *App) ServePage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(indexHTML)
}
