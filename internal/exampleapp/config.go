package exampleapp

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rtchat/rtchat/internal/pgdb"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/uptrace/bun"
)

// DefaultAddr is where the examples listen when ADDR is unset.
const DefaultAddr = ":8080"

// DefaultSQLitePath is the SQLite file used when neither DATABASE_URL nor
// SQLITE_PATH is set, relative to the working directory.
const DefaultSQLitePath = "rtchat-example.db"

// Config is the examples' configuration, read from the environment by
// ConfigFromEnv.
type Config struct {
	// Addr is the listen address (ADDR). Default ":8080".
	Addr string
	// DatabaseURL is a Postgres URL (DATABASE_URL). When empty the app
	// uses SQLite at SQLitePath.
	DatabaseURL string
	// SQLitePath is the SQLite file (SQLITE_PATH). Default
	// "rtchat-example.db".
	SQLitePath string
	// JWTSecret signs the session tokens (JWT_SECRET). When empty each
	// process picks a random secret, so tokens do not survive a restart.
	JWTSecret string
	// RedisURL is a Redis URL (REDIS_URL), for example
	// redis://127.0.0.1:6379/0. When set, the chat's broker and presence
	// live in Redis, so several processes on one database serve one chat.
	// When empty the chat runs on this process alone.
	RedisURL string
	// RedisPrefix prefixes the chat's Redis channel and keys
	// (REDIS_PREFIX), so several chats can share one Redis. Default
	// "rtchat".
	RedisPrefix string
	// AllowedOrigins are the browser origins allowed to open the WebSocket
	// besides the page's own (ALLOWED_ORIGINS, comma-separated), passed to
	// rtchat.WithAllowedOrigins.
	AllowedOrigins []string
	// PasswordCost is the bcrypt cost of new password hashes. Default
	// bcrypt.DefaultCost; tests set bcrypt.MinCost, since hashing at the
	// default cost takes a second under the race detector. Not read from
	// the environment.
	PasswordCost int
	// RateLimits are the chat's rate limits per user; nil is
	// DefaultRateLimits, &RateLimits{} none. Not read from the environment.
	RateLimits *RateLimits

	// TrustProxy makes the login throttle count a client by the last
	// address of X-Forwarded-For instead of the connection's address
	// (TRUST_PROXY=1). Set it only behind exactly one reverse proxy that
	// appends the client's address: without a proxy anyone can write the
	// header, and behind two the address counted is the first proxy's.
	TrustProxy bool
	// LoginAccountLimit is how many logins may be attempted for one
	// username, whatever its case and whether or not it exists, per
	// LoginWindow; more answer 429 with Retry-After. Default 10
	// (DefaultLoginAccountLimit); negative turns the limit off.
	LoginAccountLimit int
	// LoginAddressLimit is how many logins one client address may attempt
	// per LoginWindow, over all usernames; more answer 429 with
	// Retry-After. An IPv6 address counts by its /64. Default 50
	// (DefaultLoginAddressLimit); negative turns the limit off.
	LoginAddressLimit int
	// LoginWindow is the period of both login limits: the attempts come
	// back one by one over it, all of them after a whole window without
	// any. Default 15 minutes (DefaultLoginWindow). Each process counts on
	// its own.
	LoginWindow time.Duration
	// MaxConcurrentHashes bounds the bcrypt hashes (logins and registers)
	// running at once, so that hashing leaves CPUs to the chat. Default
	// half the CPUs, at least 1 (DefaultMaxConcurrentHashes).
	MaxConcurrentHashes int
	// HashWait is how long a login or register waits for a hash slot
	// before answering 503 with Retry-After. Default 1 second
	// (DefaultHashWait).
	HashWait time.Duration
}

// ConfigFromEnv reads the Config from ADDR, DATABASE_URL, SQLITE_PATH,
// JWT_SECRET, REDIS_URL, REDIS_PREFIX, ALLOWED_ORIGINS and TRUST_PROXY, with the
// defaults documented on Config.
func ConfigFromEnv() Config {
	cfg := Config{
		Addr:        os.Getenv("ADDR"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		SQLitePath:  os.Getenv("SQLITE_PATH"),
		JWTSecret:   os.Getenv("JWT_SECRET"),
		RedisURL:    os.Getenv("REDIS_URL"),
		RedisPrefix: os.Getenv("REDIS_PREFIX"),
		TrustProxy:  os.Getenv("TRUST_PROXY") == "1",
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.SQLitePath == "" {
		cfg.SQLitePath = DefaultSQLitePath
	}
	for _, o := range strings.Split(os.Getenv("ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
		}
	}
	return cfg
}

// OpenDB opens the database the environment names: Postgres at DATABASE_URL,
// or else SQLite at SQLITE_PATH (default "rtchat-example.db").
func OpenDB(ctx context.Context) (*bun.DB, error) {
	return ConfigFromEnv().OpenDB(ctx)
}

// OpenDB opens Postgres at c.DatabaseURL, or SQLite at c.SQLitePath (default
// "rtchat-example.db") when no URL is set, and checks that it answers.
func (c Config) OpenDB(ctx context.Context) (*bun.DB, error) {
	var (
		db  *bun.DB
		err error
	)
	if c.DatabaseURL != "" {
		db, err = pgdb.Open(c.DatabaseURL)
	} else {
		path := c.SQLitePath
		if path == "" {
			path = DefaultSQLitePath
		}
		db, err = sqlitedb.Open(path)
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("exampleapp: database: %w", err)
	}
	return db, nil
}
