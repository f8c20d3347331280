// Package bench holds the standard benchmarks of deepq, shared by
// `deepq bench` and the Go benchmarks: GEMM at the DQN shapes and at cubes,
// one and two threads, in float32 (gemm/) and in bf16 mixed precision
// (bf16_gemm/, with bf16_peak, the bf16 instruction's one-core peak, where
// the CPU has one); train steps of the CartPole, MinAtar and Nature networks
// in float32 and in bf16; environment steps; replay adds and samples; PQN
// iterations in its MinAtar setting on 1 and 2 threads, with where their time
// goes; and (long) a whole CartPole training with CleanRL's settings.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/bf16"
	"github.com/deepq/deepq/internal/gemm"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// Case is one benchmark.
type Case struct {
	// Name identifies it, e.g. "gemm/1T/nature_fc_fwd_b32".
	Name string
	// Unit is what Run reports: "GFLOP/s", "env-steps/s" and "frames/s"
	// (higher is better), "ms/step" and "ns/op" (lower is better).
	Unit string
	// Long marks cases that take seconds per call (whole trainings).
	Long bool
	// setup prepares the workload: op runs once, work is the FLOPs or steps
	// of one op (for rates), done releases what setup changed.
	setup func() (op func(), work float64, done func())
	// parts, if set, returns the shares of the ops' time in their parts,
	// after the rounds (before done).
	parts func() []Part
	// cpu asks Run for the CPU time per unit of work too.
	cpu bool
}

// Result is the median of Run's rounds.
type Result struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Parts split the time of the ops (all rounds and the warm-up) into
	// their parts, for the cases that measure them (pqn/: env, act,
	// returns, learn).
	Parts []Part `json:"parts,omitempty"`
	// CPUMicros is the CPU time of the process (all threads, getrusage)
	// per unit of work over the rounds, in µs (pqn/: per frame), where the
	// system measures it: unlike a rate, load on the machine barely
	// changes it, and 1e6/CPUMicros is the rate on one idle core.
	CPUMicros float64 `json:"cpu_us,omitempty"`
}

// Part is one part's share of a case's time.
type Part struct {
	Name    string  `json:"name"`
	Percent float64 `json:"percent"`
}

// Run times c: rounds rounds of at least minTime each (after one warm-up
// op, except for long cases), and returns the median round's figure in
// c.Unit.
func (c Case) Run(minTime time.Duration, rounds int) Result {
	op, work, done := c.setup()
	defer done()
	if !c.Long {
		op()
	}
	per := make([]float64, 0, rounds) // seconds per op
	cpu0, ops := cpuTime(), 0
	for range max(rounds, 1) {
		n := 0
		start := time.Now()
		for n == 0 || time.Since(start) < minTime {
			op()
			n++
		}
		per = append(per, time.Since(start).Seconds()/float64(n))
		ops += n
	}
	cpu := cpuTime() - cpu0
	slices.Sort(per)
	s := per[len(per)/2]
	r := Result{Unit: c.Unit}
	switch c.Unit {
	case "GFLOP/s":
		r.Value = work / s / 1e9
	case "env-steps/s", "frames/s":
		r.Value = work / s
	case "ms/step":
		r.Value = s * 1e3
	case "ns/op":
		r.Value = s * 1e9
	default:
		panic("bench: unknown unit " + c.Unit)
	}
	if c.parts != nil {
		r.Parts = c.parts()
	}
	if c.cpu && cpu > 0 {
		r.CPUMicros = float64(cpu.Nanoseconds()) / 1e3 / (float64(ops) * work)
	}
	return r
}

// GEMMShape is a multiply C (M×N) = op(A)·op(B) with op(A) M×K.
type GEMMShape struct {
	Name           string
	TransA, TransB bool
	M, N, K        int
}

// GEMMShapes are the cubes and the multiplies of a DQN train step: Dense
// forward (x·Wᵀ, NT), weight gradient (δᵀ·x, TN) and input gradient (δ·W,
// NN) of the CartPole MLPs and of the MinAtar and Nature fully connected
// layers; the im2col products of MinAtar's convolution (W (Cout, K) ·
// col (K, B·H′·W′) and δ·colᵀ); and the Nature convolutions' multiplies, one
// per sample and kernel tap after space to depth (net's conv_wide.go):
// Wt (Cout, C′) · xs (C′, Pw), xs · δᵀ (Pw, Cout) and Wtᵀ · δ.
var GEMMShapes = []GEMMShape{
	{"cube64", false, false, 64, 64, 64},
	{"cube256", false, false, 256, 256, 256},
	{"cube1024", false, false, 1024, 1024, 1024},
	{"mlp256_fwd_b64", false, true, 64, 256, 256},
	{"mlp256_dW_b64", true, false, 256, 256, 64},
	{"mlp256_dx_b64", false, false, 64, 256, 256},
	{"mlp120x84_fwd_b128", false, true, 128, 84, 120},
	{"mlp120x84_dW_b128", true, false, 84, 120, 128},
	{"mlp120x84_dx_b128", false, false, 128, 120, 84},
	{"act_mlp120x84_b1", false, true, 1, 84, 120},
	{"minatar_conv_fwd_b32", false, false, 16, 32 * 64, 36},
	{"minatar_conv_dW_b32", false, true, 16, 36, 32 * 64},
	{"minatar_fc_fwd_b32", false, true, 32, 128, 1024},
	{"minatar_fc_dW_b32", true, false, 128, 1024, 32},
	{"minatar_fc_dx_b32", false, false, 32, 1024, 128},
	{"nature_conv1_fwd_tap", false, false, 32, 420, 64},
	{"nature_conv1_dW_tap", false, false, 64, 32, 420},
	{"nature_conv2_fwd_tap", false, false, 64, 90, 128},
	{"nature_conv2_dW_tap", false, false, 128, 64, 90},
	{"nature_conv2_dx_tap", true, false, 128, 90, 64},
	{"nature_conv3_fwd_tap", false, false, 64, 63, 64},
	{"nature_conv3_dW_tap", false, false, 64, 64, 63},
	{"nature_conv3_dx_tap", true, false, 64, 63, 64},
	{"nature_fc_fwd_b32", false, true, 32, 512, 3136},
	{"nature_fc_dW_b32", true, false, 512, 3136, 32},
	{"nature_fc_dx_b32", false, false, 32, 3136, 512},
}

// Cases returns every benchmark, in a stable order.
func Cases() []Case {
	var cs []Case
	for _, th := range []int{1, 2} {
		for _, s := range GEMMShapes {
			cs = append(cs, gemmCase(s, th))
		}
	}
	for _, th := range []int{1, 2} {
		for _, s := range GEMMShapes {
			cs = append(cs, bf16Case(s, th))
		}
	}
	if bf16.Peak(1) > 0 {
		cs = append(cs, Case{Name: "bf16_peak", Unit: "GFLOP/s", setup: bf16Peak})
	}
	for _, ts := range TrainSteps() {
		cs = append(cs, Case{Name: "train_step/" + ts.Name, Unit: "ms/step", setup: ts.setup})
	}
	for _, r := range env.Registered() {
		cs = append(cs, Case{Name: "env/" + r.Name, Unit: "env-steps/s", setup: envSteps(r.Name)})
	}
	cs = append(cs, pqnCase(1), pqnCase(2))
	cs = append(cs,
		Case{Name: "replay/add_cartpole", Unit: "ns/op", setup: replayAdd},
		Case{Name: "replay/sample_b128_cartpole", Unit: "ns/op", setup: replaySample},
		Case{Name: "train/cartpole_cleanrl_500k", Unit: "env-steps/s", Long: true, setup: trainCleanRL},
	)
	return cs
}

func gemmCase(s GEMMShape, threads int) Case {
	return multiplyCase("gemm", gemm.Sgemm, s, threads)
}

// bf16Case is the multiply of s in mixed precision (bf16 operands, float32
// sums) on the bf16 kernel in use (bf16.Kernel: AMX tiles, AVX512-BF16 or
// float32 on rounded operands), packing included.
func bf16Case(s GEMMShape, threads int) Case {
	return multiplyCase("bf16_gemm", bf16.Gemm, s, threads)
}

// bf16Peak is one core's peak of the bf16 kernel's instruction
// (bf16.Peak): divide a bf16_gemm figure by it for the fraction of peak.
func bf16Peak() (func(), float64, func()) {
	const rounds = 1 << 12
	return func() { bf16.Peak(rounds) }, bf16.Peak(1) * rounds, func() {}
}

func multiplyCase(prefix string, mul func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int), s GEMMShape, threads int) Case {
	return Case{
		Name: fmt.Sprintf("%s/%dT/%s", prefix, threads, s.Name),
		Unit: "GFLOP/s",
		setup: func() (func(), float64, func()) {
			rng := rand.New(rand.NewPCG(1, 2))
			ar, ac := s.M, s.K
			if s.TransA {
				ar, ac = ac, ar
			}
			br, bc := s.K, s.N
			if s.TransB {
				br, bc = bc, br
			}
			a, b, c := randn(rng, ar*ac), randn(rng, br*bc), make([]float32, s.M*s.N)
			prev := gemm.SetThreads(threads)
			op := func() { mul(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, ac, b, bc, 0, c, s.N) }
			return op, 2 * float64(s.M) * float64(s.N) * float64(s.K), func() { gemm.SetThreads(prev) }
		},
	}
}

func randn(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// TrainStep is a DQN train step as net's BenchmarkTrainStep measures it: the
// target network's forward pass on s′, the online forward pass on s, the
// backward pass from a fixed δ at the output (parameter gradients only), and
// an optimizer step.
type TrainStep struct {
	Name  string
	In    []int
	Specs []net.LayerSpec
	Batch int
	// Optimizer is "adam" (PyTorch's defaults) or "deepmind_rmsprop" (the
	// Nature DQN's: lr 2.5e-4, α 0.95, ε 0.01 inside the square root).
	Optimizer string
	// Precision is the networks' matmul precision (net.SetPrecision).
	Precision net.Precision
	setup     func() (func(), float64, func())
}

// TrainSteps returns the networks whose steps are benchmarked.
func TrainSteps() []TrainStep {
	ts := []TrainStep{
		{Name: "cartpole_mlp256x256_b64_adam", In: []int{4}, Specs: net.MLP([]int{256, 256}, 2), Batch: 64, Optimizer: "adam"},
		{Name: "cartpole_mlp120x84_b128_adam", In: []int{4}, Specs: net.MLP([]int{120, 84}, 2), Batch: 128, Optimizer: "adam"},
		{Name: "minatar_b32_rmsprop", In: []int{4, 10, 10}, Specs: net.MinAtarDQN(6), Batch: 32, Optimizer: "deepmind_rmsprop"},
		{Name: "nature_b32_rmsprop", In: []int{4, 84, 84}, Specs: net.NatureDQN(6), Batch: 32, Optimizer: "deepmind_rmsprop"},
	}
	for _, t := range ts[:len(ts):len(ts)] {
		t.Name += "_bf16"
		t.Precision = net.BF16
		ts = append(ts, t)
	}
	for i := range ts {
		t := &ts[i]
		t.setup = func() (func(), float64, func()) {
			step, err := NewTrainStep(*t)
			if err != nil {
				panic(err)
			}
			return step, 1, func() {}
		}
	}
	return ts
}

// NewTrainStep builds the networks and data of t and returns one step.
func NewTrainStep(t TrainStep) (func(), error) {
	rng := rand.New(rand.NewPCG(1, 2))
	online, err := net.Build[float32](t.In, t.Specs, rng)
	if err != nil {
		return nil, err
	}
	if err := online.SetPrecision(t.Precision); err != nil {
		return nil, err
	}
	target := online.Clone()
	var opt net.Optimizer[float32]
	switch t.Optimizer {
	case "adam":
		opt = net.NewAdam(online.Params(), net.DefaultAdam())
	case "deepmind_rmsprop":
		opt = net.NewDeepMindRMSProp(online.Params(), net.DefaultDeepMindRMSProp())
	default:
		return nil, fmt.Errorf("bench: unknown optimizer %q", t.Optimizer)
	}
	shape := append([]int{t.Batch}, t.In...)
	x, next := net.New[float32](shape...), net.New[float32](shape...)
	copy(x.Data, randn(rng, len(x.Data)))
	copy(next.Data, randn(rng, len(next.Data)))
	dy := net.New[float32](append([]int{t.Batch}, online.OutShape()...)...)
	for i := range dy.Data {
		dy.Data[i] = float32(rng.NormFloat64()) / float32(t.Batch)
	}
	return func() {
		target.Forward(next)
		online.Forward(x)
		opt.ZeroGrad()
		online.BackwardParams(dy) // no gradient for the input
		opt.Step()
	}, nil
}

// envSteps steps an env with uniformly random actions, resetting at the end
// of each episode; work is 1000 steps per op.
func envSteps(name string) func() (func(), float64, func()) {
	return func() (func(), float64, func()) {
		e, err := env.Make(name)
		if err != nil {
			panic(err)
		}
		e.Seed(1)
		e.Reset()
		rng := rand.New(rand.NewPCG(1, 2))
		n := e.Spec().Actions.N
		const steps = 1000
		return func() {
			for range steps {
				if _, _, term, trunc := e.Step(rng.IntN(n)); term || trunc {
					e.Reset()
				}
			}
		}, steps, func() {}
	}
}

// replayBuffer is a CartPole-sized buffer of 10k transitions, CleanRL's.
func replayBuffer() *replay.Buffer {
	cfg := replay.DefaultConfig(4)
	cfg.Capacity = 10_000
	b, err := replay.New(cfg)
	if err != nil {
		panic(err)
	}
	return b
}

// chain adds n transitions of episodes of 200 steps: each obs is the
// previous next, as the buffer requires.
type chain struct {
	b         *replay.Buffer
	obs, next []float32
	t         int
}

func (c *chain) add(rng *rand.Rand) {
	for i := range c.next {
		c.next[i] = c.obs[i] + 0.01
	}
	c.t++
	term := c.t%200 == 0
	c.b.Add(c.obs, rng.IntN(2), 1, c.next, term, false)
	c.obs, c.next = c.next, c.obs
}

func replayAdd() (func(), float64, func()) {
	c := &chain{b: replayBuffer(), obs: make([]float32, 4), next: make([]float32, 4)}
	rng := rand.New(rand.NewPCG(1, 2))
	return func() { c.add(rng) }, 1, func() {}
}

func replaySample() (func(), float64, func()) {
	c := &chain{b: replayBuffer(), obs: make([]float32, 4), next: make([]float32, 4)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		c.add(rng)
	}
	batch := replay.NewBatch(128, 4)
	return func() { c.b.Sample(rng, batch) }, 1, func() {}
}

func trainCleanRL() (func(), float64, func()) {
	cfg, err := agent.Preset("cartpole-cleanrl")
	if err != nil {
		panic(err)
	}
	cfg.FinalEvalEpisodes = 0
	return func() {
		tr, err := agent.NewTrainer(cfg)
		if err != nil {
			panic(err)
		}
		if _, err := tr.Run(context.Background()); err != nil {
			panic(err)
		}
	}, float64(cfg.TotalSteps), func() {}
}

// pqnCase is PQN in its MinAtar setting (the pqn-minatar preset on Breakout:
// 128 envs × 32 steps, 2 epochs of 32 minibatches of 128) on threads cores,
// as agent.BenchmarkPQNMinAtar measures it: one op is one iteration of 4,096
// frames (acting, λ-returns, 64 gradient steps), with ε at its floor as for
// most of a run. On 1 thread everything runs on one goroutine; on 2, as the
// preset trains: 2 shards and 2 env workers, each matrix product on one
// goroutine (net.SetThreads(1)). Its parts are the shares of the time in env
// steps, the acting forward pass, the bootstrap passes with the λ-returns,
// and the gradient steps (agent.PQNTimings).
func pqnCase(threads int) Case {
	var p *agent.PQN
	return Case{
		Name: fmt.Sprintf("pqn/%dT/minatar_breakout", threads),
		Unit: "frames/s",
		cpu:  true,
		setup: func() (func(), float64, func()) {
			prev := net.SetThreads(1)
			cfg, err := agent.PQNPreset("pqn-minatar")
			if err != nil {
				panic(err)
			}
			cfg.Shards, cfg.EnvWorkers = threads, threads
			cfg.ExplorationSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 0, 0, 0
			p, err = agent.NewPQN(func() (env.Env, error) { return env.Make(cfg.Env) }, cfg)
			if err != nil {
				panic(err)
			}
			op := func() {
				if err := p.Iterate(); err != nil {
					panic(err)
				}
			}
			return op, float64(cfg.NumEnvs * cfg.RolloutSteps), func() { net.SetThreads(prev) }
		},
		parts: func() []Part {
			t := p.Timings
			total := (t.Env + t.Act + t.Returns + t.Learn).Seconds()
			if total <= 0 {
				return nil
			}
			return []Part{{"env", 100 * t.Env.Seconds() / total}, {"act", 100 * t.Act.Seconds() / total},
				{"returns", 100 * t.Returns.Seconds() / total}, {"learn", 100 * t.Learn.Seconds() / total}}
		},
	}
}
