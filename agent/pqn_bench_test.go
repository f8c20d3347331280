package agent

import (
	"fmt"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
)

// BenchmarkPQNMinAtar measures PQN iterations in its MinAtar setting
// (pqn-minatar on Breakout: 128 envs × 32 steps, 2 epochs of 32 minibatches
// of 128) on 1 and 2 cores: net.SetThreads for the GEMMs, Shards for
// data-parallel passes of the whole network, as many env workers; with ε already at its floor so that the policy acts as it does
// for most of a run. It reports frames/s and the share of the time spent
// stepping the envs, in the acting forward pass, in the bootstrap forward
// passes with the λ-returns, and in the gradient steps, and the CPU time
// per frame over all threads (getrusage), the figure that load does not
// change: frames/s halve when another process shares the cores.
func BenchmarkPQNMinAtar(b *testing.B) {
	for _, c := range []struct{ threads, shards int }{{1, 1}, {2, 1}, {1, 2}, {2, 2}} {
		b.Run(fmt.Sprintf("threads=%d/shards=%d", c.threads, c.shards), func(b *testing.B) {
			defer net.SetThreads(net.SetThreads(c.threads))
			cfg, _ := PQNPreset("pqn-minatar")
			cfg.EnvWorkers, cfg.Shards = max(c.threads, c.shards), c.shards
			cfg.ExplorationSteps = 0
			cfg.FinalEvalEpisodes, cfg.EvalEvery = 0, 0
			p, err := NewPQN(func() (env.Env, error) { return env.Make(cfg.Env) }, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.iterate(); err != nil { // warm up buffers and the vector's timing
				b.Fatal(err)
			}
			p.Timings = PQNTimings{}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if err := p.iterate(); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime() - cpu0
			tm := p.Timings
			total := (tm.Act + tm.Env + tm.Returns + tm.Learn).Seconds()
			b.ReportMetric(float64(b.N*cfg.rolloutSize())/b.Elapsed().Seconds(), "frames/s")
			// CPU time per frame, all threads: on a shared machine the
			// frames/s of a 2-core setting depend on the load, but this
			// shows what the parallel version costs in work.
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*cfg.rolloutSize()), "cpu-µs/frame")
			b.ReportMetric(100*tm.Env.Seconds()/total, "%env")
			b.ReportMetric(100*tm.Act.Seconds()/total, "%act")
			b.ReportMetric(100*tm.Returns.Seconds()/total, "%returns")
			b.ReportMetric(100*tm.Learn.Seconds()/total, "%learn")
		})
	}
}
