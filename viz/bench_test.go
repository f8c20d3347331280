package viz

import (
	"context"
	"slices"
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
	cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 20_000, 0, 0
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

// trainOnce runs the training of cfg once, through drive (nil: headless),
// and returns its env-steps per second of wall time and the process's CPU
// time per step (window included).
func trainOnce(b *testing.B, cfg agent.Config, o *Options, drive func(v *Viewer, work func(context.Context) error) error) (sps, cpuPerStep float64) {
	tr, err := agent.NewTrainer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var res agent.Result
	var wall, cpu time.Duration
	work := func(ctx context.Context) (err error) {
		start, cpu0 := time.Now(), cpuTime()
		res, err = tr.Run(ctx)
		wall, cpu = time.Since(start), cpuTime()-cpu0
		return err
	}
	if o == nil {
		err = work(context.Background())
	} else {
		oo := *o
		oo.QValues = tr.Agent.QValues
		v, err2 := NewViewer(tr.Env, oo)
		if err2 != nil {
			b.Fatal(err2)
		}
		tr.Observe(v)
		tr.Actor.Greedy = v.Greedy
		err = drive(v, work)
	}
	if err != nil {
		b.Fatal(err)
	}
	return float64(res.Steps) / wall.Seconds(), float64(cpu) / float64(time.Microsecond) / float64(res.Steps)
}

// benchPaired runs b.N rounds of two trainings of cfg, headless and watched
// through drive, back to back so that both meet the same load on a busy
// machine, and reports the medians: env-steps/s of each, their ratio
// (watched/headless, per round) and the CPU time per step of each.
func benchPaired(b *testing.B, cfg agent.Config, o Options, drive func(v *Viewer, work func(context.Context) error) error) {
	var sps0, sps1, ratio, cpu0, cpu1 []float64
	for b.Loop() {
		s0, c0 := trainOnce(b, cfg, nil, nil)
		s1, c1 := trainOnce(b, cfg, &o, drive)
		sps0, sps1, ratio = append(sps0, s0), append(sps1, s1), append(ratio, s1/s0)
		cpu0, cpu1 = append(cpu0, c0), append(cpu1, c1)
	}
	b.ReportMetric(median(sps0), "headless-steps/s")
	b.ReportMetric(median(sps1), "watched-steps/s")
	b.ReportMetric(median(ratio), "watched/headless")
	b.ReportMetric(median(cpu0), "headless-cpu-µs/step")
	b.ReportMetric(median(cpu1), "watched-cpu-µs/step")
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// BenchmarkTrainSPS compares training headless with training watched by a
// window without OpenGL: a goroutine that takes frames 30 times a second
// and composes the window's image with its HUD, as the real window does
// before handing it to OpenGL. BenchmarkWindowSPS (pixel tag) opens the
// real window. Each iteration is a pair of runs:
//
//	go test ./viz -run '^$' -bench TrainSPS -benchtime 7x
func BenchmarkTrainSPS(b *testing.B) {
	cfg := benchConfig(b)
	benchPaired(b, cfg, DefaultOptions(), func(v *Viewer, work func(context.Context) error) error {
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
}
