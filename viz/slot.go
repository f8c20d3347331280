package viz

import (
	"sync"
	"sync/atomic"
)

// latest hands values from one producer to one consumer, latest wins: three
// buffers, one the producer fills, one the consumer reads and one in between
// holding the newest published value. Neither side ever waits for the other
// (the mutex guards two pointer swaps); a value published before the consumer
// took the previous one replaces it. The consumer asks for a new value with
// request, and the producer checks wanted, a single atomic load, to fill one
// only when it will be shown.
type latest[T any] struct {
	mu    sync.Mutex
	mid   *T   // the in-between buffer
	fresh bool // mid holds a value the consumer has not taken
	back  *T   // the producer's buffer
	front *T   // the consumer's buffer
	want  atomic.Bool
}

// newLatest returns a slot whose three buffers are made by mk.
func newLatest[T any](mk func() *T) *latest[T] {
	return &latest[T]{back: mk(), mid: mk(), front: mk()}
}

// Producer side.

// wanted reports whether the consumer has asked for a value since the last
// publish.
func (l *latest[T]) wanted() bool { return l.want.Load() }

// buffer returns the producer's buffer, to fill before publish. It holds an
// old value: whatever the producer put there one or two publishes ago.
func (l *latest[T]) buffer() *T { return l.back }

// publish makes the producer's buffer the newest value and gives the producer
// another buffer.
func (l *latest[T]) publish() {
	l.mu.Lock()
	l.back, l.mid = l.mid, l.back
	l.fresh = true
	l.mu.Unlock()
	l.want.Store(false)
}

// Consumer side.

// request asks the producer for a new value.
func (l *latest[T]) request() { l.want.Store(true) }

// take returns the newest value if one was published since the last take,
// and otherwise the value taken last with ok false. The value stays valid
// until the next take.
func (l *latest[T]) take() (v *T, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.fresh {
		return l.front, false
	}
	l.front, l.mid = l.mid, l.front
	l.fresh = false
	return l.front, true
}
