package viz

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
)

// benchConfig is `deepq train`'s CartPole run, shortened, without
// evaluations: the speed of acting and learning alone.
func benchConfig(b *testing.B) agent.Config {
	cfg, err := agent.Preset("cartpole")
	if err != nil {
		b.Fatal(err)
	}
	cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 10_000, 0, 0
	return cfg
}

// cpuTime is the process's user and system time so far, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTrain runs the training of cfg once per iteration, through drive
// (nil: headless), and reports env-steps/s (wall time of the training run)
// and the process's CPU time per step, window included, which a busy
// machine disturbs less.
func benchTrain(b *testing.B, cfg agent.Config, o *Options, drive func(v *Viewer, work func(context.Context) error) error) {
	b.ReportAllocs()
	var steps int64
	var busy time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		late := &lateView{}
		obs := []agent.Observer{}
		if o != nil {
			obs = append(obs, late)
		}
		tr, err := agent.NewTrainer(cfg, obs...)
		if err != nil {
			b.Fatal(err)
		}
		work := func(ctx context.Context) error {
			start := time.Now()
			res, err := tr.Run(ctx)
			busy += time.Since(start)
			steps += res.Steps
			return err
		}
		if o == nil {
			err = work(context.Background())
		} else {
			oo := *o
			oo.QValues = tr.Agent.QValues
			v, err := NewViewer(tr.Env, oo)
			if err != nil {
				b.Fatal(err)
			}
			late.v, tr.Greedy = v, v.Greedy
			err = drive(v, work)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(steps)/busy.Seconds(), "env-steps/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(steps), "cpu-µs/step")
}

// BenchmarkTrainSPS compares training headless with training watched by a
// window without OpenGL: a goroutine that takes frames 30 times a second
// and composes the window's image with its HUD, as the real window does
// before handing it to OpenGL. BenchmarkWindowSPS (pixel tag) opens the
// real window.
//
//	go test ./viz -run '^$' -bench TrainSPS -benchtime 1x -count 6
func BenchmarkTrainSPS(b *testing.B) {
	cfg := benchConfig(b)
	b.Run("headless", func(b *testing.B) { benchTrain(b, cfg, nil, nil) })
	b.Run("viewer-30fps", func(b *testing.B) {
		o := DefaultOptions()
		benchTrain(b, cfg, &o, func(v *Viewer, work func(context.Context) error) error {
			s := newScreen(v)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				t := time.NewTicker(s.interval())
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case now := <-t.C:
						s.update(now)
					}
				}
			}()
			err := work(context.Background())
			close(stop)
			<-done
			v.Finish()
			return err
		})
	})
}
