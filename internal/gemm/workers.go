package gemm

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The workers run the shares of parallel multiplies and of For loops that
// the caller hands out; the caller runs one share itself. A training step of
// the Nature DQN hands out work some twenty times, with serial stretches of
// about 20 µs between, so the hand-off must be quick, and waking a parked
// goroutine on another core takes tens of microseconds (more on a busy
// machine), as long as a small share's work. Worse, a goroutine parked on a
// channel receive is handed the next share directly and queued on the
// sender's processor, where it used to start only after the caller had run
// its own share. So:
//
//   - workers take shares from a queue without blocking on it, and poll the
//     queue for up to spin after each share if shares have been coming in
//     quick succession (large networks); otherwise they park, and handOut
//     wakes one when no worker polls;
//   - the caller, having run its own share, polls for shares that a polling
//     worker took, for up to waitSpin, before it parks.
//
// Small networks, which hand out a share or two per training step, thus see
// the old behaviour: no core burnt between steps (a second busy core would
// also lower the clock of the first), and a woken worker runs on whichever
// core is free first.

const (
	// spin is how long a worker polls for the next share, if one of the
	// last four came sooner than that after the previous one.
	spin = 100 * time.Microsecond
	// waitSpin is how long the caller polls for its workers' shares.
	waitSpin = 200 * time.Microsecond
)

// task is the share of one thread: rows [i0, i1) × columns [j0, j1) of C,
// or, if body is set, the indices [i0, i1) of a For loop. g counts it; sent
// is when it was handed out.
type task struct {
	j              *job
	i0, i1, j0, j1 int
	body           Body
	g              *group
	sent           time.Duration // since epoch
}

// group counts the shares of one parallel call that are still running;
// woke records whether handing them out had to wake a parked worker.
type group struct {
	left atomic.Int32
	wg   sync.WaitGroup
	woke bool
}

func (g *group) add(n int) {
	g.left.Store(int32(n))
	g.wg.Add(n)
	g.woke = false
}

func (g *group) done() {
	g.left.Add(-1)
	g.wg.Done()
}

// wait returns when every share has called done. If a polling worker took
// them, it polls for up to waitSpin before it parks, without yielding its
// processor (that would let another core's scheduler take the caller, and
// its caches, away). A woken worker starts on the caller's processor unless
// another core's scheduler takes it first: then the caller parks at once,
// which runs the worker there (small networks, whose shares are too short to
// wait for a core to wake).
func (g *group) wait() {
	if !g.woke && runtime.GOMAXPROCS(0) > 1 { // with one processor the workers run only once it parks
		poll(waitSpin, false, func() bool { return g.left.Load() == 0 })
	}
	g.wg.Wait()
}

// poll calls ready until it returns true or d has passed, yielding the
// processor now and then if yield is set, so that a goroutine waiting for it
// can run. It reports whether ready returned true.
func poll(d time.Duration, yield bool, ready func() bool) bool {
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
			if yield {
				runtime.Gosched()
			}
		}
	}
}

// epoch is the origin of the times below; lastDone is when a worker last
// finished a share.
var (
	epoch    = time.Now()
	lastDone atomic.Int64
)

// A worker takes shares from work without blocking on it; when it stops
// polling it parks on wake, and a sender wakes one when no worker is
// polling. polling counts the workers that poll (not those running a share
// or parked).
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

// handOut queues t for the workers, waking one if none polls.
func handOut(t task) {
	t.sent = time.Since(epoch)
	work <- t
	if polling.Load() == 0 {
		t.g.woke = true
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
	// gaps holds the last four times from the end of a share (by any
	// worker) to the hand-out of the next that this worker took (not to its
	// start, which is later if the worker parked).
	var gaps [4]time.Duration
	for n := 0; ; n++ {
		d := spin
		if slices.Min(gaps[:]) >= spin {
			d = 0
		}
		polling.Add(1)
		ok := poll(d, true, got)
		polling.Add(-1)
		// Park, unless a share came in before the senders could see that
		// this worker stopped polling (they wake a worker only when none
		// polls).
		for !ok && !got() {
			<-wake
		}
		gaps[n%len(gaps)] = max(0, t.sent-time.Duration(lastDone.Load()))
		if t.body != nil {
			t.body.Run(t.i0, t.i1)
		} else {
			t.j.kern.run(&t.j.p, t.i0, t.i1, t.j0, t.j1)
		}
		g := t.g
		t = task{}
		lastDone.Store(int64(time.Since(epoch)))
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
