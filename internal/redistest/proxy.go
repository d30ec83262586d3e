package redistest

import (
	"testing"

	"github.com/rtchat/rtchat/internal/tcpproxy"
)

// Proxy is a TCP proxy to Redis that a test controls (see tcpproxy).
type Proxy = tcpproxy.Proxy

// NewProxy listens on a free loopback port and forwards every connection
// to target (host:port). It is closed at the end of the test.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	return tcpproxy.New(tb, target)
}
