package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/internal/stripe"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/protocol"
)

// Config is what the Consumer needs; rtchat.New fills it from its options
// and has already validated it.
type Config struct {
	Env    *handler.Env
	Events *eventmap.Map
	Broker broker.Broker
	// Presence is told of every connection; it is also Env.Presence.
	Presence       presence.Manager
	Hooks          Hooks
	ErrorHandler   func(error) *protocol.Error
	Logger         *slog.Logger
	NodeID         string
	MaxMessageSize int64
	SendBuffer     int
	WriteTimeout   time.Duration
	// Inactivity is how long a connection may stay silent (no frame, no
	// pong) before the server closes it.
	Inactivity     time.Duration
	AllowedOrigins []string
	Notifications  bool
	EventTimeout   time.Duration
	// RateLimit is each user's frames per second on this node, all their
	// connections here together (0: no limit), with bursts of RateBurst.
	RateLimit float64
	RateBurst int
	// EventRateLimits are per user limits of single event types, checked
	// besides RateLimit.
	EventRateLimits map[string]RateSpec
	// RateLimitClose is how many refused frames within RateLimitWindow
	// close a connection with 1008 (0: never).
	RateLimitClose  int
	RateLimitWindow time.Duration
	// SessionRetention is how long session rows are kept after their
	// connection closed; see the sweeper.
	SessionRetention time.Duration
	// ReorderWindow is how long a room message that arrived before a seq
	// it follows waits for it before the gap is read from the database
	// (see order.go); 0 is 50ms.
	ReorderWindow time.Duration
	// PresenceInterval is how long presence changes are collected before
	// they are announced together (0: each at once); see presence.go.
	PresenceInterval time.Duration
	// MaxConnectionsPerUser is the most live connections a user may have
	// on all nodes together (0: no cap); Presence enforces it.
	MaxConnectionsPerUser int
	// Metrics receives the measurements (nil: none are taken); see
	// metrics.go.
	Metrics Metrics
}

// Consumer serves the WebSocket connections of one node.
type Consumer struct {
	cfg     Config
	mel     *melody.Melody
	hub     *hub
	log     *slog.Logger
	base    context.Context
	stop    context.CancelFunc
	started time.Time // when New ran; older open rows of this node are a previous run's
	// wg counts the connections being served, the goroutines kill starts
	// and the sweeper.
	wg sync.WaitGroup

	mu       sync.Mutex // guards sweeping, resyncs, calls of stop and wg.Add from ServeHTTP and resync, so nothing starts once Close has begun
	sweeping bool       // the sweeper has been started

	userLocks   userLocks
	memberLocks stripe.Locks // see membership.go
	resyncs     resyncState  // guarded by mu
	presence    presenceBatch
	shutdown    shutdown
	order       *orderer
	limits      *limiters // see ratelimit.go
	metrics     Metrics   // cfg.Metrics; nil: no measurements
}

const connKey = "rtchat.conn"

// writeBuffers is the write buffer pool of every consumer's connections;
// gorilla keeps a buffer only while it writes a frame.
var writeBuffers sync.Pool

// New returns a consumer and subscribes it to the broker.
func New(cfg Config) (*Consumer, error) {
	base, stop := context.WithCancel(context.Background())
	cs := &Consumer{cfg: cfg, hub: newHub(), log: cfg.Logger, base: base, stop: stop, started: model.Now(), metrics: cfg.Metrics}
	cs.order = newOrderer(cs, cfg.ReorderWindow)
	cs.limits = newLimiters(RateSpec{PerSecond: cfg.RateLimit, Burst: cfg.RateBurst}, cfg.EventRateLimits)
	m := melody.New()
	m.Config.MaxMessageSize = cfg.MaxMessageSize
	m.Config.MessageBufferSize = cfg.SendBuffer
	m.Config.WriteWait = cfg.WriteTimeout
	// A silent connection fails its read after PongWait; pinging at half of
	// it leaves a live client half the threshold to answer (see liveness.go).
	m.Config.PongWait = cfg.Inactivity
	m.Config.PingPeriod = cfg.Inactivity / 2
	// Memory per idle connection (see BenchmarkIdleMemory): a read buffer
	// size of 0 makes gorilla read through the 4 KiB buffer net/http already
	// holds for the hijacked connection, and the write buffers come from a
	// pool, taken for one frame and given back, so an idle connection holds
	// none.
	m.Upgrader.ReadBufferSize = 0
	m.Upgrader.WriteBufferSize = 4096
	m.Upgrader.WriteBufferPool = &writeBuffers
	// ServeHTTP checks the origin before upgrading, with its own answer.
	m.Upgrader.CheckOrigin = func(*http.Request) bool { return true }
	m.HandleConnect(cs.onConnect)
	m.HandleDisconnect(cs.onDisconnect)
	m.HandleMessage(cs.onMessage)
	m.HandleMessageBinary(cs.onBinary)
	m.HandleError(cs.onError)
	m.HandlePong(cs.onPong)
	cs.mel = m
	if err := cfg.Broker.Subscribe(base, cs.deliver); err != nil {
		stop()
		return nil, fmt.Errorf("rtchat: subscribe to broker: %w", err)
	}
	if pc, ok := cfg.Presence.(presence.Cluster); ok {
		if err := pc.Start(cfg.NodeID, cs.presenceChange); err != nil {
			stop()
			return nil, fmt.Errorf("rtchat: start presence: %w", err)
		}
	}
	return cs, nil
}

// ServeHTTP upgrades an authenticated request (the user id comes from
// WithUser on its context) and serves the connection until it ends.
func (cs *Consumer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	userID, ok := UserFrom(r.Context())
	if !ok {
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	if !originAllowed(r, cs.cfg.AllowedOrigins) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	if !cs.begin() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer cs.wg.Done()
	c := &Conn{id: uuid.NewString(), userID: userID, req: r, wg: &cs.wg}
	if err := cs.mel.HandleRequestWithKeys(w, r, map[string]any{connKey: c}); err != nil {
		cs.log.Debug("rtchat: upgrade failed", "err", err)
	}
}

// begin counts a connection about to be served, and starts the sweeper with
// the first one. It reports false once Close has begun.
func (cs *Consumer) begin() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.base.Err() != nil {
		return false
	}
	if !cs.sweeping {
		cs.sweeping = true
		cs.wg.Add(1)
		go cs.sweepLoop()
	}
	cs.wg.Add(1)
	return true
}

// eventCtx returns the context of one piece of work for a connection: it
// ends with Close or after the event timeout.
func (cs *Consumer) eventCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(cs.base, cs.cfg.EventTimeout)
}

func connOf(s *melody.Session) *Conn {
	c, _ := s.Keys[connKey].(*Conn)
	return c
}

// onConnect sets a connection up: the app's hook first (it may refuse the
// connection before anything is set up), then the index (so membership
// changes published from now on reach it), presence (the first connection
// of a user announces them online; one over the user's cap is closed with
// 4029 and goes no further), the session row, the rooms (a room event
// published before this point is caught up by seq, as after any reconnect),
// pending notifications. It runs before melody starts the connection's
// pumps, on what becomes its read goroutine.
func (cs *Consumer) onConnect(s *melody.Session) {
	c := connOf(s)
	c.sess = s
	c.limits = cs.limits.acquire(c.userID)
	if cs.metrics != nil {
		cs.metrics.ConnOpened()
	}
	now := model.Now()
	c.connectedAt = now
	c.lastSeen.Store(now.UnixNano())
	c.flushed = now.UnixNano()
	cs.watch(c)
	// The connect work (the hook, queries, serialising notifications) runs
	// on a goroutine of its own, and this one waits: the stack it grows is
	// freed when it ends, instead of staying with the connection's read
	// goroutine for as long as the connection lives.
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cs.connectRecover(c)
		cs.connect(c, now)
	}()
	<-done
}

// connect is the connect work of onConnect.
func (cs *Consumer) connect(c *Conn, now time.Time) {
	ctx, cancel := cs.eventCtx()
	defer cancel()
	if !cs.accept(ctx, c) {
		return
	}
	cs.hub.addConn(c)
	if cs.base.Err() != nil {
		// Close began after this connection was counted but before its
		// snapshot of the index could see it.
		c.kill(protocol.CloseGoingAway, "server shutting down", time.Second)
		return
	}
	cs.register(ctx, c, now)
}

// accept runs the app's OnConnect hook. A refusal closes the connection
// with the code connectError gives, a panic with 1011; either way nothing
// has been set up, so nothing is undone when it ends.
func (cs *Consumer) accept(ctx context.Context, c *Conn) (ok bool) {
	if h := cs.cfg.Hooks.OnConnect; h != nil {
		defer func() {
			if p := recover(); p != nil {
				cs.log.Error("rtchat: OnConnect panicked", "user", c.userID, "panic", p, "stack", string(debug.Stack()))
				c.kill(protocol.CloseInternalError, "internal error", time.Second)
				ok = false
			}
		}()
		if err := h(ctx, c); err != nil {
			pe := cs.connectError(err)
			cs.log.Debug("rtchat: connection refused", "user", c.userID, "code", pe.Code, "err", err)
			c.kill(pe.Code, closeReason(pe.Detail), time.Second)
			return false
		}
	}
	c.accepted.Store(true)
	return true
}

// register is the rest of the connect work, once the connection is in the
// index: presence first (a user at the connection cap is closed with 4029
// before anything else is set up), then the session row, the rooms and the
// pending notifications.
func (cs *Consumer) register(ctx context.Context, c *Conn, now time.Time) {
	if !cs.comeOnline(ctx, c) {
		return
	}
	store := cs.cfg.Env.Store
	if err := store.StartSession(ctx, &model.Session{ID: c.id, UserID: c.userID, NodeID: cs.cfg.NodeID, ConnectedAt: now, LastSeen: now}); err != nil {
		cs.log.Error("rtchat: record session", "err", err, "user", c.userID)
		if cs.metrics != nil {
			cs.databaseError(OpConnect, err)
		}
	}
	rooms, err := store.UserRoomSeqs(ctx, c.userID)
	if err != nil {
		if cs.metrics != nil {
			cs.databaseError(OpConnect, err)
		}
		// Without its rooms the connection would miss events silently.
		cs.log.Error("rtchat: load rooms on connect", "err", err, "user", c.userID)
		c.kill(protocol.CloseTryAgainLater, "rooms unavailable, reconnect", time.Second)
		return
	}
	cs.addRooms(c, rooms)
	if cs.cfg.Notifications {
		cs.pushNotifications(ctx, c)
	}
}

func (cs *Consumer) pushNotifications(ctx context.Context, c *Conn) {
	data, err := handler.PendingNotifications(ctx, cs.cfg.Env, c.userID)
	if err != nil {
		cs.log.Error("rtchat: load notifications", "err", err, "user", c.userID)
		cs.writeError(c, err, protocol.DispatchNotifications, "")
		return
	}
	frame, err := protocol.EncodeEvent(protocol.DispatchNotifications, data, "")
	if err != nil {
		cs.log.Error("rtchat: encode notifications", "err", err)
		return
	}
	c.write(frame)
}

// onDisconnect runs once the connection's read pump has ended, whoever
// closed it: it leaves the index at once, its session row is marked
// disconnected (with its last activity as last_seen), presence forgets it
// (the last connection of a user announces them offline), and the app's hook
// runs last. During Close, the row and the announcement join the shutdown
// batch, which Close writes once every connection has ended.
func (cs *Consumer) onDisconnect(s *melody.Session) {
	c := connOf(s)
	cs.hub.removeConn(c)
	cs.limits.release(c.userID, c.limits)
	if cs.metrics != nil {
		cs.metrics.ConnClosed(c.closeCode())
	}
	if !c.accepted.Load() {
		return // refused by OnConnect: nothing was set up
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cs.base), cs.cfg.EventTimeout)
	defer cancel()
	end := model.SessionEnd{ID: c.id, LastSeen: c.LastSeen().Truncate(time.Microsecond)}
	if cs.base.Err() == nil || !cs.shutdown.addEnd(end) {
		if err := cs.cfg.Env.Store.EndSession(ctx, end.ID, end.LastSeen, model.Now()); err != nil {
			cs.log.Error("rtchat: end session", "err", err, "user", c.userID)
			if cs.metrics != nil {
				cs.databaseError(OpDisconnect, err)
			}
		}
	}
	// A panicking presence manager or hook must neither end the process
	// (this is the read goroutine) nor skip what follows it.
	cs.safely("presence disconnect", c, func() { cs.goOffline(ctx, c) })
	if h := cs.cfg.Hooks.OnDisconnect; h != nil {
		cs.safely("OnDisconnect", c, func() { h(ctx, c) })
	}
}

// onPong counts a pong as activity; melody has already moved the read
// deadline.
func (cs *Consumer) onPong(s *melody.Session) { cs.touch(connOf(s)) }

func (cs *Consumer) onError(s *melody.Session, err error) {
	if errors.Is(err, melody.ErrMessageBufferFull) {
		// A lagging client that still reads gets the 4008 frame after what
		// is already on its way, so give the close the write timeout.
		if connOf(s).kill(protocol.CodeResync, "fell behind: reconnect and catch up by seq", cs.cfg.WriteTimeout) && cs.metrics != nil {
			cs.metrics.Resync(ResyncFellBehind)
		}
		return
	}
	if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
		// The client closed the connection (the read pump ends with it).
		connOf(s).closedWith.CompareAndSwap(0, int32(ce.Code))
	}
}

func (cs *Consumer) onBinary(s *melody.Session, _ []byte) {
	c := connOf(s)
	if c.killed.Load() {
		return
	}
	cs.touch(c)
	if cs.limited(c, "", "") {
		return
	}
	cs.writeError(c, protocol.NewError(protocol.CodeInvalid, protocol.DetailBinaryFrame), "", "")
	if cs.metrics != nil {
		cs.metrics.Event("", protocol.CodeInvalid, 0)
	}
}

// onMessage handles one text frame, on the connection's read goroutine, so
// frames are handled in order. The frame counts as activity; the read
// deadline moves again once it is handled, so a slow handler is not counted
// against the client.
func (cs *Consumer) onMessage(s *melody.Session, raw []byte) {
	c := connOf(s)
	if c.killed.Load() {
		// A frame sent before the client learnt that the server closes the
		// connection (a refused connect, a slow client) is not served.
		return
	}
	cs.touch(c)
	defer cs.extend(c)
	if cs.metrics == nil {
		cs.handleFrame(c, raw)
		return
	}
	start := time.Now()
	event, handled, code, err := cs.handleFrame(c, raw)
	if !handled {
		return // rate limited, counted as such
	}
	var d time.Duration
	if event != "" {
		d = time.Since(start)
	}
	if err != nil {
		cs.databaseError(event, err)
	}
	cs.metrics.Event(event, code, d)
	if code == 0 && event == protocol.EventMessageSend {
		cs.metrics.Send(d)
	}
}

// handleFrame handles one text frame and answers it. It returns the frame's
// event type if the event map holds it ("" otherwise: the frame is no
// request, or names an unknown event), false when a rate limit refused the
// frame, and the code and error the frame was answered with (0 and nil:
// success).
func (cs *Consumer) handleFrame(c *Conn, raw []byte) (event string, handled bool, code int, err error) {
	// The envelope is read before the rate limits are checked (its data
	// stays raw), so that a refusal can name the frame's event and
	// request_id and the event's own limit can apply. A frame that cannot
	// be read as a request is limited and answered with neither.
	req, perr := protocol.DecodeRequest(raw)
	event, requestID := req.EventType, req.RequestID
	if cs.limited(c, event, requestID) {
		return "", false, 0, nil
	}
	if perr != nil {
		return "", true, cs.writeError(c, perr, "", ""), perr
	}
	fn, ok := cs.cfg.Events.Lookup(event)
	if !ok {
		err = protocol.NewError(protocol.CodeInvalid, protocol.DetailInvalidEventType)
		return "", true, cs.writeError(c, err, event, requestID), err
	}
	if err = checkData(req.Data); err != nil {
		return event, true, cs.writeError(c, err, event, requestID), err
	}
	if err = cs.dispatch(c, fn, event, requestID, req.Data); err != nil {
		code = cs.writeError(c, err, event, requestID)
	}
	return event, true, code, err
}

// dispatch runs one event's handler with a deadline, recovering a panic into
// an internal error.
func (cs *Consumer) dispatch(c *Conn, fn handler.Func, event, requestID string, data json.RawMessage) (err error) {
	ctx, cancel := cs.eventCtx()
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			cs.log.Error("rtchat: handler panicked", "event", event, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("rtchat: handler %s panicked: %v", event, p)
		}
	}()
	out := &outbox{cs: cs, conn: c, requestID: requestID}
	req := &handler.Request{
		Event: event, RequestID: requestID, UserID: c.userID, ConnID: c.id, Data: data,
		Env: cs.cfg.Env, Out: out,
	}
	run := func(ctx context.Context) error { return fn(ctx, req) }
	if h := cs.cfg.Hooks.AroundEvent; h != nil {
		err = h(ctx, c, req, run)
	} else {
		err = run(ctx)
	}
	if err == nil {
		out.finish(ctx, event)
	}
	return err
}

// writeError is the one place an error becomes an error frame. It returns
// the frame's code.
func (cs *Consumer) writeError(c *Conn, err error, event, requestID string) int {
	pe := cs.wireError(err)
	if pe.Code == protocol.CodeInternal || pe.Code == protocol.CodeUnavailable {
		cs.log.Error("rtchat: event failed", "event", event, "user", c.userID, "code", pe.Code, "err", err)
	}
	frame, encErr := protocol.EncodeError(pe, event, requestID)
	if encErr != nil {
		cs.log.Error("rtchat: encode error frame", "err", encErr)
		return pe.Code
	}
	c.write(frame)
	return pe.Code
}

// deliver writes a broker message to this node's connections. A room
// message carrying a seq goes through the room's order state (order.go).
func (cs *Consumer) deliver(m broker.Message) {
	if cs.metrics != nil {
		cs.observeLag(m)
	}
	switch m.Kind {
	case broker.KindRoom:
		if m.Seq > 0 {
			cs.order.deliverSeq(m)
			return
		}
		cs.writeRoom(m)
	case broker.KindUser:
		var echo *Conn
		for _, u := range m.Users {
			cs.hub.eachOfUser(u, func(c *Conn) { echo = writeOrHold(c, m, echo) })
		}
		if echo != nil {
			echo.write(m.EchoFrame)
		}
	case broker.KindJoin, broker.KindLeave:
		cs.membership(m)
	case broker.KindResync:
		cs.resync()
	}
}

// writeRoom writes a room message to the room's local connections. The
// requester's copy is queued last, so that once a client holds the answer
// to its request, every other connection on this node already has the
// event queued ahead of anything later.
func (cs *Consumer) writeRoom(m broker.Message) {
	var start time.Time
	if cs.metrics != nil {
		start = time.Now()
	}
	var echo *Conn
	cs.hub.eachInRoom(m.Room, func(c *Conn) { echo = writeOrHold(c, m, echo) })
	if echo != nil {
		echo.write(m.EchoFrame)
	}
	if cs.metrics != nil {
		cs.metrics.Fanout(time.Since(start))
	}
}

// writeOrHold writes m's frame to c, unless c is the requester, which it
// returns (to be written last); otherwise it returns echo unchanged.
func writeOrHold(c *Conn, m broker.Message, echo *Conn) *Conn {
	if m.EchoConn != "" && c.id == m.EchoConn {
		return c
	}
	c.write(m.Frame)
	return echo
}

// Stats counts this node's fan-out index.
func (cs *Consumer) Stats() Stats { return cs.hub.stats() }

// Conn returns the user's open connection on this node with the id, or nil.
func (cs *Consumer) Conn(userID int64, connID string) *Conn {
	var found *Conn
	cs.hub.eachOfUser(userID, func(c *Conn) {
		if c.id == connID {
			found = c
		}
	})
	return found
}

// Close closes every connection with 1001 (going away) and waits, until ctx
// ends, for their goroutines to finish; then it marks their session rows
// in one transaction and announces the users gone offline in one batch
// (presence itself is told by each connection as it ends), and stops a
// shared presence manager (presence.Cluster). The sweeper stops too. New connections get HTTP 503 from the start of Close. When
// ctx ends first, Close returns its error and the batch is written in the
// background once the remaining connections have ended.
func (cs *Consumer) Close(ctx context.Context) error {
	cs.mu.Lock()
	cs.stop()
	cs.mu.Unlock()
	cs.order.close()
	for _, c := range cs.hub.all() {
		c.kill(protocol.CloseGoingAway, "server shutting down", time.Second)
	}
	done := make(chan struct{})
	go func() {
		cs.wg.Wait()
		// Not cut short by ctx: if ctx ends first, the batch is still
		// written once the last connection has ended.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cs.cfg.EventTimeout)
		defer cancel()
		cs.finishShutdown(fctx)
		if pc, ok := cs.cfg.Presence.(presence.Cluster); ok {
			if err := pc.Stop(fctx); err != nil {
				cs.log.Error("rtchat: stop presence", "err", err)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	_ = cs.mel.Close() // marks melody closed; no sessions remain
	return nil
}
