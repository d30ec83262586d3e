package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/protocol"
)

// loadConn is one load client: gorilla directly rather than package client,
// because client keeps every frame in an unbounded inbox and decodes each
// one, which at thousands of connections would measure the client more than
// the server. Its reader runs from the moment the connection opens and never
// blocks on anyone, so the server never sees a slow reader.
type loadConn struct {
	ws   *websocket.Conn
	user int64

	writeMu sync.Mutex // gorilla allows one writer at a time

	mu      sync.Mutex               // guards waiters
	waiters map[string]chan response // request_id -> the pending request's channel (buffered, 1)
	ids     atomic.Uint64

	// onFrame sees every frame with its arrival time, on the reader
	// goroutine; it must not block.
	onFrame func(p []byte, at time.Time)

	first     chan struct{} // closed when the first frame arrives
	firstOnce sync.Once
	done      chan struct{} // closed when the reader has ended
	closeCode atomic.Int32  // the server's close code, once done
	closing   atomic.Bool
}

// response is a frame answering a request: the raw frame, or the error
// frame's error.
type response struct {
	frame []byte
	err   error
}

// dialer opens load connections to one WebSocket URL, spreading them over
// several loopback source addresses so that tens of thousands of
// connections (and the TIME_WAIT they leave) do not exhaust one address's
// ephemeral ports.
type dialer struct {
	url string // the first node's
	// urls, when there are several nodes, are every node's URL: load user
	// base+n connects to urls[(n-1) % len(urls)].
	urls  []string
	base  int64
	auth  authFunc // nil: no Authorization header (bare melody)
	ws    websocket.Dialer
	next  atomic.Uint32
	local bool // the target is on loopback: bind 127.0.0.x sources
}

// sourceAddrs is how many loopback source addresses connections rotate over.
const sourceAddrs = 8

// authFunc returns the bearer token of load user n and the user id the
// server knows that user by.
type authFunc func(user int64) (token string, id int64, err error)

func newDialer(wsURL string, auth authFunc) (*dialer, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, fmt.Errorf("chatbench: url %q: %w", wsURL, err)
	}
	d := &dialer{url: wsURL, auth: auth}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && ip.To4() != nil {
		d.local = true
	}
	d.ws = websocket.Dialer{
		HandshakeTimeout: 60 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  1024,
		NetDialContext:   d.netDial,
	}
	return d, nil
}

// spread has load users connect to the nodes at urls round-robin: load
// user base+1 to the first, base+2 to the second, and so on.
func (d *dialer) spread(urls []string, base int64) {
	d.urls, d.base = urls, base
}

// urlFor returns the URL user connects to.
func (d *dialer) urlFor(user int64) string {
	n := int64(len(d.urls))
	if n < 2 {
		return d.url
	}
	i := (user - d.base - 1) % n
	if i < 0 {
		i += n
	}
	return d.urls[i]
}

func (d *dialer) netDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	if d.local {
		i := d.next.Add(1) % sourceAddrs
		nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
	}
	return nd.DialContext(ctx, network, addr)
}

// dial opens a connection for user and starts its reader; onFrame may be nil.
func (d *dialer) dial(ctx context.Context, user int64, onFrame func([]byte, time.Time)) (*loadConn, error) {
	h := http.Header{}
	if d.auth != nil {
		tok, _, err := d.auth(user)
		if err != nil {
			return nil, err
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	ws, resp, err := d.ws.DialContext(ctx, d.urlFor(user), h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("chatbench: dial user %d: HTTP %d: %w", user, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("chatbench: dial user %d: %w", user, err)
	}
	c := &loadConn{
		ws: ws, user: user, onFrame: onFrame,
		waiters: make(map[string]chan response),
		first:   make(chan struct{}), done: make(chan struct{}),
	}
	go c.read()
	return c, nil
}

var requestIDKey = []byte(`"request_id"`)

func (c *loadConn) read() {
	defer close(c.done)
	for {
		_, p, err := c.ws.ReadMessage()
		at := time.Now()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.closeCode.Store(int32(ce.Code))
			}
			_ = c.ws.Close()
			c.failWaiters(err)
			return
		}
		c.firstOnce.Do(func() { close(c.first) })
		if c.onFrame != nil {
			c.onFrame(p, at)
		}
		if bytes.Contains(p, requestIDKey) {
			c.answer(p)
		}
	}
}

// answer hands a frame carrying a request_id to the request waiting for it.
func (c *loadConn) answer(p []byte) {
	var f struct {
		RequestID string          `json:"request_id"`
		Error     *protocol.Error `json:"error"`
	}
	if json.Unmarshal(p, &f) != nil || f.RequestID == "" {
		return
	}
	c.mu.Lock()
	ch := c.waiters[f.RequestID]
	delete(c.waiters, f.RequestID)
	c.mu.Unlock()
	if ch == nil {
		return
	}
	r := response{frame: p}
	if f.Error != nil {
		r.err = f.Error
	}
	ch <- r
}

func (c *loadConn) failWaiters(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ch := range c.waiters {
		ch <- response{err: fmt.Errorf("chatbench: connection of user %d ended: %w", c.user, err)}
		delete(c.waiters, id)
	}
}

// send writes a request and returns its request_id, without waiting.
func (c *loadConn) send(event string, data any) (string, error) {
	id := "b" + fmt.Sprint(c.ids.Add(1))
	return id, c.write(event, data, id)
}

// request writes a request and waits for the first frame carrying its
// request_id (the reply, or the caller's copy of a room broadcast).
func (c *loadConn) request(ctx context.Context, event string, data any) ([]byte, error) {
	id := "b" + fmt.Sprint(c.ids.Add(1))
	ch := make(chan response, 1)
	c.mu.Lock()
	c.waiters[id] = ch
	c.mu.Unlock()
	select {
	case <-c.done:
		return nil, fmt.Errorf("chatbench: %s: connection of user %d has ended", event, c.user)
	default:
	}
	if err := c.write(event, data, id); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return r.frame, fmt.Errorf("chatbench: %s: %w", event, r.err)
		}
		return r.frame, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
		return nil, fmt.Errorf("chatbench: %s: %w", event, ctx.Err())
	}
}

func (c *loadConn) write(event string, data any, id string) error {
	req := protocol.Request{EventType: event, RequestID: id}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return err
		}
		req.Data = raw
	}
	p, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return c.writeRaw(p)
}

func (c *loadConn) writeRaw(p []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, p)
}

// waitFirst waits for the connection's first frame: rtchat sends
// chat.notifications once the connection is registered.
func (c *loadConn) waitFirst(ctx context.Context) error {
	select {
	case <-c.first:
		return nil
	case <-c.done:
		return fmt.Errorf("chatbench: user %d closed before its first frame (code %d)", c.user, c.closeCode.Load())
	case <-ctx.Done():
		return fmt.Errorf("chatbench: user %d: no first frame: %w", c.user, ctx.Err())
	}
}

// closed reports whether the reader has ended.
func (c *loadConn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// close sends a normal close frame, waits up to a second for the server's
// answer and drops the connection.
func (c *loadConn) close() {
	if !c.closing.CompareAndSwap(false, true) {
		<-c.done
		return
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	t := time.NewTimer(time.Second)
	select {
	case <-c.done:
	case <-t.C:
	}
	t.Stop()
	_ = c.ws.Close()
	<-c.done
}

// closeAll closes conns concurrently (a thousand sequential one-second
// close handshakes would be long) and waits for them.
func closeAll(conns []*loadConn) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c.close()
			<-sem
		}()
	}
	wg.Wait()
}

// dialMany opens one connection per user with at most par dials at once;
// frame(i) gives the i-th connection's onFrame. With awaitFirst a dial
// counts as done only when its first frame (rtchat's chat.notifications:
// the connection is registered) has arrived, so at most par registrations
// are in flight. On error it closes what it opened.
func dialMany(ctx context.Context, d *dialer, users []int64, par int, awaitFirst bool, frame func(i int) func([]byte, time.Time)) ([]*loadConn, error) {
	conns := make([]*loadConn, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	for i, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var on func([]byte, time.Time)
			if frame != nil {
				on = frame(i)
			}
			conns[i], errs[i] = d.dial(ctx, u, on)
			if errs[i] == nil && awaitFirst {
				errs[i] = conns[i].waitFirst(ctx)
			}
		}()
	}
	wg.Wait()
	if err := firstErr(errs); err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

// firstErr returns the first non-nil error of errs, saying how many failed,
// so that a thousand failed dials do not print a thousand lines.
func firstErr(errs []error) error {
	n := 0
	var first error
	for _, err := range errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w (and %d more)", first, n-1)
	}
	return first
}
