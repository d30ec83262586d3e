package rtchat_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
)

// TestOriginSchemeOverASocket: the upgrade compares the Origin's scheme
// too (issue 12, item 11: a page on https://host was accepted by the http
// server on host). The server here is plain http; behind a TLS proxy
// (X-Forwarded-Proto: https) only the https page is same-origin. The table
// of consumer/origin_test.go covers the rest.
func TestOriginSchemeOverASocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, dbtest.Open(t, "sqlite"), rtchat.WithAllowedOrigins("https://app.example"))
	self := h.srv.URL // http://127.0.0.1:port
	https := "https://" + strings.TrimPrefix(self, "http://")
	for name, tc := range map[string]struct {
		origin, proto string
		ok            bool
	}{
		"same origin":                    {origin: self, ok: true},
		"https page, http server":        {origin: https},
		"https page behind a TLS proxy":  {origin: https, proto: "https", ok: true},
		"http page behind a TLS proxy":   {origin: self, proto: "https"},
		"listed origin":                  {origin: "https://app.example", ok: true},
		"listed host, other scheme":      {origin: "http://app.example"},
		"bogus proxy scheme counts http": {origin: https, proto: "javascript"},
	} {
		t.Run(name, func(t *testing.T) {
			hdr := http.Header{"Origin": {tc.origin}}
			if tc.proto != "" {
				hdr.Set("X-Forwarded-Proto", tc.proto)
			}
			c, err := client.Dial(testCtx(t), h.url, client.WithToken("1"), client.WithHeader(hdr))
			if tc.ok {
				if err != nil {
					t.Fatalf("Origin %s: %v, want a connection", tc.origin, err)
				}
				_ = c.Close()
				return
			}
			var he *client.HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
				t.Fatalf("Origin %s (X-Forwarded-Proto %q): %v, want HTTP 403", tc.origin, tc.proto, err)
			}
		})
	}
}
