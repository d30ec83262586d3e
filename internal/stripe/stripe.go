// Package stripe holds a fixed array of mutexes striped by a string key: keys
// that share a stripe wait for each other briefly, and memory does not grow
// with the number of keys.
package stripe

import (
	"hash/maphash"
	"sync"
)

// Locks is 256 mutexes striped by key. The zero value is ready to use.
type Locks struct {
	once  sync.Once
	seed  maphash.Seed
	locks [256]sync.Mutex
}

// Get returns the mutex of key's stripe.
func (l *Locks) Get(key string) *sync.Mutex {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	return &l.locks[maphash.String(l.seed, key)%uint64(len(l.locks))]
}
