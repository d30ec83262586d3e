package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/rtchat/rtchat/protocol"
)

// closeTimeout bounds how long Close waits for the server to answer its close
// frame before it drops the connection.
const closeTimeout = time.Second

// ErrClosed is what CloseError returns, and what the errors of released calls
// wrap, when Close dropped the connection before the server answered its close
// frame. When the server does answer, CloseError is its *websocket.CloseError
// with code 1000.
var ErrClosed = errors.New("client: connection closed")

// Option configures Dial.
type Option func(*options)

type options struct {
	token  string
	header http.Header
	dialer *websocket.Dialer
}

// WithToken sends token as "Authorization: Bearer <token>" on the upgrade
// request. Default: no Authorization header.
func WithToken(token string) Option {
	return func(o *options) { o.token = token }
}

// WithHeader adds h to the upgrade request's headers (Origin, Cookie, ...).
// Several calls add up; the token of WithToken wins over an Authorization
// header given here. Default: none.
func WithHeader(h http.Header) Option {
	return func(o *options) {
		for k, vs := range h {
			for _, v := range vs {
				o.header.Add(k, v)
			}
		}
	}
}

// WithDialer sets the dialer (TLS config, proxy, buffer sizes, handshake
// timeout). Default: websocket.DefaultDialer.
func WithDialer(d *websocket.Dialer) Option {
	return func(o *options) { o.dialer = d }
}

// HandshakeError is returned by Dial when the server answered the upgrade
// request with something other than 101 Switching Protocols, for example 401
// without a user or 403 for a foreign Origin.
type HandshakeError struct {
	// StatusCode is the HTTP status of the server's answer.
	StatusCode int
	// Body is the start of the answer's body (gorilla keeps at most 1 KiB).
	Body string

	err error
}

// Error implements the error interface.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("client: websocket handshake failed: HTTP %d: %s", e.StatusCode, e.Body)
}

// Unwrap returns the dialer's error, usually websocket.ErrBadHandshake.
func (e *HandshakeError) Unwrap() error { return e.err }

// Client is one WebSocket connection to an rtchat server. Its methods are safe
// for concurrent use.
type Client struct {
	conn  *websocket.Conn
	inbox *inbox
	ids   atomic.Uint64

	writeMu sync.Mutex // serialises data frames: gorilla allows one writer at a time

	mu      sync.Mutex                     // guards waiters
	waiters map[string]chan protocol.Frame // request_id -> the pending Request's channel (buffered, 1)

	closing   atomic.Bool // set by Close, so the read loop can tell a local close from a failure
	closeOnce sync.Once

	// done is closed when the read loop has ended; closeErr is written before.
	done     chan struct{}
	closeErr error
}

// Dial opens a WebSocket connection to url (ws:// or wss://) and starts
// reading frames. ctx bounds the handshake only. If the server refuses the
// upgrade, the error is a *HandshakeError.
func Dial(ctx context.Context, url string, opts ...Option) (*Client, error) {
	o := options{header: http.Header{}}
	for _, opt := range opts {
		opt(&o)
	}
	d := o.dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	if o.token != "" {
		o.header.Set("Authorization", "Bearer "+o.token)
	}
	conn, resp, err := d.DialContext(ctx, url, o.header)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			return nil, &HandshakeError{StatusCode: resp.StatusCode, Body: string(body), err: err}
		}
		return nil, fmt.Errorf("client: dial %s: %w", url, err)
	}
	c := &Client{
		conn:    conn,
		inbox:   newInbox(),
		waiters: make(map[string]chan protocol.Frame),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

// readLoop files every frame in the inbox, then hands it to the Request
// waiting for its request_id, so that when Request returns the frame is
// already counted by Pending.
func (c *Client) readLoop() {
	for {
		_, p, err := c.conn.ReadMessage()
		if err != nil {
			c.finish(err)
			return
		}
		var f protocol.Frame
		if json.Unmarshal(p, &f) != nil {
			// Not a JSON object: keep the bytes so a test can look at them.
			f = protocol.Frame{Data: p}
		}
		c.inbox.push(f)
		if f.RequestID == "" {
			continue
		}
		c.mu.Lock()
		ch := c.waiters[f.RequestID]
		delete(c.waiters, f.RequestID)
		c.mu.Unlock()
		if ch != nil {
			ch <- f // buffered and used once: never blocks
		}
	}
}

func (c *Client) finish(err error) {
	var ce *websocket.CloseError
	if c.closing.Load() && !errors.As(err, &ce) {
		err = ErrClosed
	}
	c.closeErr = err
	_ = c.conn.Close()
	close(c.done)
}

// Close sends a normal close frame (1000), waits up to a second for the
// server's answer, closes the connection and waits for the read goroutine to
// end. Pending Request and Next calls return. Close always returns nil; calling
// it again does nothing.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		// Fails harmlessly when the connection is already gone.
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
		t := time.NewTimer(closeTimeout)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
		_ = c.conn.Close() // ends ReadMessage if the server did not answer
	})
	<-c.done
	return nil
}

// Closed returns a channel that is closed when the connection has ended, for
// whatever reason.
func (c *Client) Closed() <-chan struct{} { return c.done }

// CloseError returns the error that ended the read loop, or nil while the
// connection is open. When the server closed the connection it is a
// *websocket.CloseError carrying the close code (1001, 1009, 4008, ...; 1000
// when it answered Close); when Close had to drop the connection, ErrClosed;
// otherwise the read error (for example io.ErrUnexpectedEOF).
func (c *Client) CloseError() error {
	select {
	case <-c.done:
		return c.closeErr
	default:
		return nil
	}
}

// CloseCode returns the code of the server's close frame, or 0 while the
// connection is open or when it ended without a close frame.
func (c *Client) CloseCode() int {
	var ce *websocket.CloseError
	if errors.As(c.CloseError(), &ce) {
		return ce.Code
	}
	return 0
}

// closedErr is what calls return once the connection has ended.
func (c *Client) closedErr() error {
	return fmt.Errorf("client: connection ended: %w", c.closeErr)
}

// Request sends a request with a fresh request_id and returns the first frame
// that carries the same request_id: the reply to the caller, or the caller's
// copy of the room broadcast the request caused. If that frame is an error
// frame the error is its *protocol.Error (returned unwrapped) and the frame is
// returned too. The frame also stays in the inbox, for Next.
//
// Request returns early with ctx's error when ctx is done, and with an error
// wrapping CloseError when the connection ends first.
func (c *Client) Request(ctx context.Context, eventType string, data any) (protocol.Frame, error) {
	id := c.newID()
	ch := make(chan protocol.Frame, 1)
	c.mu.Lock()
	c.waiters[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
	}()

	if err := c.send(ctx, eventType, data, id); err != nil {
		return protocol.Frame{}, err
	}
	select {
	case f := <-ch:
		return reply(f)
	case <-ctx.Done():
		return protocol.Frame{}, fmt.Errorf("client: %s request %s: %w", eventType, id, ctx.Err())
	case <-c.done:
		// The read loop hands over a frame before it closes done.
		select {
		case f := <-ch:
			return reply(f)
		default:
			return protocol.Frame{}, c.closedErr()
		}
	}
}

func reply(f protocol.Frame) (protocol.Frame, error) {
	if f.Error != nil {
		return f, f.Error
	}
	return f, nil
}

// Send sends a request without waiting for an answer and returns the
// request_id it carried, so its answers can be recognised in the inbox.
func (c *Client) Send(ctx context.Context, eventType string, data any) (requestID string, err error) {
	id := c.newID()
	if err := c.send(ctx, eventType, data, id); err != nil {
		return "", err
	}
	return id, nil
}

// SendMessage sends message.send for roomID with content and a fresh
// client_msg_id, and returns the caller's copy of the message.dispatch
// broadcast (or the stored message, for a retried client_msg_id).
//
// A server of several nodes may answer a send with done.dispatch: the
// message was stored, and reached the connection from the database before
// the broker brought its copy with the request_id. SendMessage then asks
// again with the same client_msg_id, which answers with the stored message.
// That answer is returned but not left in the inbox (Next, Pending), which
// holds the message already: each message is queued once.
func (c *Client) SendMessage(ctx context.Context, roomID, content string) (protocol.Frame, error) {
	data := map[string]any{"room_id": roomID, "content": content, "client_msg_id": uuid.NewString()}
	for again := false; ; again = true {
		f, err := c.Request(ctx, protocol.EventMessageSend, data)
		if err != nil || f.EventType != protocol.DispatchDone {
			if err == nil && again && f.EventType == protocol.DispatchMessage {
				c.inbox.removeAnswer(f)
			}
			return f, err
		}
	}
}

// SendRaw writes payload as one frame of messageType (websocket.TextMessage
// or websocket.BinaryMessage), as is: for sending malformed, non-object,
// binary or oversize frames.
func (c *Client) SendRaw(ctx context.Context, messageType int, payload []byte) error {
	return c.write(ctx, messageType, payload)
}

func (c *Client) newID() string {
	return "r-" + strconv.FormatUint(c.ids.Add(1), 10)
}

func (c *Client) send(ctx context.Context, eventType string, data any, id string) error {
	req := protocol.Request{EventType: eventType, RequestID: id}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("client: encode %s data: %w", eventType, err)
		}
		req.Data = raw
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("client: encode %s request: %w", eventType, err)
	}
	return c.write(ctx, websocket.TextMessage, payload)
}

// write sends one frame. ctx's deadline becomes the write deadline; a ctx
// without a deadline is only checked before writing.
func (c *Client) write(ctx context.Context, messageType int, payload []byte) error {
	select {
	case <-c.done:
		return c.closedErr()
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	deadline, _ := ctx.Deadline() // zero: no deadline
	_ = c.conn.SetWriteDeadline(deadline)
	if err := c.conn.WriteMessage(messageType, payload); err != nil {
		select {
		case <-c.done:
			return c.closedErr()
		default:
			return fmt.Errorf("client: write: %w", err)
		}
	}
	return nil
}

// Next removes and returns the oldest received frame whose eventType is
// eventType (ErrorKey, "error", for error frames; "" for frames that are not
// JSON objects, whose raw bytes are in Data). It waits for one if none is
// queued. Frames that answered a Request are queued too.
//
// Next returns ctx's error when ctx is done first, and an error wrapping
// CloseError when the connection has ended and no such frame is queued.
func (c *Client) Next(ctx context.Context, eventType string) (protocol.Frame, error) {
	for {
		f, ok, wake := c.inbox.tryPop(eventType)
		if ok {
			return f, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return protocol.Frame{}, fmt.Errorf("client: waiting for %q: %w", eventType, ctx.Err())
		case <-c.done:
			// The read loop queues every frame before it closes done, so
			// this look is final.
			if f, ok, _ := c.inbox.tryPop(eventType); ok {
				return f, nil
			}
			return protocol.Frame{}, c.closedErr()
		}
	}
}

// NextError is Next for error frames: it returns the oldest unconsumed error
// frame, whose Error field holds the *protocol.Error.
func (c *Client) NextError(ctx context.Context) (protocol.Frame, error) {
	return c.Next(ctx, ErrorKey)
}

// Pending returns how many received frames of eventType have not been taken
// by Next. To assert that nothing arrived, make a Request first: the server
// handles a connection's frames in order, so its answer is a barrier.
func (c *Client) Pending(eventType string) int { return c.inbox.len(eventType) }

// Drain discards the queued frames of eventType.
func (c *Client) Drain(eventType string) { c.inbox.drain(eventType) }

// Decode unmarshals f.Data into a T.
func Decode[T any](f protocol.Frame) (T, error) {
	var v T
	if err := json.Unmarshal(f.Data, &v); err != nil {
		return v, fmt.Errorf("client: decode %s data: %w", f.EventType, err)
	}
	return v, nil
}
