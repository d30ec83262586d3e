package client

import (
	"sync"

	"github.com/rtchat/rtchat/protocol"
)

// ErrorKey is the inbox key under which error frames are queued.
const ErrorKey = "error"

// inbox is an unbounded per-event-type FIFO of received frames. The read loop
// never blocks on it, so a test that ignores some event type cannot stall the
// connection.
type inbox struct {
	mu sync.Mutex // guards queues and notify
	// queues holds the unconsumed frames by key, oldest first.
	queues map[string][]protocol.Frame
	// notify is closed (and replaced) whenever a frame is queued, waking
	// every goroutine blocked in pop.
	notify chan struct{}
}

func newInbox() *inbox {
	return &inbox{queues: make(map[string][]protocol.Frame), notify: make(chan struct{})}
}

// frameKey is the key a frame is queued under.
func frameKey(f protocol.Frame) string {
	if f.Error != nil {
		return ErrorKey
	}
	return f.EventType
}

func (in *inbox) push(f protocol.Frame) {
	k := frameKey(f)
	in.mu.Lock()
	in.queues[k] = append(in.queues[k], f)
	close(in.notify)
	in.notify = make(chan struct{})
	in.mu.Unlock()
}

// tryPop returns the oldest frame under key, or, when there is none, the
// channel that will be closed at the next push.
func (in *inbox) tryPop(key string) (protocol.Frame, bool, <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	q := in.queues[key]
	if len(q) == 0 {
		return protocol.Frame{}, false, in.notify
	}
	f := q[0]
	q[0] = protocol.Frame{} // let the frame's data be collected
	if len(q) == 1 {
		delete(in.queues, key)
	} else {
		in.queues[key] = q[1:]
	}
	return f, true, nil
}

func (in *inbox) len(key string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.queues[key])
}

func (in *inbox) drain(key string) {
	in.mu.Lock()
	delete(in.queues, key)
	in.mu.Unlock()
}

// dropExcept discards the queued frames of every key but keep: a Session
// reads only message.dispatch from the inbox, and a long-lived connection
// must not hoard the rest.
func (in *inbox) dropExcept(keep string) {
	in.mu.Lock()
	for k := range in.queues {
		if k != keep {
			delete(in.queues, k)
		}
	}
	in.mu.Unlock()
}

// removeAnswer discards the queued frame that answered requestID, if it is
// still queued: SendMessage uses it for a repeated send's answer, whose
// message the inbox already holds.
func (in *inbox) removeAnswer(f protocol.Frame) {
	k := frameKey(f)
	in.mu.Lock()
	defer in.mu.Unlock()
	q := in.queues[k]
	for i := range q {
		if q[i].RequestID == f.RequestID {
			in.queues[k] = append(q[:i:i], q[i+1:]...)
			if len(in.queues[k]) == 0 {
				delete(in.queues, k)
			}
			return
		}
	}
}
