package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The workers run the shares of parallel multiplies and of For loops that
// the caller hands out; the caller runs one share itself. A step of a DQN
// update hands out work some twenty times, between short serial stretches,
// so the hand-off must be quick: a worker that finishes a share polls for
// the next one for a while (spin) before it parks, and the caller polls for
// the shares it waits on before it parks. Waking a parked goroutine on
// another core takes tens of microseconds, as long as a small share's work.

// task is the share of one thread: rows [i0, i1) × columns [j0, j1) of C,
// or, if body is set, the indices [i0, i1) of a For loop. g counts it.
type task struct {
	j              *job
	i0, i1, j0, j1 int
	body           Body
	g              *group
}

// group counts the shares of one parallel call that are still running.
type group struct {
	left atomic.Int32
	wg   sync.WaitGroup
}

func (g *group) add(n int) {
	g.left.Store(int32(n))
	g.wg.Add(n)
}

func (g *group) done() {
	g.left.Add(-1)
	g.wg.Done()
}

// wait returns when every share has called done, polling for up to spin
// before it parks.
func (g *group) wait() {
	poll(spinFor(), func() bool { return g.left.Load() == 0 })
	g.wg.Wait()
}

// spin is how long (ns) a worker polls for work, and a caller for its
// workers, before parking: a few of the serial stretches between the
// parallel parts of a training step. Variable so that tests and benchmarks
// can compare.
var spin atomic.Int64

func init() { spin.Store(int64(50 * time.Microsecond)) }

func spinFor() time.Duration { return time.Duration(spin.Load()) }

// poll calls ready until it returns true or d has passed, yielding the
// processor now and then so that a goroutine waiting for it can run. It
// reports whether ready returned true.
func poll(d time.Duration, ready func() bool) bool {
	if d <= 0 {
		return ready()
	}
	var deadline time.Time
	for i := 0; ; i++ {
		if ready() {
			return true
		}
		if i&63 == 63 {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(d)
			} else if now.After(deadline) {
				return false
			}
			runtime.Gosched()
		}
	}
}

// The workers take tasks from work without blocking on it (a goroutine
// blocked on a channel receive would be handed the next task directly and
// wait for the sender's processor, behind the sender's own share). A worker
// polls work for spin, then parks on wake; a sender wakes one when no worker
// is polling. polling counts the workers that poll.
var (
	workerOnce sync.Once
	work       chan task
	wake       chan struct{}
	polling    atomic.Int32
)

func startWorkers() {
	n := runtime.NumCPU()
	work = make(chan task, n)
	wake = make(chan struct{}, n)
	for range n {
		go worker()
	}
}

// handOut queues t for the workers.
func handOut(t task) {
	work <- t
	if polling.Load() == 0 {
		select {
		case wake <- struct{}{}:
		default: // enough wake-ups are pending
		}
	}
}

func worker() {
	var t task
	got := func() bool {
		select {
		case t = <-work:
			return true
		default:
			return false
		}
	}
	<-wake
	polling.Add(1)
	for {
		if !poll(spinFor(), got) {
			// Park, unless a task came in before the others could see
			// that this worker stopped polling.
			polling.Add(-1)
			for !got() {
				<-wake
			}
			polling.Add(1)
		}
		if t.body != nil {
			t.body.Run(t.i0, t.i1)
		} else {
			t.j.kern.run(&t.j.p, t.i0, t.i1, t.j0, t.j1)
		}
		g := t.g
		t = task{}
		g.done()
	}
}

// Body is the body of a loop over indices that For may split between
// threads: Run(lo, hi) handles indices lo ≤ i < hi, and calls on disjoint
// ranges must not interfere. A Body kept by its owner (a pointer to a
// long-lived struct) lets For run without allocating.
type Body interface{ Run(lo, hi int) }

var groups = sync.Pool{New: func() any { return new(group) }}

// For runs body over [0, n): in one call on the caller when Threads is 1 or
// n < 2·grain, otherwise split into up to Threads contiguous ranges of at
// least grain indices, one of them on the caller, on the workers that
// Sgemm uses. It returns when all are done.
func For(n, grain int, body Body) {
	t := min(int(threads.Load()), n/max(grain, 1))
	if t <= 1 {
		body.Run(0, n)
		return
	}
	workerOnce.Do(startWorkers)
	g := groups.Get().(*group)
	g.add(t - 1)
	lo := 0
	for i := range t - 1 {
		hi := n * (i + 1) / t
		handOut(task{i0: lo, i1: hi, body: body, g: g})
		lo = hi
	}
	body.Run(lo, n)
	g.wait()
	groups.Put(g)
}
