package dbtest

import (
	"net"
	"net/url"
	"testing"

	"github.com/rtchat/rtchat/internal/tcpproxy"
	"github.com/uptrace/bun"
)

// CuttablePostgres returns a fresh Postgres database (a schema of its own,
// as Open gives) reached through a proxy the test controls, to cut the link
// between rtchat and Postgres and restore it. It skips as Open does when
// RTCHAT_TEST_POSTGRES is unset outside CI. The DSN must be a postgres://
// URL, so that its host can be replaced by the proxy's.
func CuttablePostgres(tb testing.TB) (*tcpproxy.Proxy, *bun.DB) {
	tb.Helper()
	dsn := PostgresDSN(tb)
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		tb.Fatalf("%s: a cuttable database needs a postgres:// URL with a host, got %q", PostgresEnv, dsn)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := tcpproxy.New(tb, target)
	u.Host = proxy.Addr()
	q := u.Query()
	// A dial while the link is cut fails at once (the proxy closes it); the
	// timeout only bounds a dial that hangs.
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return proxy, openSchema(tb, u.String())
}
