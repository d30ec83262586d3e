package rtchat

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/internal/authopt"
	"github.com/rtchat/rtchat/serializer"
)

// Option configures a Chat; see New.
type Option func(*config)

// config holds every setting; New validates it once.
type config struct {
	softDelete       bool
	moderationOff    bool // see WithModeration
	notifications    bool
	inactivity       time.Duration
	path             string
	hooks            Hooks
	events           *eventmap.Map
	eventOverrides   map[string]EventFunc
	perms            PermissionHandler
	errorHandler     func(error) *Error
	models           map[string]any
	serializers      map[string]serializer.Serializer
	echoAuth         func(echo.Context) (int64, error)
	httpAuth         func(*http.Request) (int64, error)
	authNames        []string // the auth options given, each once, in order
	users            UserLookup
	allowedOrigins   []string
	broker           broker.Broker
	presence         PresenceManager
	presenceSet      bool
	rateEvents       float64
	rateBurst        int
	eventRates       map[string]consumer.RateSpec // see ratelimit.go
	rateClose        int
	rateCloseWindow  time.Duration
	maxMessageSize   int64
	maxContentLength int
	typingThrottle   time.Duration
	sendBuffer       int
	writeTimeout     time.Duration
	eventTimeout     time.Duration
	sessionRetention time.Duration
	reorderWindow    time.Duration
	presenceInterval time.Duration
	presencePush     int
	maxConnsPerUser  int
	members          memberLimits
	pinsOff          bool // WithPins(false)
	searchOff        bool // WithSearch(false); see options_search.go
	noThreads        bool // WithThreads(false); see options_threads.go
	nodeID           string
	metrics          prometheus.Registerer // WithMetrics; nil: no metrics
	logger           *slog.Logger
	errs             []error
}

func defaultConfig() *config {
	return &config{
		notifications:    true,
		inactivity:       60 * time.Second,
		path:             "/messaging/",
		perms:            DefaultPermissions{},
		maxMessageSize:   64 << 10,
		maxContentLength: 10_000,
		typingThrottle:   2 * time.Second,
		sendBuffer:       256,
		writeTimeout:     10 * time.Second,
		eventTimeout:     30 * time.Second,
		sessionRetention: 24 * time.Hour,
		reorderWindow:    50 * time.Millisecond,
		presenceInterval: 250 * time.Millisecond,
		presencePush:     100,
		maxConnsPerUser:  100,
		members:          defaultMemberLimits,
		rateClose:        100,
		rateCloseWindow:  10 * time.Second,
	}
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("rtchat: "+format, args...))
}

// validate reports every bad option at once.
func (c *config) validate() error {
	if c.inactivity < time.Second {
		c.fail("WithInactivityThreshold: %v is below 1s", c.inactivity)
	}
	if len(c.authNames) > 1 {
		both := "both"
		if len(c.authNames) > 2 {
			both = "all"
		}
		c.fail("%s are %s set: give one way to learn the user", strings.Join(c.authNames, " and "), both)
	}
	if !strings.HasPrefix(c.path, "/") {
		c.fail("WithPath(%q): must start with /", c.path)
	}
	if c.maxMessageSize < 1024 {
		c.fail("WithMaxMessageSize: %d is below 1024 bytes", c.maxMessageSize)
	}
	if c.maxContentLength < 1 {
		c.fail("WithMaxContentLength: %d must be positive", c.maxContentLength)
	}
	if c.sendBuffer < 1 {
		c.fail("WithSendBuffer: %d must be positive", c.sendBuffer)
	}
	if c.writeTimeout <= 0 {
		c.fail("WithWriteTimeout: %v must be positive", c.writeTimeout)
	}
	if c.eventTimeout <= 0 {
		c.fail("WithEventTimeout: %v must be positive", c.eventTimeout)
	}
	if c.typingThrottle < 0 {
		c.fail("WithTypingThrottle: %v must not be negative", c.typingThrottle)
	}
	if c.sessionRetention <= 0 {
		c.fail("WithSessionRetention: %v must be positive", c.sessionRetention)
	}
	c.validateRates()
	if c.reorderWindow <= 0 || c.reorderWindow > 10*time.Second {
		c.fail("WithReorderWindow: %v must be positive and at most 10s", c.reorderWindow)
	}
	if c.maxConnsPerUser < 0 {
		c.fail("WithMaxConnectionsPerUser: %d must not be negative", c.maxConnsPerUser)
	}
	if c.presenceInterval < 0 {
		c.fail("WithPresenceInterval: %v must not be negative", c.presenceInterval)
	}
	if c.presencePush < 0 {
		c.fail("WithPresencePushLimit: %d must not be negative", c.presencePush)
	}
	c.validateMemberLimits()
	if c.perms == nil {
		c.fail("WithPermissionHandler: nil")
	}
	if len(c.nodeID) > 64 {
		c.fail("WithNodeID(%q): longer than 64 characters", c.nodeID)
	}
	if c.presenceSet && c.presence == nil {
		c.fail("WithPresence: nil")
	}
	for name := range c.serializers {
		if !serializer.Names(name) {
			c.fail("WithSerializer(%q): unknown serializer", name)
		}
	}
	for _, o := range c.allowedOrigins {
		if o != "*" && !strings.Contains(o, "://") {
			c.fail("WithAllowedOrigins(%q): must be scheme://host[:port] or *", o)
		}
	}
	for name, s := range c.serializers {
		if s == nil {
			c.fail("WithSerializer(%q): nil", name)
		}
	}
	return errors.Join(c.errs...)
}

// WithSoftDelete makes message.modify delete mark messages deleted instead of
// removing their rows (MESSAGE_SOFT_DELETE). Default false. Either way a
// deleted message vanishes from history and lookups.
func WithSoftDelete(on bool) Option { return func(c *config) { c.softDelete = on } }

// WithNotifications turns notifications on or off (ENABLE_NOTIFICATION).
// Default true: sends and reactions create notifications for the other
// members, acknowledging or reading clears them, and chat.notifications
// pushes the pending ones on connect.
func WithNotifications(on bool) Option { return func(c *config) { c.notifications = on } }

// WithInactivityThreshold closes a connection silent for longer than d
// (INACTIVITY_THRESHOLD): every frame the client sends and every pong it
// answers counts, and the server pings every d/2, so a client whose
// WebSocket library answers pings stays open without sending anything. The
// connection's session row gets its last_seen at most every d/2, on
// session.heartbeat and on disconnect. Default 60s; at least 1s.
func WithInactivityThreshold(d time.Duration) Option { return func(c *config) { c.inactivity = d } }

// WithPath sets the WebSocket path (WEBSOCKET_PATH). Default "/messaging/".
func WithPath(p string) Option { return func(c *config) { c.path = p } }

// WithHooks sets callbacks around each connection, event and message
// (CHAT_CONSUMER_CLASS): on connect (may refuse the connection), on
// disconnect, around every event (may refuse it), before a message is
// stored (may change or refuse it) and after. See Hooks. Default none.
func WithHooks(h Hooks) Option { return func(c *config) { c.hooks = h } }

// WithEventMap replaces the whole event map (EVENT_MAPPER). Default
// eventmap.Default(); a nil map is an error from New.
func WithEventMap(m *eventmap.Map) Option {
	return func(c *config) {
		if m == nil {
			c.fail("WithEventMap: nil")
		}
		c.events = m
	}
}

// WithEvent adds an event or replaces the handler of one
// (EVENT_HANDLER_CLASS); a nil fn removes the event, which clients are then
// answered 4003 "invalid event type" for. Builtin returns a built-in
// handler, to wrap it. Applied after WithEventMap. Default the built-in
// events.
func WithEvent(name string, fn EventFunc) Option {
	return func(c *config) {
		if c.eventOverrides == nil {
			c.eventOverrides = map[string]EventFunc{}
		}
		c.eventOverrides[name] = fn
	}
}

// WithPermissionHandler replaces the permission rules
// (PERMISSION_HANDLER_CLASS). Default DefaultPermissions, the original's
// table. A nil handler is an error from New.
func WithPermissionHandler(p PermissionHandler) Option { return func(c *config) { c.perms = p } }

// WithErrorHandler maps errors to wire errors before the default mapping
// (EXCEPTION_HANDLER_CLASS): every error an event ends with, whether it
// comes from a handler, a permission rule or a hook (AroundEvent,
// BeforeMessage), and the error of Hooks.OnConnect, whose code then closes
// the refused connection. Returning nil falls back to the default: a
// *Error as it is, the store's not found and conflict as 4004 and 4005, a
// timeout as 4007, anything else 4006 (an OnConnect error 4002). Default
// none.
func WithErrorHandler(fn func(error) *Error) Option { return func(c *config) { c.errorHandler = fn } }

// WithModel replaces one of rtchat's models with the app's own (MODELS):
// name is "Message", "Attachment", "Reaction", "ReadReceipt",
// "Notification", "Session" or "Member" (not "Room"), and template a
// pointer to the app's struct, which embeds rtchat's model (package model)
// by value with the tag `bun:",extend"`, so it is the same table, and adds
// columns:
//
//	type Message struct {
//		model.Message `bun:",extend"`
//		Priority string `bun:"priority,notnull" json:"priority" validate:"oneof=low normal high"`
//	}
//
// rtchat then inserts and reads the app's type: the fields set in template
// are the defaults of new rows (fields holding maps, slices or pointers are
// shared with the template, not copied), and every row rtchat hands to a
// serializer, a permission check or a hook carries the app's value in its
// Custom field (a *Message above). The app adds its columns to rtchat's
// table with its own migration, after Migrate. Reading the app's values
// costs one more query per page of rows for each replaced model; a send
// with a replaced Message is still one statement on Postgres. To show the
// app's message fields and let message.send and message.modify set them
// (extra_fields), replace the Message serializer with
// serializer.MessageWithFields. Default the built-in models. New refuses an
// unknown name, a nil template, a template that is not a pointer to a
// struct, or a struct that does not embed the model it replaces.
func WithModel(name string, template any) Option {
	return func(c *config) {
		if c.models == nil {
			c.models = map[string]any{}
		}
		c.models[name] = template
	}
}

// WithSerializer replaces the serializer of one shape (SERIALIZERS). The
// model shapes, wherever they appear: "User", "Message", "Room",
// "RoomListItem", "Reaction", "ReadReceipt", "Attachment", "Notification",
// "Session". The data of whole frames: "MessagePage", "MembersAdded",
// "MembersRemoved", "RoomExit", "RoomDelete", "RoomUpdate", "RoomList",
// "JoinRequest", "Modification", "ReactionEvent", "EditHistory", "Typing",
// "ReadReceipts", "Delivered", "Presence", "Done", "Notifications". The
// package serializer documents what each receives; each default is an
// exported func there, and serializer.Default(name) the built-in serializer
// itself, that a replacement can wrap to add a field
// (serializer.MessageWithFields adds the app's message fields). Error
// frames are not serialized. Default the built-in ones; an unknown name or
// a nil serializer is an error from New.
func WithSerializer(name string, s serializer.Serializer) Option {
	return func(c *config) {
		if c.serializers == nil {
			c.serializers = map[string]serializer.Serializer{}
		}
		c.serializers[name] = s
	}
}

// WithEchoAuth sets how the Echo middleware (Middleware, Register) learns
// the user from the app's own auth: fn returns the user id, or an error (or
// 0) for no user, which is HTTP 401 before any upgrade. Give one auth
// option: WithEchoAuth, WithHTTPAuth or ginadapter.WithGinAuth; two are an
// error from New. Default: the user put on the request context with
// ContextWithUser.
func WithEchoAuth(fn func(c echo.Context) (int64, error)) Option {
	return func(c *config) { c.echoAuth = fn; c.addAuth("WithEchoAuth") }
}

// WithAuth is WithEchoAuth.
//
// Deprecated: use WithEchoAuth.
func WithAuth(fn func(c echo.Context) (int64, error)) Option { return WithEchoAuth(fn) }

// WithHTTPAuth is WithEchoAuth for plain net/http (and any router): fn
// reads the user from the upgrade request, wherever the chat is served.
// Default: the user put on the request context with ContextWithUser.
func WithHTTPAuth(fn func(r *http.Request) (int64, error)) Option {
	return func(c *config) { c.httpAuth = fn; c.addAuth("WithHTTPAuth") }
}

// addAuth records an auth option, once, for validate.
func (c *config) addAuth(name string) {
	if !slices.Contains(c.authNames, name) {
		c.authNames = append(c.authNames, name)
	}
}

func init() {
	authopt.Option = func(name string, fn func(*http.Request) (int64, error)) any {
		return Option(func(c *config) { c.httpAuth = fn; c.addAuth(name) })
	}
	authopt.Of = func(chat any) string {
		if c, ok := chat.(*Chat); ok && len(c.cfg.authNames) > 0 {
			return c.cfg.authNames[0]
		}
		return ""
	}
}

// WithUserLookup sets how payloads learn usernames and the other user
// fields, and which user ids exist (unknown ids in room.create are 4004).
// Default none: users are shown as {id, username: "<id>"}.
func WithUserLookup(fn UserLookup) Option { return func(c *config) { c.users = fn } }

// WithAllowedOrigins lists the browser origins ("https://app.example.com",
// or "*") allowed besides the same origin. Requests without an Origin header
// are always allowed. An origin is its scheme, host and port, all compared;
// the request's own scheme is https over TLS, else X-Forwarded-Proto (http
// or https), else http. Default none.
func WithAllowedOrigins(origins ...string) Option {
	return func(c *config) { c.allowedOrigins = append(c.allowedOrigins, origins...) }
}

// WithBroker sets how events reach other nodes. Default an in-memory broker
// (one process); a nil broker is an error from New.
func WithBroker(b broker.Broker) Option {
	return func(c *config) {
		if b == nil {
			c.fail("WithBroker: nil")
		}
		c.broker = b
	}
}

// WithPresence sets where presence is kept: which users have a live
// connection. rtchat tells it of every connection that opens and closes,
// announces a user's first and last connection with presence.dispatch, and
// asks it for presence.query. Several nodes must share one (for example a
// Redis-backed PresenceManager, presence/redis) for presence to span them.
// A manager that implements presence.Cluster is started by New with the
// node id (WithNodeID) and stopped by Close; the users of a node that dies
// without closing are then announced offline, and its session rows closed,
// by a surviving node. Default presence.NewMemory(), for one process. A nil
// manager is an error from New.
func WithPresence(p PresenceManager) Option {
	return func(c *config) { c.presence, c.presenceSet = p, true }
}

// WithPresenceInterval sets how long presence changes (a user's first
// connection opening, their last one closing) are collected before they are
// announced together: each member of the changed users' rooms then gets one
// presence.dispatch listing every change it shares a room with, and a
// user's latest state replaces an earlier one not yet sent. So when many
// members of a room reconnect at once, each member gets a frame per
// interval, not a frame per member. Default 250ms; 0 announces each change
// at once.
func WithPresenceInterval(d time.Duration) Option {
	return func(c *config) { c.presenceInterval = d }
}

// WithPresencePushLimit sets the largest room, in members, whose members
// are pushed each other's presence changes. Members of bigger rooms are not
// told through those rooms (they still are through their smaller rooms) and
// ask with presence.query, which answers for everyone sharing a room with
// them: pushing a big room's presence costs members squared frames when it
// reconnects. Default 100; 0 pushes presence in every room.
func WithPresencePushLimit(n int) Option { return func(c *config) { c.presencePush = n } }

// WithMaxConnectionsPerUser caps the live connections of one user, on all
// nodes together (the presence manager counts them: with presence on Redis
// the cap spans the cluster). A connection over the cap is closed right
// after the upgrade with close code 4029 and reason "too many connections",
// before its session row and rooms are set up; the user's other
// connections stay open. If the presence manager cannot be reached, the
// connection is admitted. Default 100; 0 sets no cap.
func WithMaxConnectionsPerUser(n int) Option { return func(c *config) { c.maxConnsPerUser = n } }

// WithRateLimit limits each user to eventsPerSecond frames on this node,
// all the user's connections to the node together (it was per connection
// before: opening more connections no longer buys more frames), with bursts
// of up to burst (at least 1). Every frame counts, whatever its event, and
// the limit is checked before the frame is handled: a frame over it is
// dropped unhandled (the AroundEvent hook does not see it), nothing
// changes, and it is answered with error 4029 naming its event_type and
// request_id, with retry_after_ms. The answers are coalesced (see
// docs/protocol.md) so a flood never fills the send buffer; a connection
// refused too often is closed (WithRateLimitClose). WithEventRateLimit
// adds limits of single events. Default none (0).
func WithRateLimit(eventsPerSecond float64, burst int) Option {
	return func(c *config) { c.rateEvents, c.rateBurst = eventsPerSecond, burst }
}

// WithMaxMessageSize sets the largest frame a client may send, in bytes;
// a larger one closes the connection with 1009. Default 64 KiB; at least 1 KiB.
func WithMaxMessageSize(n int64) Option { return func(c *config) { c.maxMessageSize = n } }

// WithMaxContentLength sets the longest message content, in characters;
// longer is 4003. Default 10,000.
func WithMaxContentLength(n int) Option { return func(c *config) { c.maxContentLength = n } }

// WithTypingThrottle sets how often repeated message.typing signals of a
// user in a room are broadcast; a change between typing and not typing
// always goes out. Default 2s; 0 broadcasts every signal.
func WithTypingThrottle(d time.Duration) Option { return func(c *config) { c.typingThrottle = d } }

// WithSendBuffer sets how many frames may wait for a slow connection before
// it is closed with 4008. Default 256.
func WithSendBuffer(n int) Option { return func(c *config) { c.sendBuffer = n } }

// WithWriteTimeout sets the deadline of each write to a connection. Default 10s.
func WithWriteTimeout(d time.Duration) Option { return func(c *config) { c.writeTimeout = d } }

// WithEventTimeout bounds the handling of one event, database calls
// included; past it the client gets 4007. Default 30s.
func WithEventTimeout(d time.Duration) Option { return func(c *config) { c.eventTimeout = d } }

// WithSessionRetention sets how long session rows are kept after their
// connection closed. A sweeper, started with the node's first connection
// and stopped by Close, runs every retention/2 (at most every 10 minutes)
// and deletes older rows, and rows still open whose last_seen has not moved
// for the retention (and at least 4 inactivity thresholds): connections of
// a node that stopped without closing them. On its first run it also marks
// disconnected the rows of this node id left open by a previous run; that
// needs a stable WithNodeID. Default 24h.
func WithSessionRetention(d time.Duration) Option { return func(c *config) { c.sessionRetention = d } }

// WithReorderWindow sets how long a node holds a room's message that arrived
// before one it follows (messages of a room are delivered in seq order, and
// two sends can reach the broker in the opposite order, on one node or
// across nodes) before it reads the missing ones from the database. A
// longer window spares database reads when the broker reorders a lot; a
// shorter one delays the followers of a lost delivery less. Default 50ms;
// at most 10s.
func WithReorderWindow(d time.Duration) Option { return func(c *config) { c.reorderWindow = d } }

// WithNodeID names this node in session rows. Give each node a stable id of
// its own (at most 64 characters) so that, after a crash, the node marks the
// rows it left open as soon as it serves again. Default a random id.
func WithNodeID(id string) Option { return func(c *config) { c.nodeID = id } }

// WithLogger sets the logger. Default slog.Default(); a nil logger is an
// error from New.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l == nil {
			c.fail("WithLogger: nil")
		}
		c.logger = l
	}
}
