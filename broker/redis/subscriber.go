package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/broker"
)

// subscribe opens a new subscription and waits for Redis to confirm it.
// The subscription is registered before the first byte is sent, so that
// Close can end it at any point.
func (b *Broker) subscribe(ctx context.Context) (*goredis.PubSub, error) {
	ps := b.client.Subscribe(ctx) // no channel yet: no connection yet
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		_ = ps.Close()
		return nil, ErrClosed
	}
	b.ps = ps
	b.mu.Unlock()
	fail := func(err error) (*goredis.PubSub, error) {
		b.forget(ps)
		if b.closed.Load() {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("redis broker: subscribe to %s: %w", b.channel, err)
	}
	if err := ps.Subscribe(ctx, b.channel); err != nil {
		return fail(err)
	}
	for {
		msg, err := ps.ReceiveTimeout(ctx, b.cfg.pingInterval)
		if err != nil {
			return fail(err)
		}
		if _, ok := msg.(*goredis.Subscription); ok {
			return ps, nil
		}
	}
}

// forget closes ps and unregisters it unless Close has taken it already.
func (b *Broker) forget(ps *goredis.PubSub) {
	b.mu.Lock()
	if b.ps == ps {
		b.ps = nil
	}
	b.mu.Unlock()
	_ = ps.Close()
}

// run hands messages to h until Close, subscribing again with backoff
// whenever the connection is lost.
func (b *Broker) run(ctx context.Context, ps *goredis.PubSub, h broker.Handler) {
	defer close(b.done)
	for {
		err := b.receive(ctx, ps, h)
		b.forget(ps)
		if ctx.Err() != nil {
			return
		}
		b.setSubDown(true)
		b.cfg.logger.Warn("redis broker: subscription lost, subscribing again", "channel", b.channel, "err", err)
		for attempt := 0; ; attempt++ {
			if !sleep(ctx, b.backoff(attempt)) {
				return
			}
			ps, err = b.subscribe(ctx)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			b.cfg.logger.Warn("redis broker: subscribe failed", "channel", b.channel, "attempt", attempt+1, "err", err)
		}
		b.cfg.logger.Info("redis broker: subscribed again", "channel", b.channel)
		b.setSubDown(false)
		b.wake()
		// What was published while this node was not listening is lost
		// to it: its node reads it from the database.
		h(broker.Message{Kind: broker.KindResync})
	}
}

// receive reads ps until its connection fails or goes silent through a
// ping, and returns why.
func (b *Broker) receive(ctx context.Context, ps *goredis.PubSub, h broker.Handler) error {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, b.cfg.pingInterval)
		if err != nil {
			if !pinged && isTimeout(err) && ctx.Err() == nil {
				// Silence is not yet failure: ask for an answer.
				if err := ps.Ping(ctx); err != nil {
					return err
				}
				pinged = true
				continue
			}
			return err
		}
		pinged = false
		m, ok := msg.(*goredis.Message)
		if !ok {
			continue // a pong or a subscription confirmation
		}
		var w wire
		if err := json.Unmarshal([]byte(m.Payload), &w); err != nil {
			b.cfg.logger.Error("redis broker: undecodable message dropped", "channel", b.channel, "err", err)
			continue
		}
		if w.Origin == b.id {
			continue // from this broker's backlog: its node had it at once
		}
		h(w.Message)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// backoff is the wait before attempt (from 0): min doubled per attempt up
// to max, drawn from the upper half so that nodes cut off together spread
// out.
func (b *Broker) backoff(attempt int) time.Duration {
	d := b.cfg.maxBackoff
	if attempt < 32 {
		if e := b.cfg.minBackoff << attempt; e > 0 && e < d {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends, and reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
