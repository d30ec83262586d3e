package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rtchat/rtchat/broker"
)

// While Redis is unreachable a node keeps serving its own connections: what
// it publishes is handed to its own handler at once and kept, in publish
// order, in a backlog that a flusher goroutine publishes as soon as Redis
// takes it (before anything newer), so the other nodes get it late rather
// than never. Backlog messages carry the broker's id, and its own
// subscriber skips them: its node has them already.
//
// Publish keeps a message instead of publishing it while the subscription
// is down (the node would not hear its own message) or the backlog is not
// empty (it would overtake the backlog); a failed publish is kept too.
// Either way Publish does not wait for Redis.

// wire is a message as published: the message and, when it was published
// from a backlog, the id of the broker that kept it.
type wire struct {
	broker.Message
	Origin string `json:"o,omitempty"`
}

// encode returns the payload of m.
func encode(m broker.Message, origin string) (string, error) {
	b, err := json.Marshal(wire{Message: m, Origin: origin})
	if err != nil {
		return "", fmt.Errorf("redis broker: encode: %w", err)
	}
	return string(b), nil
}

// keepIfBehind keeps m if the subscription is down or the backlog is not
// empty, and reports whether it did.
func (b *Broker) keepIfBehind(m broker.Message) bool {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if !b.subDown && len(b.backlog) == 0 {
		return false
	}
	b.keep(m)
	return true
}

// keepAfterFailure keeps m, whose publish failed.
func (b *Broker) keepAfterFailure(m broker.Message, err error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if len(b.backlog) == 0 {
		b.cfg.logger.Warn("redis broker: publish failed; keeping messages until Redis takes them", "channel", b.channel, "err", err)
	}
	b.keep(m)
}

// keep appends m to the backlog, dropping the oldest message when it is
// full, and wakes the flusher; the caller holds pmu.
func (b *Broker) keep(m broker.Message) {
	if len(b.backlog) >= b.cfg.backlog {
		b.dropped++
		if b.dropped == 1 || b.dropped%1000 == 0 {
			b.cfg.logger.Error("redis broker: backlog full, oldest messages dropped (seq-ordered ones are filled from the database by the other nodes' next message in the room)",
				"channel", b.channel, "dropped", b.dropped, "backlog", b.cfg.backlog)
		}
		b.backlog = b.backlog[1:]
	}
	b.backlog = append(b.backlog, m)
	b.wake()
}

// wake tells the flusher there is work, without blocking.
func (b *Broker) wake() {
	select {
	case b.flushWake <- struct{}{}:
	default:
	}
}

// setSubDown records whether the subscription is down.
func (b *Broker) setSubDown(down bool) {
	b.pmu.Lock()
	b.subDown = down
	b.pmu.Unlock()
}

// serving reports whether the broker has a handler (Subscribe succeeded).
func (b *Broker) serving() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.handler != nil
}

// local hands a kept message to this node's handler.
func (b *Broker) local(m broker.Message) {
	b.mu.Lock()
	h := b.handler
	b.mu.Unlock()
	if h != nil {
		h(m)
	}
}

// flusher publishes the backlog whenever there is one, retrying with
// backoff while Redis refuses it, until ctx ends.
func (b *Broker) flusher(ctx context.Context) {
	defer close(b.flushDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.flushWake:
		}
		for attempt := 0; ; attempt++ {
			err := b.flush(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			if attempt == 0 {
				b.cfg.logger.Warn("redis broker: backlog not published yet", "channel", b.channel, "err", err)
			}
			if !sleep(ctx, b.backoff(attempt)) {
				return
			}
		}
	}
}

// flush publishes the backlog in order until it is empty. It stops at the
// first failure, putting what it could not publish back in front.
func (b *Broker) flush(ctx context.Context) error {
	for {
		b.pmu.Lock()
		if len(b.backlog) == 0 {
			b.dropped = 0
			b.pmu.Unlock()
			return nil
		}
		n := min(len(b.backlog), flushBatch)
		batch := b.backlog[:n:n]
		b.backlog = b.backlog[n:]
		b.pmu.Unlock()
		if err := b.publishAll(ctx, batch); err != nil {
			b.pmu.Lock()
			b.backlog = append(batch, b.backlog...)
			if over := len(b.backlog) - b.cfg.backlog; over > 0 {
				b.dropped += over
				b.backlog = b.backlog[over:]
			}
			b.pmu.Unlock()
			return err
		}
	}
}

// flushBatch is how many backlog messages one pipeline publishes.
const flushBatch = 256

// publishAll publishes ms, marked as this broker's, in one pipeline.
func (b *Broker) publishAll(ctx context.Context, ms []broker.Message) error {
	pipe := b.client.Pipeline()
	for _, m := range ms {
		payload, err := encode(m, b.id)
		if err != nil {
			return err
		}
		pipe.Publish(ctx, b.channel, payload)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis broker: publish the backlog: %w", err)
	}
	return nil
}
