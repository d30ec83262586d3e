// Package tcpproxy is a TCP proxy that a test controls, to put a network
// fault between rtchat and a service it depends on (Redis, Postgres): cut
// the link and restore it, or make it silent without closing it.
package tcpproxy

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy to a service that a test controls, to cut the
// connection (Cut, Restore) or make it silent without closing it (Freeze),
// as a failed network does.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and every connection's copiers

	mu      sync.Mutex // guards conns, cut and closed
	conns   map[*link]struct{}
	cut     bool
	closed  bool
	refused atomic.Int64 // connections closed at once while cut
}

// link is one proxied connection.
type link struct {
	client, server net.Conn
	frozen         atomic.Bool // data read is dropped instead of forwarded
}

// New listens on a free loopback port and forwards every connection
// to target (host:port). It is closed at the end of the test.
func New(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

// Addr is the address clients dial instead of the service.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every open connection and closes each new one at once until
// Restore, as a service that went away does.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
	p.closeAll()
}

// Restore lets new connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Refused counts the connections closed at once while cut.
func (p *Proxy) Refused() int64 { return p.refused.Load() }

// Freeze makes every open connection silent in both directions without
// closing it (a half-open link: writes succeed, nothing arrives); new
// connections work.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.conns {
		l.frozen.Store(true)
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			p.refused.Add(1)
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		l := &link{client: c, server: s}
		p.mu.Lock()
		if p.cut || p.closed {
			// Cut or closed while dialling.
			p.mu.Unlock()
			_ = c.Close()
			_ = s.Close()
			continue
		}
		p.conns[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(l, c, s)
		go p.pipe(l, s, c)
	}
}

// pipe copies src to dst until either closes, dropping what it reads while
// the link is frozen.
func (p *Proxy) pipe(l *link, src, dst net.Conn) {
	defer p.wg.Done()
	defer p.drop(l)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// drop closes both ends of l and forgets it.
func (p *Proxy) drop(l *link) {
	_ = l.client.Close()
	_ = l.server.Close()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

func (p *Proxy) closeAll() {
	p.mu.Lock()
	ls := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		ls = append(ls, l)
	}
	p.mu.Unlock()
	for _, l := range ls {
		p.drop(l)
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.closeAll()
	p.wg.Wait()
}
