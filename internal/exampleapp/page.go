package exampleapp

import (
	"embed"
	"net/http"
)

// static holds the browser page: index.html, app.js and app.css. The JS
// client module (/static/rtchat.js) is package jsclient's.
//
//go:embed static
var static embed.FS

// pageCSP lets the page load its own scripts, styles and WebSocket and
// nothing else: no inline script or style, no other host. Attachments are
// shown as links, never loaded, so img-src needs no other origin.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ServePage serves the browser chat page: GET /.
func (a *App) ServePage(w http.ResponseWriter, _ *http.Request) {
	serveStatic(w, "static/index.html", "text/html; charset=utf-8")
}

// ServeAppJS serves the page's script, an ES module: GET /static/app.js.
func (a *App) ServeAppJS(w http.ResponseWriter, _ *http.Request) {
	serveStatic(w, "static/app.js", "text/javascript; charset=utf-8")
}

// ServeAppCSS serves the page's style sheet: GET /static/app.css.
func (a *App) ServeAppCSS(w http.ResponseWriter, _ *http.Request) {
	serveStatic(w, "static/app.css", "text/css; charset=utf-8")
}

// serveStatic writes the embedded file name with its content type and the
// page's security headers. The files change only with the binary, so they
// are revalidated on every load (no-cache) rather than cached stale.
func serveStatic(w http.ResponseWriter, name, contentType string) {
	body, err := static.ReadFile(name)
	if err != nil { // only if the embed directive and the names disagree
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}
