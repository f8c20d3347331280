package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deepq/deepq/agent"
)

// BenchmarkTrainSPS measures training throughput in env-steps/s without and
// with the exporter, which for the "with" case includes serving /metrics
// and a scraper fetching it every second (a 15th of Prometheus's default
// interval). Two workloads:
//
//	learn  the CartPole preset (256-256 MLP, 128 gradient steps every 256
//	       env steps) for 6000 steps after its 1000 random ones
//	act    random acting only (no learning): the trainer's per-step overhead
//	       at its most visible, where the observer's per-step work counts most
//
// Evaluations are off so that both measure the training loop alone. Besides
// env-steps/s it reports env-steps/cpu-s, steps per second of the whole
// process's CPU time (the scraper, the HTTP server and the GC included): on a
// shared machine wall time swings with other load far more than the 2% to
// be resolved, CPU time much less. Compare medians of several runs, with the
// variants interleaved (e.g. a shell loop over -count 1).
func BenchmarkTrainSPS(b *testing.B) {
	for _, w := range []struct {
		name string
		mod  func(*agent.Config)
	}{
		{"learn", func(c *agent.Config) { c.TotalSteps = 7000 }},
		{"act", func(c *agent.Config) { c.TotalSteps, c.LearningStarts = 1_000_000, 1_000_000 }},
	} {
		for _, exporter := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/exporter=%v", w.name, exporter), func(b *testing.B) {
				cfg, err := agent.Preset("cartpole")
				if err != nil {
					b.Fatal(err)
				}
				cfg.EvalEvery, cfg.FinalEvalEpisodes = 0, 0
				w.mod(&cfg)
				var steps int64
				var elapsed, cpu time.Duration
				cpuOK := true
				for b.Loop() {
					b.StopTimer()
					var obs []agent.Observer
					stop := func() {}
					if exporter {
						o, s := startExporter(b, cfg)
						obs, stop = []agent.Observer{o}, s
					}
					tr, err := agent.NewTrainer(cfg, obs...)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					start := time.Now()
					cpu0, ok0 := processCPU()
					res, err := tr.Run(context.Background())
					cpu1, ok1 := processCPU()
					elapsed += time.Since(start)
					cpu += cpu1 - cpu0
					cpuOK = cpuOK && ok0 && ok1
					if err != nil {
						b.Fatal(err)
					}
					steps += res.Steps
					b.StopTimer()
					stop()
					b.StartTimer()
				}
				b.ReportMetric(float64(steps)/elapsed.Seconds(), "env-steps/s")
				if cpuOK && cpu > 0 {
					b.ReportMetric(float64(steps)/cpu.Seconds(), "env-steps/cpu-s")
				}
			})
		}
	}
}

// startExporter registers an observer with the runtime collectors, serves it
// on a free loopback port and scrapes it every second until stop.
func startExporter(b *testing.B, cfg agent.Config) (*Observer, func()) {
	reg := prometheus.NewRegistry()
	mc := DefaultConfig(cfg.Env, cartpoleSpec(b))
	mc.Run = "bench"
	o, err := New(reg, mc)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := Listen("127.0.0.1:0", reg)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			resp, err := http.Get("http://" + srv.Addr() + "/metrics")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return o, func() {
		close(done)
		<-scraped
		srv.Close(context.Background())
	}
}

// BenchmarkObserver measures the observer's cost per event, as the training
// goroutine pays it.
func BenchmarkObserver(b *testing.B) {
	o, _ := newObserver(b, true)
	// OnStep costs most while ε decays and the replay fills (both change
	// every step), least after.
	for _, changing := range []bool{true, false} {
		b.Run(fmt.Sprintf("OnStep/changing=%v", changing), func(b *testing.B) {
			b.ReportAllocs()
			e := agent.StepEvent{Epsilon: 0.3, ReplaySize: 10, ReplayCapacity: 100}
			for i := 0; b.Loop(); i++ {
				e.Step = int64(i + 1)
				if changing {
					e.Epsilon, e.ReplaySize = 1/float64(e.Step), int(e.Step)
				}
				e.EnvDuration = 0
				if e.Step%agent.StepTimingInterval == 0 {
					e.EnvDuration = 80 * time.Nanosecond
				}
				o.OnStep(&e)
			}
		})
	}
	b.Run("OnEpisode", func(b *testing.B) {
		b.ReportAllocs()
		e := agent.EpisodeEvent{Return: 100, Length: 100, Terminated: true}
		for b.Loop() {
			o.OnEpisode(&e)
		}
	})
	b.Run("OnUpdate", func(b *testing.B) {
		b.ReportAllocs()
		e := agent.UpdateEvent{Duration: time.Millisecond, UpdateStats: agent.UpdateStats{Loss: 0.1, MeanQ: 3, MaxQ: 5, LR: 1e-3}}
		for b.Loop() {
			o.OnUpdate(&e)
		}
	})
	b.Run("scrape", func(b *testing.B) {
		b.ReportAllocs()
		reg := prometheus.NewRegistry()
		reg.MustRegister(o)
		for b.Loop() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
