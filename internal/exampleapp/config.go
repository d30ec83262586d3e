package exampleapp

import (
	"context"
	"fmt"
	"os"
	"strings"

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
}

// ConfigFromEnv reads the Config from ADDR, DATABASE_URL, SQLITE_PATH,
// JWT_SECRET, REDIS_URL, REDIS_PREFIX and ALLOWED_ORIGINS, with the
// defaults documented on Config.
func ConfigFromEnv() Config {
	cfg := Config{
		Addr:        os.Getenv("ADDR"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		SQLitePath:  os.Getenv("SQLITE_PATH"),
		JWTSecret:   os.Getenv("JWT_SECRET"),
		RedisURL:    os.Getenv("REDIS_URL"),
		RedisPrefix: os.Getenv("REDIS_PREFIX"),
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
