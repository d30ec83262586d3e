package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rtchat/rtchat/broker"
)

// While Redis is unreachable a node keeps serving its own connections: what
// it publishes is handed to its own handler at once and kept, in publish
// order, in a backlog that is published once the subscription is back
// (before anything newer), so the other nodes get it late rather than never.
// Republished messages carry the broker's id, and its own subscriber skips
// them: its node has them already.
//
// The broker counts as down from the moment a publish fails or the
// subscription is lost until the backlog has been published again; while
// down, Publish does not wait for Redis at all.

// wire is a message as published: the message and, when it was published
// late from a backlog, the id of the broker that kept it.
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

// keepIfDown keeps m in the backlog if the broker is down, and reports
// whether it did.
func (b *Broker) keepIfDown(m broker.Message) bool {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if !b.down {
		return false
	}
	b.keep(m)
	return true
}

// keepAfterFailure marks the broker down and keeps m, whose publish failed.
func (b *Broker) keepAfterFailure(m broker.Message, err error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if !b.down {
		b.cfg.logger.Warn("redis broker: publish failed; serving this node alone until Redis is back", "channel", b.channel, "err", err)
	}
	b.down = true
	b.keep(m)
}

// keep appends m to the backlog, dropping the oldest message when it is
// full; the caller holds pmu.
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
}

// setDown marks the broker down: the subscription was lost.
func (b *Broker) setDown() {
	b.pmu.Lock()
	b.down = true
	b.pmu.Unlock()
}

// serving reports whether the broker has a handler (Subscribe succeeded).
func (b *Broker) serving() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.handler != nil
}

// local hands a message published while down to this node's handler.
func (b *Broker) local(m broker.Message) {
	b.mu.Lock()
	h := b.handler
	b.mu.Unlock()
	if h != nil {
		h(m)
	}
}

// flush publishes the backlog in order and, once it is empty, marks the
// broker up again. It stops at the first failure, putting what it could not
// publish back in front.
func (b *Broker) flush(ctx context.Context) error {
	for {
		b.pmu.Lock()
		if len(b.backlog) == 0 {
			b.down = false
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
