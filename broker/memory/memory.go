// Package memory is the broker of a single process: Publish hands the
// message straight to the subscribed handlers, so delivery is synchronous
// and in publish order.
//
// One Broker serves one node (the default of rtchat.New), or several nodes
// in one process: give the same *Broker to several Chats (tests of a
// multi-node topology); each subscribes, and every Publish reaches all of
// them, in subscription order.
package memory

import (
	"context"
	"errors"
	"sync"

	"github.com/rtchat/rtchat/broker"
)

// Broker is the in-process broker. The zero value is not usable; use New.
type Broker struct {
	mu       sync.RWMutex // guards handlers, closes and closed
	handlers []broker.Handler
	// closes counts Close calls: a broker shared by several nodes closes
	// once each subscriber has closed it, so the first node to shut down
	// does not cut off the others.
	closes int
	closed bool
}

var _ broker.Broker = (*Broker)(nil)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("memory broker: closed")

// New returns an in-process broker.
func New() *Broker { return &Broker{} }

// Publish delivers m to every subscribed handler before it returns.
func (b *Broker) Publish(_ context.Context, m broker.Message) error {
	b.mu.RLock()
	hs, closed := b.handlers, b.closed
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	for _, h := range hs {
		h(m)
	}
	return nil
}

// Subscribe adds a node's handler: every later Publish reaches it.
func (b *Broker) Subscribe(_ context.Context, h broker.Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	// A fresh slice, so a Publish already iterating the old one is not
	// disturbed.
	b.handlers = append(b.handlers[:len(b.handlers):len(b.handlers)], h)
	return nil
}

// Close stops delivery once every subscriber has called it (at once when
// there is at most one).
func (b *Broker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closes++
	if b.closes >= len(b.handlers) {
		b.closed = true
	}
	return nil
}
