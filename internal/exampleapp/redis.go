package exampleapp

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
)

// openRedis connects to cfg.RedisURL and checks that it answers; without a
// URL it returns nil. Either way it logs how the chat will run.
func openRedis(ctx context.Context, cfg Config, log *slog.Logger) (*goredis.Client, error) {
	if cfg.RedisURL == "" {
		log.Info("exampleapp: REDIS_URL is not set: broker and presence in this process, so it must be the only node")
		return nil, nil
	}
	opt, err := goredis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("exampleapp: REDIS_URL: %w", err)
	}
	rdb := goredis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("exampleapp: Redis at %s: %w", opt.Addr, err)
	}
	log.Info("exampleapp: using Redis for the broker and presence: several nodes may serve this database",
		"redis", opt.Addr, "prefix", cfg.redisPrefix())
	return rdb, nil
}

// redisPrefix is RedisPrefix or its default.
func (c Config) redisPrefix() string {
	if c.RedisPrefix == "" {
		return "rtchat"
	}
	return c.RedisPrefix
}

// clusterOptions are the chat's Redis broker and presence, when the app has
// a Redis client.
func (a *App) clusterOptions() []rtchat.Option {
	if a.redis == nil {
		return nil
	}
	prefix := a.cfg.redisPrefix()
	return []rtchat.Option{
		rtchat.WithBroker(redisbroker.New(a.redis, redisbroker.WithPrefix(prefix), redisbroker.WithLogger(a.log))),
		rtchat.WithPresence(presenceredis.New(a.redis, presenceredis.WithPrefix(prefix), presenceredis.WithLogger(a.log))),
	}
}
