package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deepq/deepq/replay"
)

// BenchmarkUpdate measures one DQN gradient step at the CartPole preset's
// sizes: MLP 4-256-256-2, batch 64, Adam, Double DQN.
func BenchmarkUpdate(b *testing.B) {
	cfg := cartpole(b)
	d, err := NewDQN(cfg, []int{4}, 2, newRand(1, streamInit))
	if err != nil {
		b.Fatal(err)
	}
	batch := replay.NewBatch(cfg.BatchSize, 4)
	rng := newRand(1, streamSample)
	for i := range batch.Obs {
		batch.Obs[i] = float32(rng.NormFloat64())
		batch.NextObs[i] = float32(rng.NormFloat64())
	}
	for i := range batch.Actions {
		batch.Actions[i] = int32(rng.IntN(2))
		batch.Rewards[i] = 1
		batch.Discounts[i] = 0.99
	}
	b.ReportAllocs()
	for b.Loop() {
		d.Update(batch, nil)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkTraining measures whole-training throughput (env steps per second,
// acting, replay and learning included) with the CartPole preset over its
// first 10k steps, of which 9k learn.
func BenchmarkTraining(b *testing.B) {
	steps := int64(0)
	for b.Loop() {
		cfg := cartpole(b)
		cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 10_000, 0, 0
		res := runTrainer(b, cfg)
		steps += res.Steps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "env-steps/s")
}

// countingObserver does what a cheap observer does on every event: count
// and keep a few numbers.
type countingObserver struct {
	steps, episodes, updates int64
	ret, loss                float64
}

func (c *countingObserver) OnStep(e *StepEvent)         { c.steps++; c.ret = e.Return }
func (c *countingObserver) OnEpisode(e *EpisodeEvent)   { c.episodes++ }
func (c *countingObserver) OnUpdate(e *UpdateEvent)     { c.updates++; c.loss = e.Loss }
func (c *countingObserver) OnTargetUpdate(int64, int64) {}
func (c *countingObserver) OnEval(*EvalEvent)           {}

// BenchmarkObservers trains the CartPole preset for 10k steps without
// observers and with three, to show that watching costs the learner nothing
// measurable. Compare the env-steps/s of the two sub-benchmarks (run with
// -count 5 and compare medians).
func BenchmarkObservers(b *testing.B) {
	for _, n := range []int{0, 3} {
		b.Run(fmt.Sprintf("observers=%d", n), func(b *testing.B) {
			steps := int64(0)
			for b.Loop() {
				cfg := cartpole(b)
				cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 10_000, 0, 0
				var obs []Observer
				for range n {
					obs = append(obs, &countingObserver{})
				}
				res := runTrainer(b, cfg, obs...)
				steps += res.Steps
			}
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "env-steps/s")
		})
	}
}

// trainClock measures the part of a run after its warm-up: the wall and
// CPU time (of the whole process, the disk buffer's reading goroutines
// included) from the end of step from to the end of the run.
type trainClock struct {
	NopObserver
	from int64
	wall time.Time
	cpu  time.Duration
}

func (c *trainClock) OnStep(e *StepEvent) {
	if e.Step == c.from {
		c.wall, c.cpu = time.Now(), cpuTime()
	}
}

// BenchmarkMinAtarReplayStorage trains the minatar preset (Breakout, batch
// 32, a gradient step per frame, the bits replay of 100k slots) for 3,000
// frames after its 5,000 warm-up frames, with the replay in memory and on
// disk: with the default 256 MiB cache (which holds the whole buffer, as it
// would up to 5M MinAtar slots), and with a cache of 192 KiB, half of the
// 8,000 frames' segments, so that sampling misses it half the time and
// segments are written back and read again (through the OS page cache).
// frames/s is wall-clock, frames/cpu-s per second of the process's CPU time
// (steadier on a loaded machine). Run with -benchtime 1x -count 5 and
// compare medians; sub-benchmarks of one count run one after another.
func BenchmarkMinAtarReplayStorage(b *testing.B) {
	const warm, learn = 5000, 3000
	for _, c := range []struct {
		name  string
		cache int64 // 0: memory
	}{{"memory", 0}, {"disk", replay.DefaultCacheBytes}, {"disk-cache=192KiB", 192 << 10}} {
		b.Run(c.name, func(b *testing.B) {
			var frames int64
			var wall, cpu time.Duration
			for b.Loop() {
				cfg, err := Preset("minatar")
				if err != nil {
					b.Fatal(err)
				}
				cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = warm+learn, 0, 0
				if c.cache > 0 {
					cfg = onDisk(cfg, b.TempDir(), c.cache)
				}
				clock := &trainClock{from: warm}
				tr, err := NewTrainer(cfg, clock)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tr.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(clock.wall)
				cpu += cpuTime() - clock.cpu
				frames += learn
				if err := tr.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(frames)/wall.Seconds(), "frames/s")
			b.ReportMetric(float64(frames)/cpu.Seconds(), "frames/cpu-s")
		})
	}
}

// BenchmarkRecurrentUpdate measures one R2D2 gradient step at the sizes of
// the cartpole-pomdp preset (MLP 2-64, LSTM 64) and of the minatar-r2d2
// preset (MinAtar's conv torso and dense layer of 128, LSTM 128): batches of
// 32 and 8 sequences of 10 burn-in and 20 trained steps, online and target
// passes, full BPTT.
func BenchmarkRecurrentUpdate(b *testing.B) {
	gauss := func(rng *rand.Rand) float32 { return float32(rng.NormFloat64()) }
	binary := func(rng *rand.Rand) float32 { // MinAtar's channels, a tenth of the cells on
		if rng.IntN(10) == 0 {
			return 1
		}
		return 0
	}
	for _, c := range []struct {
		preset string
		obs    []int
		acts   int
		cell   func(*rand.Rand) float32
	}{{"cartpole-pomdp", []int{2}, 2, gauss}, {"minatar-r2d2", []int{4, 10, 10}, 6, binary}} {
		b.Run(c.preset, func(b *testing.B) {
			cfg, _ := Preset(c.preset)
			d, err := NewRecurrentDQN(cfg, c.obs, c.acts, newRand(1, streamInit))
			if err != nil {
				b.Fatal(err)
			}
			n := 1
			for _, s := range c.obs {
				n *= s
			}
			rc := SequenceReplayConfig(&cfg, n)
			rc.Capacity = 64
			buf, err := replay.NewSequenceBuffer(rc)
			if err != nil {
				b.Fatal(err)
			}
			rng := newRand(1, streamSample)
			h := make([]float32, cfg.LSTMSize)
			for s := range 2000 {
				o := make([]float32, n)
				for i := range o {
					o[i] = c.cell(rng)
				}
				buf.Add(0, replay.SequenceStep{Obs: o, H: h, C: h, Action: rng.IntN(c.acts), Reward: 1, Next: o, Terminated: s%100 == 99})
			}
			batch := replay.NewSequenceBatch(cfg.BatchSize, rc)
			buf.Sample(rng, batch)
			td := make([]float32, len(batch.Mask))
			b.ReportAllocs()
			for b.Loop() {
				d.Update(batch, td)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}
