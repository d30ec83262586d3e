package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/internal/exampleapp"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
)

// The two-node mode (-nodes 1,2) runs a scenario once per node count on a
// fresh database each time. N nodes are N rtchat.Chats in this one process
// on the same database, each with its own listener, node id, Redis client
// and broker on a channel prefix of the run's own, as N processes behind a
// load balancer would be; load user n connects to node (n-1) mod N + 1, so
// the fan-out's sender (user 1) is on node 1 and the members alternate.
//
// On Postgres every node has its own app and pool (20 connections each),
// as separate processes would. On SQLite the nodes share node 1's pool of
// one connection: SQLite serves one machine, and two pools on one file
// fail with SQLITE_BUSY where a read transaction turns into a write, so
// the SQLite figure measures the broker path, not a second writer.
//
// Memory and goroutines are the process's, so with N nodes the idle
// figures are the cost of a connection wherever it lands, all nodes
// included.

// nodeCount says "1 node" or "N nodes".
func nodeCount(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

// redisPrefix returns a channel prefix no other run uses.
func redisPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "chatbench-" + hex.EncodeToString(b)
}

// openRedis returns a client of the Redis at url, checked with a PING.
// The caller closes it.
func openRedis(ctx context.Context, url string) (*goredis.Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("chatbench: redis %s: %w", url, err)
	}
	c := goredis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("chatbench: redis %s: %w", url, err)
	}
	return c, nil
}

// startNodes starts n chats on the target's database (t.app is node 1's
// app), each with its own Redis client and broker on one fresh prefix, and
// a dialer that spreads load users over them.
func (t *target) startNodes(ctx context.Context, cfg *config, appCfg exampleapp.Config, n int) error {
	prefix := redisPrefix()
	var urls []string
	for i := range n {
		app := t.app
		if i > 0 && t.kind == "postgres" {
			var err error
			if app, err = t.openApp(ctx, appCfg); err != nil {
				return err
			}
		}
		client, err := openRedis(ctx, cfg.redisURL)
		if err != nil {
			return err
		}
		// The client outlives the chat whose broker uses it: closers run
		// last first.
		t.closers = append(t.closers, client.Close)
		opts := append(benchOptions(),
			rtchat.WithHTTPAuth(bearerUser),
			rtchat.WithNodeID(fmt.Sprintf("chatbench-node-%d", i+1)),
			rtchat.WithBroker(redisbroker.New(client, redisbroker.WithPrefix(prefix))),
			rtchat.WithPresence(presenceredis.New(client, presenceredis.WithPrefix(prefix))),
		)
		chat, err := app.NewChat(ctx, opts...)
		if err != nil {
			return fmt.Errorf("node %d: %w", i+1, err)
		}
		addr, err := t.serveChat(chat)
		if err != nil {
			return err
		}
		urls = append(urls, "ws://"+addr+chat.Path())
	}
	d, err := newDialer(urls[0], idAuth)
	if err != nil {
		return err
	}
	d.spread(urls, cfg.userBase)
	t.dialer = d
	return nil
}
