package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/rtchat/rtchat/protocol"
)

// ErrSessionClosed is what Session.Err returns, and what pending calls
// return, after Close.
var ErrSessionClosed = errors.New("client: session closed")

// Session is a connection to an rtchat server that outlives its WebSocket
// connections: it reconnects by itself, catches up by seq, and delivers each
// message of the user's rooms once and in seq order per room on Messages.
// Its methods are safe for concurrent use. Always call Close.
type Session struct {
	url string
	cfg sessionConfig

	// ctx is cancelled by Close; every wait of the session ends with it.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex    // guards conn and changed
	conn    *Client       // the open, caught-up connection; nil otherwise
	changed chan struct{} // closed and replaced whenever conn changes

	// delivered is the highest seq delivered per room. Only the run
	// goroutine touches it, so ordering needs no lock.
	delivered map[string]int64
	first     bool // until the first catch-up succeeds
	attempt   int  // reconnect attempts since the last successful catch-up

	qmu    sync.Mutex    // guards queue, qended and qwake
	queue  []Message     // delivered by the run goroutine, not yet received
	qended bool          // set when the run goroutine has ended
	qwake  chan struct{} // closed and replaced when queue or qended change
	out    chan Message  // Messages; closed by pump
	pumped chan struct{} // closed when pump has ended

	done chan struct{} // closed when the run goroutine has ended
	err  error         // why the session ended; written before done is closed
}

// Resume connects to url (ws:// or wss://) like Dial and returns a Session
// that keeps the user connected: when the connection drops (a close with
// 1001, 1006, 1012, 1013 or 4008, or a failed read) it reconnects after a
// backoff (WithBackoff; WithoutReconnect turns this off), lists the user's
// rooms and fetches every message stored after the last one it delivered.
//
// Resume returns once the first connection is open and the user's rooms
// are listed: every message of those rooms stored after that is
// delivered. ctx bounds the first handshake and that listing. The
// handshake's error (a *HandshakeError when the server refused the
// upgrade) is returned as is. Later handshakes that fail are retried,
// except 401, 403 and 404, which end the session.
func Resume(ctx context.Context, url string, opts ...SessionOption) (*Session, error) {
	cfg := defaultSessionConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c, err := Dial(ctx, url, cfg.dial...)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &Session{
		url: url, cfg: cfg, ctx: sctx, cancel: cancel,
		changed:   make(chan struct{}),
		delivered: make(map[string]int64),
		first:     true,
		qwake:     make(chan struct{}),
		out:       make(chan Message),
		pumped:    make(chan struct{}),
		done:      make(chan struct{}),
	}
	go s.run(c)
	go s.pump()
	// Return once the rooms are listed: every message of theirs stored
	// from then on reaches Messages.
	if _, err := s.connection(ctx, nil); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("client: resume: %w", err)
	}
	return s, nil
}

// Messages returns the channel on which every message.dispatch of the
// user's rooms arrives: once, and in seq order per room, across reconnects;
// the user's own messages included. Messages missed while disconnected
// arrive after the reconnect, before newer ones of the same room. Messages
// not yet received wait in an unbounded queue in memory, so read the
// channel continuously. It is closed when the session has ended and every
// queued message has been received, or at once by Close.
//
// Rooms listed at the first connection start at their last seq then (or at
// WithResumeFrom's); a room first seen at a reconnect (joined or created
// while disconnected) is delivered from its first message; a room joined
// while connected starts at its first live message.
func (s *Session) Messages() <-chan Message { return s.out }

// Done returns a channel that is closed when the session has ended: after
// Close, after a drop that is not retried, or after a refused reconnect.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session runs, ErrSessionClosed after Close, and
// otherwise the error that ended it: the connection's close error (see
// Client.CloseError) or the failed handshake's.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Connected reports whether the session is connected and caught up: a
// connection is open and the messages stored while the session had none
// have been fetched (and are being delivered).
func (s *Session) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// Close ends the session: it closes the connection (as Client.Close does)
// and waits for the session's goroutine. Pending calls return
// ErrSessionClosed and Messages is closed. Close returns nil; calling it
// again does nothing.
func (s *Session) Close() error {
	s.cancel()
	<-s.done
	<-s.pumped
	return nil
}

// Request sends a request on the current connection (waiting for one while
// reconnecting and catching up) and returns its answer, as Client.Request does. It is not
// retried when the connection drops: its error then wraps the close error.
func (s *Session) Request(ctx context.Context, eventType string, data any) (protocol.Frame, error) {
	c, err := s.connection(ctx, nil)
	if err != nil {
		return protocol.Frame{}, err
	}
	return c.Request(ctx, eventType, data)
}

// connection returns the open connection other than stale (one that
// failed the caller already), waiting for one while reconnecting.
func (s *Session) connection(ctx context.Context, stale *Client) (*Client, error) {
	for {
		s.mu.Lock()
		c, changed := s.conn, s.changed
		s.mu.Unlock()
		if c != nil && c != stale {
			return c, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("client: waiting for a connection: %w", ctx.Err())
		case <-s.done:
			return nil, s.endErr()
		}
	}
}

// endErr is what calls return once the session has ended.
func (s *Session) endErr() error {
	if errors.Is(s.err, ErrSessionClosed) {
		return ErrSessionClosed
	}
	return fmt.Errorf("client: session ended: %w", s.err)
}

func (s *Session) setConn(c *Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	close(s.changed)
	s.changed = make(chan struct{})
}

// run serves one connection after the other until Close or a drop that is
// not retried.
func (s *Session) run(c *Client) {
	defer func() {
		s.endQueue()
		close(s.done)
	}()
	for {
		err := s.serve(c)
		s.setConn(nil)
		_ = c.Close()
		if s.ctx.Err() != nil {
			s.err = ErrSessionClosed
			return
		}
		if !s.cfg.reconnect || !retryable(err) {
			s.err = err
			return
		}
		if c, err = s.redial(); err != nil {
			s.err = err
			return
		}
	}
}

// redial dials until it succeeds, waiting the backoff before each attempt.
func (s *Session) redial() (*Client, error) {
	for {
		t := time.NewTimer(s.cfg.delay(s.attempt))
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return nil, ErrSessionClosed
		}
		s.attempt++
		c, err := Dial(s.ctx, s.url, s.cfg.dial...)
		if err == nil {
			return c, nil
		}
		if s.ctx.Err() != nil {
			return nil, ErrSessionClosed
		}
		var he *HandshakeError
		if errors.As(err, &he) {
			switch he.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
				return nil, err // retrying cannot help
			}
		}
	}
}

// retryable tells a drop worth a reconnect from a deliberate close.
func retryable(err error) bool {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return err != nil && !errors.Is(err, ErrClosed) // a failed read
	}
	switch ce.Code {
	case websocket.CloseGoingAway, websocket.CloseAbnormalClosure, websocket.CloseServiceRestart,
		websocket.CloseTryAgainLater, protocol.CodeResync:
		return true
	}
	return false
}
