// Package brokertest is an asynchronous broker for tests of several nodes
// in one process. A Network connects nodes; each node's broker delivers
// every message to every node (itself included) after a random delay, from
// one goroutine per receiving node, as a Redis subscriber does.
//
// What it keeps and what it breaks, on purpose:
//   - a room message carrying a seq is delayed independently of everything
//     else, so such messages are reordered within and across rooms, and
//     across publishers;
//   - every other message (joins, leaves, unordered events) keeps its
//     publisher's order, and a seq-carrying message never overtakes an
//     earlier one of these from the same publisher: a real broker keeps one
//     publisher's order, and the protocol relies on it (a join is published
//     before the room event that follows it);
//   - on request (SetFilter) a delivery to a node is dropped, duplicated, or
//     held until the test releases it.
//
// Delays come from a seeded generator; the interleaving with the tests'
// goroutines is still the scheduler's, so a run is not exactly repeatable.
package brokertest

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rtchat/rtchat/broker"
)

// Fate is what happens to one delivery of a message to one node.
type Fate uint8

// The fates a filter can choose.
const (
	// Deliver delivers the message once (the default).
	Deliver Fate = iota
	// Drop never delivers it to that node.
	Drop
	// Duplicate delivers it twice, each copy with its own delay.
	Duplicate
	// Hold keeps it until Release.
	Hold
)

// ErrClosed is returned by Publish and Subscribe after the node's Close.
var ErrClosed = errors.New("brokertest: node closed")

// Network is a set of nodes exchanging messages.
type Network struct {
	maxDelay time.Duration

	mu     sync.Mutex // guards rng, nodes, filter and every node's queue and lanes
	rng    *rand.Rand
	nodes  []*Node
	filter func(to int, m broker.Message) Fate
	count  int // messages queued so far, the tie-breaker of equal times
	held   []held
}

// held is a delivery kept by Hold.
type held struct {
	to *Node
	m  broker.Message
}

// New returns a network whose deliveries wait a random delay in
// [0, maxDelay], drawn from a generator seeded with seed.
func New(seed uint64, maxDelay time.Duration) *Network {
	return &Network{maxDelay: maxDelay, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// SetFilter sets the function that decides the fate of each delivery of a
// message to node number to (in the order Node created them). nil
// delivers everything once.
func (n *Network) SetFilter(f func(to int, m broker.Message) Fate) {
	n.mu.Lock()
	n.filter = f
	n.mu.Unlock()
}

// Node adds a node to the network and returns its broker, numbered from 0
// in creation order.
func (n *Network) Node() *Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	nd := &Node{net: n, index: len(n.nodes), lanes: map[int]*lane{}, wake: make(chan struct{}, 1), done: make(chan struct{}), ended: make(chan struct{})}
	n.nodes = append(n.nodes, nd)
	return nd
}

// Node is one node's broker.Broker on the network.
type Node struct {
	net   *Network
	index int

	// Guarded by net.mu.
	handler    broker.Handler
	queue      deliveries
	lanes      map[int]*lane // by publishing node
	closed     bool
	subscribed bool
	busy       bool // the handler is running

	wake  chan struct{} // a delivery was queued
	done  chan struct{} // closed by Close
	ended chan struct{} // closed when the delivery goroutine has returned
}

var _ broker.Broker = (*Node)(nil)

// lane is what a receiving node remembers of one publisher, to keep its
// order where a real broker would.
type lane struct {
	last          time.Time // latest delivery time of any of its messages
	lastUnordered time.Time // latest delivery time of its messages without a seq
}

type delivery struct {
	at time.Time
	n  int
	m  broker.Message
}

// deliveries is a min-heap by time, then by queueing order.
type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if !d[i].at.Equal(d[j].at) {
		return d[i].at.Before(d[j].at)
	}
	return d[i].n < d[j].n
}
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deliveries) Push(x any)   { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// Publish queues m for every subscribed node of the network.
func (nd *Node) Publish(_ context.Context, m broker.Message) error {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.closed {
		return ErrClosed
	}
	now := time.Now()
	ordered := m.Kind == broker.KindRoom && m.Seq > 0
	for _, to := range n.nodes {
		if to.closed || !to.subscribed {
			continue
		}
		copies := 1
		if n.filter != nil {
			switch n.filter(to.index, m) {
			case Drop:
				continue
			case Duplicate:
				copies = 2
			case Hold:
				n.held = append(n.held, held{to: to, m: m})
				continue
			}
		}
		l := to.lanes[nd.index]
		if l == nil {
			l = &lane{}
			to.lanes[nd.index] = l
		}
		for range copies {
			at := now.Add(time.Duration(n.rng.Int64N(int64(n.maxDelay) + 1)))
			if ordered {
				at = later(at, l.lastUnordered)
			} else {
				at = later(at, l.last)
				l.lastUnordered = at
			}
			l.last = later(l.last, at)
			to.push(at, m)
		}
	}
	return nil
}

// push queues a delivery; net.mu is held.
func (nd *Node) push(at time.Time, m broker.Message) {
	nd.net.count++
	heap.Push(&nd.queue, delivery{at: at, n: nd.net.count, m: m})
	select {
	case nd.wake <- struct{}{}:
	default:
	}
}

// Release delivers every held message now, in the order they were held,
// and reports how many there were.
func (n *Network) Release() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	for _, h := range n.held {
		if !h.to.closed {
			h.to.push(now, h.m)
		}
	}
	k := len(n.held)
	n.held = nil
	return k
}

// Quiet reports whether nothing is queued for any node (held messages
// aside) and no handler is running: every delivery published so far is
// done.
func (n *Network) Quiet() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, nd := range n.nodes {
		if !nd.closed && (len(nd.queue) > 0 || nd.busy) {
			return false
		}
	}
	return true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Subscribe sets the node's handler and starts delivering to it. Call it
// once.
func (nd *Node) Subscribe(_ context.Context, h broker.Handler) error {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.closed {
		return ErrClosed
	}
	if nd.subscribed {
		return errors.New("brokertest: Subscribe called twice")
	}
	nd.handler, nd.subscribed = h, true
	go nd.run()
	return nil
}

// run delivers the node's queue in time order, one message at a time.
func (nd *Node) run() {
	defer close(nd.ended)
	n := nd.net
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		n.mu.Lock()
		if nd.closed {
			n.mu.Unlock()
			return
		}
		var wait time.Duration = -1
		if len(nd.queue) > 0 {
			if d := time.Until(nd.queue[0].at); d > 0 {
				wait = d
			} else {
				next := heap.Pop(&nd.queue).(delivery)
				h := nd.handler
				nd.busy = true
				n.mu.Unlock()
				h(next.m)
				n.mu.Lock()
				nd.busy = false
				n.mu.Unlock()
				continue
			}
		}
		n.mu.Unlock()
		var tick <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-nd.done:
			return
		case <-nd.wake:
		case <-tick:
		}
	}
}

// Close stops delivery to this node (what is still queued is discarded)
// and waits for the handler's current call to return. Other nodes stop
// receiving this node's messages, and it theirs.
func (nd *Node) Close() error {
	n := nd.net
	n.mu.Lock()
	if nd.closed {
		n.mu.Unlock()
		return nil
	}
	nd.closed = true
	nd.queue = nil
	subscribed := nd.subscribed
	n.mu.Unlock()
	close(nd.done)
	if subscribed {
		<-nd.ended
	}
	return nil
}
