package consumer

import (
	"net/http"
	"net/url"
	"strings"
)

// originAllowed reports whether a browser may open the WebSocket from the
// request's Origin: requests without one (non-browser clients) are allowed,
// same-origin requests are allowed, and other origins only when listed
// ("scheme://host[:port]", or "*" for any).
func originAllowed(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	return false
}
