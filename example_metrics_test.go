package rtchat_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rtchat/rtchat"
)

// The chat's metrics on the app's registry, served at /metrics: after a
// group is created and one message sent, the events counted.
func ExampleWithMetrics() {
	reg := prometheus.NewRegistry()
	s := startExample(rtchat.WithMetrics(reg))
	defer s.stop()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	alice := s.dial("1")
	defer alice.Close()
	if _, err := alice.SendMessage(context.Background(), group(alice, 2), "hello"); err != nil {
		log.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		counted := !strings.HasSuffix(line, " 0") // every event's "ok" series exists from the start
		if counted && (strings.HasPrefix(line, "rtchat_events_total{") || strings.HasPrefix(line, "rtchat_connections_open ")) {
			fmt.Println(line)
		}
	}
	// Output:
	// rtchat_connections_open 1
	// rtchat_events_total{code="ok",event="message.send"} 1
	// rtchat_events_total{code="ok",event="room.create"} 1
}
