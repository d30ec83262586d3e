// Package memory is the broker of a single process: Publish hands the
// message straight to the node's handler, so delivery is synchronous and in
// publish order.
package memory

import (
	"context"
	"errors"
	"sync"

	"github.com/rtchat/rtchat/broker"
)

// Broker is the in-process broker. The zero value is not usable; use New.
type Broker struct {
	mu      sync.RWMutex // guards handler and closed
	handler broker.Handler
	closed  bool
}

var _ broker.Broker = (*Broker)(nil)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("memory broker: closed")

// New returns an in-process broker.
func New() *Broker { return &Broker{} }

// Publish delivers m to the handler before it returns.
func (b *Broker) Publish(_ context.Context, m broker.Message) error {
	b.mu.RLock()
	h, closed := b.handler, b.closed
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if h != nil {
		h(m)
	}
	return nil
}

// Subscribe sets the handler.
func (b *Broker) Subscribe(_ context.Context, h broker.Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handler = h
	return nil
}

// Close stops delivery.
func (b *Broker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}
