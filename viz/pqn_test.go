package viz

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// copyReturns records the returns of the episodes it is shown.
type copyReturns struct {
	agent.NopObserver
	returns []float64
}

func (c *copyReturns) OnEpisode(e *agent.EpisodeEvent) { c.returns = append(c.returns, e.Return) }

// TestWatchingPQN watches a PQN run's first env copy as deepq train
// --render does (agent.CopyObserver): a fake window takes frames while it
// trains, the viewer counts copy 0's episodes and their mean, and the run is
// the unwatched run, loss for loss.
func TestWatchingPQN(t *testing.T) {
	cfg, err := agent.PQNPreset("pqn-cartpole")
	if err != nil {
		t.Fatal(err)
	}
	cfg.NumEnvs, cfg.Hidden, cfg.TotalSteps, cfg.FinalEvalEpisodes = 4, []int{8}, 4*32*8, 2
	mk := func() (env.Env, error) { return env.Make("cartpole") }
	train := func(obs ...agent.Observer) (*agent.PQN, agent.Result) {
		p, err := agent.NewPQN(mk, cfg, obs...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return p, res
	}
	base := &runLog{}
	_, want := train(base)

	got, first := &runLog{}, &copyReturns{}
	p, err := agent.NewPQN(mk, cfg, got, agent.CopyObserver(first, 0, cfg.NumEnvs))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewViewer(p.Vec.Env(0), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	// Training pauses at two of copy 0's steps until the window has shown
	// them, so that it surely gets frames however fast training is.
	ats := []int64{201, 601}
	p.Observe(&pauser{at: -1, ats: ats, ctl: v.Controls}, agent.CopyObserver(v, 0, cfg.NumEnvs))
	s := newScreen(v)
	var mu sync.Mutex // guards s
	stop, done := make(chan struct{}), make(chan int)
	go func() { // the window, updating as fast as it can
		frames := 0
		for {
			select {
			case <-stop:
				done <- frames
				return
			default:
			}
			mu.Lock()
			if s.update(time.Now()) {
				frames++
			}
			mu.Unlock()
			time.Sleep(50 * time.Microsecond)
		}
	}()
	trained := make(chan error)
	var res agent.Result
	go func() {
		var err error
		res, err = p.Run(context.Background())
		trained <- err
	}()
	for _, at := range ats {
		eventually(t, fmt.Sprintf("copy 0's frame %d on screen", at), func() bool {
			mu.Lock()
			defer mu.Unlock()
			return s.shown == at
		})
		v.Controls().SetPaused(false)
	}
	err = <-trained
	close(stop)
	frames := <-done
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.losses, base.losses) || !slices.Equal(got.returns, base.returns) || res.Final.Mean != want.Final.Mean {
		t.Fatal("the watched PQN run differs from the unwatched one")
	}
	l := v.live
	n := len(first.returns)
	mean := 0.0
	for _, r := range first.returns[n-min(n, 100):] {
		mean += r / float64(min(n, 100))
	}
	last := cfg.TotalSteps - int64(cfg.NumEnvs) + 1 // copy 0's last frame
	if n < 3 || l.N100 != min(n, 100) || math.Abs(l.Mean100-mean) > 1e-9 || l.Step != last || frames < 2 {
		t.Fatalf("viewer: %d episodes, mean %v, step %d, %d frames; copy 0 finished %d episodes, mean %v; last step %d",
			l.N100, l.Mean100, l.Step, frames, n, mean, last)
	}
}
