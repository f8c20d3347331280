package viz

import (
	"math"
	"sync"
	"sync/atomic"
)

// Speed limits: watched episodes play at Speed × the env's FPS, from
// minSpeed to maxSpeed, then unthrottled (speed 0); sampling runs at 1 to
// maxFPS frames a second.
const (
	minSpeed = 1.0 / 16
	maxSpeed = 64.0
	minFPS   = 1.0
	maxFPS   = 60.0
)

// Controls holds what the window's keys set, read by the training goroutine:
// pause, single steps, greedy actions, speed, recording and close. All
// methods are safe for concurrent use; the trainer's side reads atomics and
// only takes the mutex while paused.
type Controls struct {
	mu       sync.Mutex
	wake     *sync.Cond // signalled when paused, steps or closed change
	paused   atomic.Bool
	closed   atomic.Bool
	greedy   atomic.Bool
	steps    int           // single steps granted while paused, guarded by mu
	waiting  int           // goroutines blocked in wait, guarded by mu
	speed    atomic.Uint64 // float64 bits: playback speed of watched episodes, 0 = unthrottled
	fps      atomic.Uint64 // float64 bits: sampling frame rate
	record   atomic.Bool   // R: record the watched episode
	done     chan struct{} // closed by Close
	doneOnce sync.Once
}

func newControls(speed, fps float64) *Controls {
	c := &Controls{done: make(chan struct{})}
	c.wake = sync.NewCond(&c.mu)
	c.speed.Store(math.Float64bits(speed))
	c.fps.Store(math.Float64bits(fps))
	return c
}

// Paused reports whether training is paused.
func (c *Controls) Paused() bool { return c.paused.Load() }

// SetPaused pauses or resumes training.
func (c *Controls) SetPaused(on bool) {
	c.mu.Lock()
	c.paused.Store(on)
	c.steps = 0
	c.mu.Unlock()
	c.wake.Broadcast()
}

// TogglePause pauses running training or resumes paused training.
func (c *Controls) TogglePause() {
	c.mu.Lock()
	c.paused.Store(!c.paused.Load())
	c.steps = 0
	c.mu.Unlock()
	c.wake.Broadcast()
}

// Step lets paused training take one more step.
func (c *Controls) Step() {
	c.mu.Lock()
	if c.paused.Load() {
		c.steps++
	}
	c.mu.Unlock()
	c.wake.Broadcast()
}

// wait blocks the training goroutine while training is paused, until it is
// resumed, granted a step or closed.
func (c *Controls) wait() {
	c.mu.Lock()
	c.waiting++
	for c.paused.Load() && !c.closed.Load() && c.steps == 0 {
		c.wake.Wait()
	}
	c.waiting--
	if c.steps > 0 {
		c.steps--
	}
	c.mu.Unlock()
}

// blocked reports whether a goroutine is blocked in wait.
func (c *Controls) blocked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiting > 0
}

// Greedy reports whether watched episodes act greedily.
func (c *Controls) Greedy() bool { return c.greedy.Load() }

// ToggleGreedy switches greedy actions in watched episodes on or off.
func (c *Controls) ToggleGreedy() {
	for {
		old := c.greedy.Load()
		if c.greedy.CompareAndSwap(old, !old) {
			return
		}
	}
}

// Speed returns the playback speed of watched episodes as a multiple of the
// env's FPS; 0 means as fast as training goes.
func (c *Controls) Speed() float64 { return math.Float64frombits(c.speed.Load()) }

// FPS returns the sampling frame rate.
func (c *Controls) FPS() float64 { return math.Float64frombits(c.fps.Load()) }

// Faster doubles the speed (up to maxSpeed, then unthrottled) and the
// sampling rate (up to maxFPS).
func (c *Controls) Faster() {
	updateFloat(&c.speed, func(s float64) float64 {
		switch {
		case s == 0:
			return 0
		case s*2 > maxSpeed:
			return 0
		}
		return s * 2
	})
	updateFloat(&c.fps, func(f float64) float64 { return min(f*2, maxFPS) })
}

// Slower halves the speed (from unthrottled to maxSpeed, down to minSpeed)
// and the sampling rate (down to minFPS).
func (c *Controls) Slower() {
	updateFloat(&c.speed, func(s float64) float64 {
		if s == 0 {
			return maxSpeed
		}
		return max(s/2, minSpeed)
	})
	updateFloat(&c.fps, func(f float64) float64 { return max(f/2, minFPS) })
}

func updateFloat(a *atomic.Uint64, f func(float64) float64) {
	for {
		old := a.Load()
		if a.CompareAndSwap(old, math.Float64bits(f(math.Float64frombits(old)))) {
			return
		}
	}
}

// Recording reports whether recording is asked for.
func (c *Controls) Recording() bool { return c.record.Load() }

// ToggleRecord asks for a recording of the watched episode, or stops one.
func (c *Controls) ToggleRecord() {
	for {
		old := c.record.Load()
		if c.record.CompareAndSwap(old, !old) {
			return
		}
	}
}

// Close closes the window: training goes on without it (or stops, see
// Options.CloseStops), unpaused.
func (c *Controls) Close() {
	c.mu.Lock()
	c.closed.Store(true)
	c.paused.Store(false)
	c.mu.Unlock()
	c.wake.Broadcast()
	c.doneOnce.Do(func() { close(c.done) })
}

// Closed reports whether the window was closed.
func (c *Controls) Closed() bool { return c.closed.Load() }
