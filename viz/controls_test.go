package viz

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSpeedSteps(t *testing.T) {
	c := newControls(1, 30)
	for _, want := range []float64{2, 4, 8, 16, 32, 64, 0, 0} {
		c.Faster()
		if c.Speed() != want {
			t.Fatalf("speed %g after Faster, want %g", c.Speed(), want)
		}
	}
	if c.FPS() != maxFPS {
		t.Fatalf("fps %g, want the cap %g", c.FPS(), maxFPS)
	}
	c.Slower()
	if c.Speed() != maxSpeed {
		t.Fatalf("Slower from full speed gave %g, want %g", c.Speed(), maxSpeed)
	}
	for range 20 {
		c.Slower()
	}
	if c.Speed() != minSpeed || c.FPS() != minFPS {
		t.Fatalf("speed %g, fps %g after many Slower; want %g, %g", c.Speed(), c.FPS(), minSpeed, minFPS)
	}
}

func TestToggles(t *testing.T) {
	c := newControls(1, 30)
	c.ToggleGreedy()
	c.ToggleRecord()
	if !c.Greedy() || !c.Recording() {
		t.Fatal("toggles did not switch on")
	}
	c.ToggleGreedy()
	c.ToggleRecord()
	if c.Greedy() || c.Recording() {
		t.Fatal("toggles did not switch off")
	}
}

// eventually polls cond until it holds, failing after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

// TestPauseStepClose: a paused trainer waits; N lets exactly one step
// through; resume and close release it.
func TestPauseStepClose(t *testing.T) {
	c := newControls(1, 30)
	var steps atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the trainer
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c.Paused() {
				c.wait()
			}
			steps.Add(1)
		}
	}()
	c.SetPaused(true)
	eventually(t, "the trainer blocks", c.blocked)
	n := steps.Load()
	c.Step()
	eventually(t, "one step", func() bool { return steps.Load() == n+1 && c.blocked() })
	time.Sleep(10 * time.Millisecond)
	if steps.Load() != n+1 {
		t.Fatalf("a step while paused let %d steps through, want 1", steps.Load()-n)
	}
	c.TogglePause()
	eventually(t, "resume releases the trainer", func() bool { return steps.Load() > n+100 })
	c.SetPaused(true)
	eventually(t, "the trainer blocks again", c.blocked)
	c.Close()
	if c.Paused() || !c.Closed() {
		t.Fatal("Close left training paused")
	}
	n = steps.Load()
	eventually(t, "close releases the trainer", func() bool { return steps.Load() > n+100 })
	close(stop)
	wg.Wait()
	select {
	case <-c.done:
	default:
		t.Fatal("Close did not close done")
	}
	c.Close() // twice is fine
}
