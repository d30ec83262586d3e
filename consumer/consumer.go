package consumer

import (
	"bytes"
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
	"github.com/olahol/melody"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// Config is what the Consumer needs; rtchat.New fills it from its options
// and has already validated it.
type Config struct {
	Env            *handler.Env
	Events         *eventmap.Map
	Broker         broker.Broker
	Hooks          Hooks
	ErrorHandler   func(error) *protocol.Error
	Logger         *slog.Logger
	NodeID         string
	MaxMessageSize int64
	SendBuffer     int
	WriteTimeout   time.Duration
	Inactivity     time.Duration
	AllowedOrigins []string
	Notifications  bool
	EventTimeout   time.Duration
}

// Consumer serves the WebSocket connections of one node.
type Consumer struct {
	cfg  Config
	mel  *melody.Melody
	hub  *hub
	log  *slog.Logger
	base context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup // one per connection being served
}

const connKey = "rtchat.conn"

// New returns a consumer and subscribes it to the broker.
func New(cfg Config) (*Consumer, error) {
	base, stop := context.WithCancel(context.Background())
	cs := &Consumer{cfg: cfg, hub: newHub(), log: cfg.Logger, base: base, stop: stop}
	m := melody.New()
	m.Config.MaxMessageSize = cfg.MaxMessageSize
	m.Config.MessageBufferSize = cfg.SendBuffer
	m.Config.WriteWait = cfg.WriteTimeout
	m.Config.PongWait = cfg.Inactivity
	m.Config.PingPeriod = cfg.Inactivity * 9 / 10
	m.Upgrader.ReadBufferSize = 4096
	m.Upgrader.WriteBufferSize = 4096
	// ServeHTTP checks the origin before upgrading, with its own answer.
	m.Upgrader.CheckOrigin = func(*http.Request) bool { return true }
	m.HandleConnect(cs.onConnect)
	m.HandleDisconnect(cs.onDisconnect)
	m.HandleMessage(cs.onMessage)
	m.HandleMessageBinary(cs.onBinary)
	m.HandleError(cs.onError)
	cs.mel = m
	if err := cfg.Broker.Subscribe(base, cs.deliver); err != nil {
		stop()
		return nil, fmt.Errorf("rtchat: subscribe to broker: %w", err)
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
	if cs.base.Err() != nil || cs.mel.IsClosed() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	cs.wg.Add(1)
	defer cs.wg.Done()
	c := &Conn{id: uuid.NewString(), userID: userID, req: r}
	if err := cs.mel.HandleRequestWithKeys(w, r, map[string]any{connKey: c}); err != nil {
		cs.log.Debug("rtchat: upgrade failed", "err", err)
	}
}

func connOf(s *melody.Session) *Conn {
	c, _ := s.Keys[connKey].(*Conn)
	return c
}

func (cs *Consumer) onConnect(s *melody.Session) {
	c := connOf(s)
	c.sess = s
	ctx, cancel := context.WithTimeout(cs.base, cs.cfg.EventTimeout)
	defer cancel()
	cs.hub.addConn(c)
	now := model.Now()
	store := cs.cfg.Env.Store
	if err := store.StartSession(ctx, &model.Session{ID: c.id, UserID: c.userID, NodeID: cs.cfg.NodeID, ConnectedAt: now, LastSeen: now}); err != nil {
		cs.log.Error("rtchat: record session", "err", err, "user", c.userID)
	}
	rooms, err := store.UserRoomIDs(ctx, c.userID)
	if err != nil {
		// Without its rooms the connection would miss events silently.
		cs.log.Error("rtchat: load rooms on connect", "err", err, "user", c.userID)
		c.kill(protocol.CodeUnavailable, "rooms unavailable, reconnect")
		return
	}
	cs.hub.addRooms(c, rooms)
	if h := cs.cfg.Hooks.OnConnect; h != nil {
		h(ctx, c)
	}
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

func (cs *Consumer) onDisconnect(s *melody.Session) {
	c := connOf(s)
	cs.hub.removeConn(c)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cs.base), cs.cfg.EventTimeout)
	defer cancel()
	if err := cs.cfg.Env.Store.EndSession(ctx, c.id, model.Now()); err != nil {
		cs.log.Error("rtchat: end session", "err", err, "user", c.userID)
	}
	if h := cs.cfg.Hooks.OnDisconnect; h != nil {
		h(ctx, c)
	}
}

func (cs *Consumer) onError(s *melody.Session, err error) {
	if errors.Is(err, melody.ErrMessageBufferFull) {
		connOf(s).kill(protocol.CodeResync, "fell behind: reconnect and catch up by seq")
	}
}

func (cs *Consumer) onBinary(s *melody.Session, _ []byte) {
	cs.writeError(connOf(s), protocol.NewError(protocol.CodeInvalid, protocol.DetailBinaryFrame), "", "")
}

// envelope is the loose decoding of a client frame, so a field of the wrong
// type is reported precisely instead of failing the whole frame.
type envelope struct {
	EventType json.RawMessage `json:"event_type"`
	Data      json.RawMessage `json:"data"`
	RequestID json.RawMessage `json:"request_id"`
}

func (cs *Consumer) onMessage(s *melody.Session, raw []byte) {
	c := connOf(s)
	trimmed := bytes.TrimSpace(raw)
	var env envelope
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		cs.writeError(c, protocol.NewError(protocol.CodeInvalid, protocol.DetailMalformedFrame), "", "")
		return
	}
	var event, requestID string
	if len(env.RequestID) > 0 && string(env.RequestID) != "null" {
		if json.Unmarshal(env.RequestID, &requestID) != nil {
			cs.writeError(c, protocol.Invalid(protocol.FieldErrors{"request_id": {"Expected a string."}}), "", "")
			return
		}
		if len(requestID) > protocol.MaxRequestIDLen {
			cs.writeError(c, protocol.Invalid(protocol.FieldErrors{"request_id": {protocol.DetailRequestIDTooLong}}), "", "")
			return
		}
	}
	_ = json.Unmarshal(env.EventType, &event) // a non-string is an unknown event
	fn, ok := cs.cfg.Events.Lookup(event)
	if !ok {
		cs.writeError(c, protocol.NewError(protocol.CodeInvalid, protocol.DetailInvalidEventType), event, requestID)
		return
	}
	if err := cs.dispatch(c, fn, event, requestID, env.Data); err != nil {
		cs.writeError(c, err, event, requestID)
	}
}

// dispatch runs one event's handler with a deadline, recovering a panic into
// an internal error.
func (cs *Consumer) dispatch(c *Conn, fn handler.Func, event, requestID string, data json.RawMessage) (err error) {
	ctx, cancel := context.WithTimeout(cs.base, cs.cfg.EventTimeout)
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
		err = h(ctx, c, event, run)
	} else {
		err = run(ctx)
	}
	if err == nil {
		out.finish(event)
	}
	return err
}

// writeError is the one place an error becomes an error frame.
func (cs *Consumer) writeError(c *Conn, err error, event, requestID string) {
	pe := cs.wireError(err)
	if pe.Code == protocol.CodeInternal || pe.Code == protocol.CodeUnavailable {
		cs.log.Error("rtchat: event failed", "event", event, "user", c.userID, "code", pe.Code, "err", err)
	}
	frame, encErr := protocol.EncodeError(pe, event, requestID)
	if encErr != nil {
		cs.log.Error("rtchat: encode error frame", "err", encErr)
		return
	}
	c.write(frame)
}

// deliver writes a broker message to this node's connections.
func (cs *Consumer) deliver(m broker.Message) {
	switch m.Kind {
	case broker.KindRoom:
		cs.hub.eachInRoom(m.Room, func(c *Conn) { c.write(frameFor(m, c)) })
	case broker.KindUser:
		for _, u := range m.Users {
			cs.hub.eachOfUser(u, func(c *Conn) { c.write(frameFor(m, c)) })
		}
	case broker.KindJoin:
		cs.hub.join(m.Room, m.Users)
	case broker.KindLeave:
		cs.hub.leave(m.Room, m.Users)
	}
}

// frameFor returns the frame of m for c: the copy carrying request_id for
// the connection whose request caused it, the shared frame for the others.
func frameFor(m broker.Message, c *Conn) []byte {
	if m.EchoConn != "" && c.id == m.EchoConn {
		return m.EchoFrame
	}
	return m.Frame
}

// Stats counts this node's fan-out index.
func (cs *Consumer) Stats() Stats { return cs.hub.stats() }

// Close closes every connection with 1001 (going away) and waits, until ctx
// ends, for their goroutines to finish. New connections get HTTP 503.
func (cs *Consumer) Close(ctx context.Context) error {
	cs.stop()
	for _, c := range cs.hub.all() {
		c.kill(protocol.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		cs.wg.Wait()
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
