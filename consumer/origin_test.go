package consumer

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

// TestOriginAllowed: an origin is scheme, host and port, compared against
// the request's own (https only over TLS or from a proxy that says so) and
// against the listed ones.
func TestOriginAllowed(t *testing.T) {
	listed := []string{"https://app.example", "http://dev.example:3000/"}
	for name, tc := range map[string]struct {
		host    string // the request's Host
		tls     bool   // the request came over TLS
		proto   string // X-Forwarded-Proto
		origin  string
		allowed []string
		want    bool
	}{
		"no origin: not a browser":                    {host: "chat.example", want: true},
		"same origin over http":                       {host: "chat.example", origin: "http://chat.example", want: true},
		"https page against an http server":           {host: "chat.example", origin: "https://chat.example", want: false},
		"http page against a TLS server":              {host: "chat.example", tls: true, origin: "http://chat.example", want: false},
		"https page against a TLS server":             {host: "chat.example", tls: true, origin: "https://chat.example", want: true},
		"https page behind a TLS proxy":               {host: "chat.example", proto: "https", origin: "https://chat.example", want: true},
		"http page behind a TLS proxy":                {host: "chat.example", proto: "https", origin: "http://chat.example", want: false},
		"proxy says http":                             {host: "chat.example", proto: "http", origin: "http://chat.example", want: true},
		"proxy header in upper case":                  {host: "chat.example", proto: "HTTPS", origin: "https://chat.example", want: true},
		"proxy list: the first entry counts":          {host: "chat.example", proto: "https, http", origin: "https://chat.example", want: true},
		"proxy says something else: http":             {host: "chat.example", proto: "wss", origin: "https://chat.example", want: false},
		"proxy says something else, http page":        {host: "chat.example", proto: "ftp", origin: "http://chat.example", want: true},
		"TLS wins over the proxy header":              {host: "chat.example", tls: true, proto: "http", origin: "https://chat.example", want: true},
		"default port written out (http)":             {host: "chat.example:80", origin: "http://chat.example", want: true},
		"default port in the origin (https)":          {host: "chat.example", tls: true, origin: "https://chat.example:443", want: true},
		"other port":                                  {host: "chat.example:8080", origin: "http://chat.example", want: false},
		"same port":                                   {host: "chat.example:8080", origin: "http://chat.example:8080", want: true},
		"host case ignored":                           {host: "Chat.Example", origin: "HTTP://chat.EXAMPLE", want: true},
		"other host":                                  {host: "chat.example", origin: "http://evil.example", want: false},
		"suffix of the host":                          {host: "chat.example", origin: "http://evilchat.example", want: false},
		"IPv6 same origin":                            {host: "[::1]:8080", origin: "http://[::1]:8080", want: true},
		"IPv6 other port":                             {host: "[::1]:8080", origin: "http://[::1]:9090", want: false},
		"null origin (sandboxed page)":                {host: "chat.example", origin: "null", want: false},
		"not http(s)":                                 {host: "chat.example", origin: "file://chat.example", want: false},
		"user info in the origin":                     {host: "chat.example", origin: "http://x@chat.example", want: false},
		"a path is no origin":                         {host: "chat.example", origin: "http://chat.example/page", want: false},
		"garbage":                                     {host: "chat.example", origin: "::not a url", want: false},
		"listed origin":                               {host: "chat.example", origin: "https://app.example", allowed: listed, want: true},
		"listed host with the other scheme":           {host: "chat.example", origin: "http://app.example", allowed: listed, want: false},
		"listed host with another port":               {host: "chat.example", origin: "https://app.example:8443", allowed: listed, want: false},
		"listed with a port and a slash":              {host: "chat.example", origin: "http://dev.example:3000", allowed: listed, want: true},
		"listed with a port, asked without":           {host: "chat.example", origin: "http://dev.example", allowed: listed, want: false},
		"listed, default port written in the origin":  {host: "chat.example", origin: "https://app.example:443", allowed: listed, want: true},
		"any origin":                                  {host: "chat.example", origin: "https://anything.example", allowed: []string{"*"}, want: true},
		"any origin still needs a parseable origin":   {host: "chat.example", origin: "null", allowed: []string{"*"}, want: false},
		"unlisted origin with a list":                 {host: "chat.example", origin: "https://evil.example", allowed: listed, want: false},
		"same origin allowed whatever the list holds": {host: "chat.example", origin: "http://chat.example", allowed: listed, want: true},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/messaging/", nil)
			r.Host = tc.host
			r.TLS = nil
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if got := originAllowed(r, tc.allowed); got != tc.want {
				t.Fatalf("originAllowed(Host %q, TLS %v, X-Forwarded-Proto %q, Origin %q, %q) = %v, want %v",
					tc.host, tc.tls, tc.proto, tc.origin, tc.allowed, got, tc.want)
			}
		})
	}
}
