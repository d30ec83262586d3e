package consumer

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originAllowed reports whether a browser may open the WebSocket from the
// request's Origin: requests without one (non-browser clients) are allowed,
// same-origin requests are allowed, and other origins only when listed
// ("scheme://host[:port]", or "*" for any). An origin is its scheme, host
// and port, all three compared (a default port counts as given): a page
// on https://host is not the same origin as an http server on host, and
// neither is http://host:8080.
func originAllowed(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	o, ok := parseOrigin(origin)
	if !ok {
		return false
	}
	if self, ok := requestOrigin(r); ok && o == self {
		return true
	}
	for _, a := range allowed {
		if a == "*" {
			return true
		}
		if l, ok := parseOrigin(strings.TrimSuffix(a, "/")); ok && l == o {
			return true
		}
	}
	return false
}

// webOrigin is an origin's tuple, lower-cased, with the port always set.
type webOrigin struct{ scheme, host, port string }

// parseOrigin reads "scheme://host[:port]": only http and https, nothing
// after the authority (a browser sends no path), no user info. "null" (a
// sandboxed or file page) is no origin.
func parseOrigin(s string) (webOrigin, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return webOrigin{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return webOrigin{}, false
	}
	return hostOrigin(scheme, u.Host)
}

// requestOrigin is the origin the request was addressed to: its scheme
// (https for a TLS request, else X-Forwarded-Proto from a TLS-terminating
// proxy when it says http or https, else http) with its Host.
func requestOrigin(r *http.Request) (webOrigin, bool) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := forwardedProto(r); p != "" {
		scheme = p
	}
	return hostOrigin(scheme, r.Host)
}

// forwardedProto is the first X-Forwarded-Proto entry (the one the client's
// own proxy set) when it is http or https, else "".
func forwardedProto(r *http.Request) string {
	v := r.Header.Get("X-Forwarded-Proto")
	v, _, _ = strings.Cut(v, ",")
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case "http", "https":
		return v
	}
	return ""
}

// hostOrigin splits host[:port] (IPv6 in brackets) and fills in the
// scheme's default port.
func hostOrigin(scheme, hostport string) (webOrigin, bool) {
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.Contains(strings.Trim(hostport, "[]"), ":") && !strings.HasPrefix(hostport, "[") {
		return webOrigin{}, false // a bare IPv6 address or a bad port
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "" {
		return webOrigin{}, false
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return webOrigin{scheme: scheme, host: host, port: port}, true
}
