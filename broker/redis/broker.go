package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/broker"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("redis broker: closed")

// Broker is a broker.Broker on Redis Pub/Sub. The zero value is not usable;
// use New.
type Broker struct {
	client  *goredis.Client
	cfg     config
	cfgErr  error // a bad option, returned by Subscribe and Publish
	channel string
	id      string // marks the messages this broker publishes late (see backlog.go)

	closed atomic.Bool // read by Publish without taking mu

	mu         sync.Mutex      // guards ps, subscribed, handler and the closing of closed
	ps         *goredis.PubSub // the current subscription; Close closes it to end a blocked read
	subscribed bool
	handler    broker.Handler
	cancel     context.CancelFunc // ends the subscriber's waits and dials
	done       chan struct{}      // closed when the subscriber goroutine has returned

	pmu       sync.Mutex       // guards subDown, backlog and dropped
	subDown   bool             // the subscription is lost: this node would not hear its own publishes
	backlog   []broker.Message // kept to be published, oldest first (see backlog.go)
	dropped   int              // messages dropped from a full backlog during this outage
	flushWake chan struct{}    // wakes the flusher; buffered 1
	flushDone chan struct{}    // closed when the flusher has returned
}

var _ broker.Broker = (*Broker)(nil)

// New returns a broker publishing on client and subscribing with a
// connection of its own from client. A bad option is reported by Subscribe
// (so by rtchat.New) and Publish. The client stays the caller's: Close
// does not close it.
func New(client *goredis.Client, opts ...Option) *Broker {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	b := &Broker{
		client: client, cfg: cfg, cfgErr: cfg.validate(), channel: cfg.prefix + ":events", id: uuid.NewString(),
		flushWake: make(chan struct{}, 1), flushDone: make(chan struct{}),
	}
	if client == nil && b.cfgErr == nil {
		b.cfgErr = errors.New("redis broker: nil client")
	}
	return b
}

// Channel returns the Redis channel the broker publishes and subscribes to.
func (b *Broker) Channel() string { return b.channel }

// Publish sends m, JSON-encoded, to every subscribed node. When Redis
// cannot be reached, m goes to this node's handler at once and to the
// backlog, published once the subscription is back (see backlog.go):
// Publish then returns nil, as the message is on its way. Before
// Subscribe, it returns the client's error instead; after Close,
// ErrClosed.
func (b *Broker) Publish(ctx context.Context, m broker.Message) error {
	if b.cfgErr != nil {
		return b.cfgErr
	}
	if b.closed.Load() {
		return ErrClosed
	}
	payload, err := encode(m, "")
	if err != nil {
		return err
	}
	if b.keepIfBehind(m) {
		b.local(m)
		return nil
	}
	if err := b.client.Publish(ctx, b.channel, payload).Err(); err != nil {
		if !b.serving() {
			return fmt.Errorf("redis broker: publish: %w", err)
		}
		b.keepAfterFailure(m, err)
		b.local(m)
	}
	return nil
}

// Subscribe subscribes to the channel, waits until Redis has confirmed it
// (so every message published after Subscribe returns reaches h), and
// starts the goroutine that hands each message to h, one at a time, and
// subscribes again whenever the connection is lost. ctx bounds this first
// subscription only. Call it once.
func (b *Broker) Subscribe(ctx context.Context, h broker.Handler) error {
	if b.cfgErr != nil {
		return b.cfgErr
	}
	b.mu.Lock()
	switch {
	case b.closed.Load():
		b.mu.Unlock()
		return ErrClosed
	case b.subscribed:
		b.mu.Unlock()
		return errors.New("redis broker: Subscribe called twice")
	}
	b.subscribed = true
	b.handler = h
	// The subscriber's context is not ctx: it lives until Close.
	runCtx, cancel := context.WithCancel(context.Background())
	b.cancel, b.done = cancel, make(chan struct{})
	b.mu.Unlock()

	stop := context.AfterFunc(ctx, cancel)
	ps, err := b.subscribe(runCtx)
	if !stop() && err == nil {
		// ctx ended just as the subscription was confirmed: the subscriber's
		// context is cancelled with it, so give up as if it had ended first.
		b.forget(ps)
		err = fmt.Errorf("redis broker: subscribe to %s: %w", b.channel, ctx.Err())
	}
	if err != nil {
		cancel()
		close(b.done)
		close(b.flushDone)
		return err
	}
	go b.run(runCtx, ps, h)
	go b.flusher(runCtx)
	return nil
}

// Close stops the subscriber and returns once its goroutine has ended;
// later Publish calls return ErrClosed. The client stays open.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil
	}
	b.closed.Store(true)
	ps, cancel, done := b.ps, b.cancel, b.done
	b.ps = nil
	b.mu.Unlock()
	if cancel == nil {
		return nil // never subscribed
	}
	// Cancelling ends a wait or a dial; closing the connection ends a read.
	cancel()
	if ps != nil {
		_ = ps.Close()
	}
	<-done
	<-b.flushDone
	return nil
}
