package exampleapp

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// appMetrics is the app's Prometheus registry and its HTTP handler.
type appMetrics struct {
	reg     *prometheus.Registry
	handler http.Handler
}

// newMetrics returns the app's registry, with the Go runtime's and the
// process's collectors; NewChat adds rtchat's (rtchat.WithMetrics).
func newMetrics(log *slog.Logger) *appMetrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &appMetrics{reg: reg, handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogErrors{log}})}
}

// Registry returns the app's Prometheus registry, which NewChat gives its
// chat and GET /metrics serves; an example may register its own
// collectors with it.
func (a *App) Registry() *prometheus.Registry { return a.metrics.reg }

// Metrics serves the registry in the Prometheus text format: GET /metrics.
// The examples serve it beside the chat with no authentication; a real
// deployment serves it where only its Prometheus reaches it.
func (a *App) Metrics(w http.ResponseWriter, r *http.Request) { a.metrics.handler.ServeHTTP(w, r) }

// slogErrors logs the registry's gathering errors.
type slogErrors struct{ log *slog.Logger }

func (l slogErrors) Println(v ...any) { l.log.Error("exampleapp: serve /metrics", "err", v) }
