package exampleapp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	"github.com/uptrace/bun"
)

// App is the part of an example app that does not depend on the web
// framework: its database, users, tokens and HTTP handlers.
type App struct {
	db     *bun.DB
	redis  *goredis.Client // nil without REDIS_URL
	secret []byte
	cfg    Config
	log    *slog.Logger
	// dummyHash is compared against for unknown users (see newDummyHash).
	dummyHash func() []byte
	// logins throttles logins and bounds the bcrypt work.
	logins *loginThrottle
	// metrics is the Prometheus registry of the chat and GET /metrics.
	metrics *appMetrics
}

// New opens the database of cfg, creates the users table if needed and
// returns the App. Without cfg.JWTSecret it picks a random secret and logs
// that tokens will not survive a restart. Close the App when done.
func New(ctx context.Context, cfg Config) (*App, error) {
	log := slog.Default()
	if err := cfg.validateThrottle(); err != nil {
		return nil, err
	}
	secret := []byte(cfg.JWTSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // never fails (crypto/rand panics instead)
		log.Info("exampleapp: JWT_SECRET is not set: using a random secret, so tokens end with this process")
	}
	db, err := cfg.OpenDB(ctx)
	if err != nil {
		return nil, err
	}
	if err := createUsersTable(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	rdb, err := openRedis(ctx, cfg, log)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &App{db: db, redis: rdb, secret: secret, cfg: cfg, log: log, dummyHash: newDummyHash(cfg.passwordCost()),
		logins: newLoginThrottle(cfg), metrics: newMetrics(log)}, nil
}

// DB returns the app's database, which rtchat shares.
func (a *App) DB() *bun.DB { return a.db }

// Close closes the Redis client, if any, and the database. Close the Chat
// first: its connections may still be writing.
func (a *App) Close() error {
	var err error
	if a.redis != nil {
		err = a.redis.Close()
	}
	return errors.Join(err, a.db.Close())
}

// NewChat builds the app's rtchat.Chat on its database, with its user lookup,
// its permission rules (Permissions; an opts' WithPermissionHandler replaces
// them), allowed origins, its metrics (rtchat.WithMetrics on Registry,
// served at GET /metrics), rate limits (Config.RateLimits) and, with
// REDIS_URL, Redis broker and presence, plus opts (the framework's auth
// option), and migrates
// rtchat's tables. The caller closes the Chat before the App.
func (a *App) NewChat(ctx context.Context, opts ...rtchat.Option) (*rtchat.Chat, error) {
	all := append([]rtchat.Option{
		rtchat.WithUserLookup(a.LookupUsers),
		rtchat.WithPermissionHandler(NewPermissions(a.db)),
		rtchat.WithAllowedOrigins(a.cfg.AllowedOrigins...),
		rtchat.WithMetrics(a.metrics.reg),
	}, a.clusterOptions()...)
	all = append(all, a.cfg.rateOptions()...)
	all = append(all, opts...)
	chat, err := rtchat.New(a.db, all...)
	if err != nil {
		return nil, err
	}
	if err := chat.Migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("exampleapp: migrate rtchat: %w", err), chat.Close(ctx))
	}
	return chat, nil
}
