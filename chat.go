package rtchat

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/broker/memory"
	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
)

// Chat is one node of the chat: the WebSocket endpoint and everything behind
// it. It is an http.Handler for the WebSocket path.
type Chat struct {
	cfg      *config
	db       *bun.DB
	store    *model.Store
	consumer *consumer.Consumer
}

var _ http.Handler = (*Chat)(nil)

// New returns a Chat over the app's database. Every option is validated
// here: a bad one is an error from New, never a panic later. Call Migrate
// before serving unless the app runs model.Migrations itself.
func New(db *bun.DB, opts ...Option) (*Chat, error) {
	if db == nil {
		return nil, errors.New("rtchat: New needs a *bun.DB")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(cfg)
	}
	custom, customErr := cfg.customModels(db)
	if err := errors.Join(cfg.validate(), customErr); err != nil {
		return nil, err
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if cfg.nodeID == "" {
		cfg.nodeID = uuid.NewString()
	}
	if cfg.broker == nil {
		cfg.broker = memory.New()
	}
	if cfg.presence == nil {
		cfg.presence = presence.NewMemory()
	}
	events := cfg.events
	if events == nil {
		events = eventmap.Default()
	}
	events = events.Clone()
	cfg.dropPinEvents(events)
	cfg.applySearch(events)
	cfg.dropModeration(events)
	cfg.threadEvents(events)
	for name, fn := range cfg.eventOverrides {
		events.Set(name, fn.handlerFunc(cfg.perms))
	}
	if err := cfg.checkRateEvents(events); err != nil {
		return nil, err
	}
	metrics, err := newMetrics(cfg.metrics, events.Events())
	if err != nil {
		return nil, err
	}
	sers := serializer.NewSet()
	sers.SetThreads(!cfg.noThreads)
	for name, s := range cfg.serializers {
		if err := sers.Replace(name, s); err != nil {
			return nil, err
		}
	}
	store := model.NewStore(db, model.WithCustom(custom), model.WithModeration(cfg.moderation()))
	// The message hooks find the sender's connection through the consumer,
	// which is made below, before any message can be sent.
	var cs *consumer.Consumer
	env := &handler.Env{
		Store: store, Serializers: sers, Users: cfg.users.serializerLookup(), Perms: handlerPermissions(cfg.perms),
		Presence: cfg.presence, Log: cfg.logger,
		MessageHooks: cfg.hooks.messageHooks(func(userID int64, connID string) *consumer.Conn {
			if connID == "" {
				return nil
			}
			return cs.Conn(userID, connID)
		}),
		Settings: handler.Settings{
			SoftDelete: cfg.softDelete, Notifications: cfg.notifications,
			MaxContentLength: cfg.maxContentLength, HistoryLimit: 50,
			TypingThrottle: cfg.typingThrottle, PresencePushLimit: cfg.presencePush,
			MaxMembersPerRequest: cfg.members.perRequest, MaxRoomSize: cfg.members.roomSize,
			Pins:       !cfg.pinsOff,
			Moderation: cfg.moderation(),
			NoThreads:  cfg.noThreads,
		},
	}
	cs, err = consumer.New(consumer.Config{
		Env: env, Events: events, Broker: cfg.broker, Presence: cfg.presence, Hooks: cfg.hooks.consumerHooks(),
		ErrorHandler: cfg.errorHandler, Logger: cfg.logger, NodeID: cfg.nodeID,
		MaxMessageSize: cfg.maxMessageSize, SendBuffer: cfg.sendBuffer, WriteTimeout: cfg.writeTimeout,
		Inactivity: cfg.inactivity, AllowedOrigins: cfg.allowedOrigins, Notifications: cfg.notifications,
		EventTimeout: cfg.eventTimeout, SessionRetention: cfg.sessionRetention,
		RateLimit: cfg.rateEvents, RateBurst: cfg.rateBurst, EventRateLimits: cfg.eventRates,
		RateLimitClose: cfg.rateClose, RateLimitWindow: cfg.rateCloseWindow, ReorderWindow: cfg.reorderWindow,
		PresenceInterval: cfg.presenceInterval, MaxConnectionsPerUser: cfg.maxConnsPerUser,
		Metrics: metrics,
	})
	if err != nil {
		return nil, err
	}
	return &Chat{cfg: cfg, db: db, store: store, consumer: cs}, nil
}

// Migrate creates or updates rtchat's tables (all prefixed rtchat_) in the
// app's database, on SQLite and Postgres alike. Several nodes may call it at
// once.
func (c *Chat) Migrate(ctx context.Context) error { return model.Migrate(ctx, c.db) }

// Path returns the WebSocket path (WithPath).
func (c *Chat) Path() string { return c.cfg.path }

// ServeHTTP serves the WebSocket endpoint. The user comes from WithHTTPAuth
// or from ContextWithUser on the request; no user is HTTP 401 before any
// upgrade, a browser origin not allowed is HTTP 403.
func (c *Chat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.cfg.httpAuth != nil {
		id, err := c.cfg.httpAuth(r)
		if err != nil || id == 0 {
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		r = r.WithContext(consumer.WithUser(r.Context(), id))
	}
	c.consumer.ServeHTTP(w, r)
}

// Stats counts this node's open connections, connected users and rooms with
// at least one open connection.
func (c *Chat) Stats() Stats {
	s := c.consumer.Stats()
	return Stats{Conns: s.Conns, Users: s.Users, Rooms: s.Rooms, RateLimitedUsers: c.consumer.RateLimitedUsers()}
}

// Close shuts the node down: new connections get HTTP 503, every open
// connection is closed with 1001 (going away), its session row is marked
// disconnected and presence forgets it (users going offline are announced
// to their rooms' members, through the broker, to every node), and the
// session sweeper stops. It returns when all these goroutines have ended,
// or with ctx's error when ctx ends first; then it closes the broker. The
// database is the app's and stays open.
func (c *Chat) Close(ctx context.Context) error {
	err := c.consumer.Close(ctx)
	return errors.Join(err, c.cfg.broker.Close())
}
