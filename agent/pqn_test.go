package agent

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/schedule"
)

// forwardLambda is the forward view of the λ-return, computed directly from
// its definition: the mixture (1−λ) Σₙ₌₁ᵐ⁻¹ λⁿ⁻¹ G⁽ⁿ⁾ + λᵐ⁻¹ G⁽ᵐ⁾ of the
// n-step returns G⁽ⁿ⁾ = Σₖ₌₀ⁿ⁻¹ γᵏ r[t+k] + γⁿ v[t+n−1] (no bootstrap after
// a terminal step), where the segment from t has m steps: up to the end of
// its episode or of the rollout.
func forwardLambda(r []float64, term, cut []bool, v []float32, T, N int, gamma, lambda float64) []float64 {
	out := make([]float64, T*N)
	for t := range T {
		for i := range N {
			m := 1
			for t+m-1 < T-1 && !cut[(t+m-1)*N+i] {
				m++
			}
			nstep := func(n int) float64 {
				g := 0.0
				for k := range n {
					g += math.Pow(gamma, float64(k)) * r[(t+k)*N+i]
				}
				if end := (t+n-1)*N + i; !term[end] {
					g += math.Pow(gamma, float64(n)) * float64(v[end])
				}
				return g
			}
			g := 0.0
			for n := 1; n < m; n++ {
				g += (1 - lambda) * math.Pow(lambda, float64(n-1)) * nstep(n)
			}
			out[t*N+i] = g + math.Pow(lambda, float64(m-1))*nstep(m)
		}
	}
	return out
}

func TestLambdaReturnsByHand(t *testing.T) {
	// T = 3 steps of one copy, γ = λ = 0.5, r = 1, 2, 3, v = 4, 8, 16.
	for _, c := range []struct {
		name      string
		term, cut []bool
		want      []float32
	}{
		// G₂ = 3 + ½·16 = 11; G₁ = 2 + ½(½·8 + ½·11) = 6.75; G₀ = 1 + ½(½·4 + ½·6.75).
		{"no end", []bool{false, false, false}, []bool{false, false, false}, []float32{3.6875, 6.75, 11}},
		// Step 1 terminates: G₁ = 2, and G₀ = 1 + ½(½·4 + ½·2).
		{"terminated", []bool{false, true, false}, []bool{false, true, false}, []float32{2.5, 2, 11}},
		// Step 1 is truncated: G₁ = 2 + ½·8 bootstraps from its final state.
		{"truncated", []bool{false, false, false}, []bool{false, true, false}, []float32{3.5, 6, 11}},
	} {
		g := make([]float32, 3)
		LambdaReturns(g, []float64{1, 2, 3}, c.term, c.cut, []float32{4, 8, 16}, 3, 1, 0.5, 0.5)
		if !slices.Equal(g, c.want) {
			t.Errorf("%s: G = %v, want %v", c.name, g, c.want)
		}
	}
}

// TestLambdaReturnsForwardView checks the backward recursion against the
// forward view on random rollouts with terminations and truncations in the
// middle, back to back, and at the rollout's last step.
func TestLambdaReturnsForwardView(t *testing.T) {
	const T, N = 11, 5
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		r, v := make([]float64, T*N), make([]float32, T*N)
		term, cut := make([]bool, T*N), make([]bool, T*N)
		for k := range r {
			r[k] = rng.NormFloat64()
			v[k] = float32(3 * rng.NormFloat64())
			switch u := rng.Float64(); {
			case u < 0.15:
				term[k], cut[k] = true, true
			case u < 0.3:
				cut[k] = true // truncated
			}
		}
		// Copy 0 terminates at step 3, copy 1 is truncated at step 4, copy 2
		// terminates at 5 and is truncated at 6, copy 3 never ends, copy 4
		// terminates at the last step.
		for i := range 4 {
			for tt := range T {
				term[tt*N+i], cut[tt*N+i] = false, false
			}
		}
		term[3*N+0], cut[3*N+0] = true, true
		cut[4*N+1] = true
		term[5*N+2], cut[5*N+2] = true, true
		cut[6*N+2] = true
		term[(T-1)*N+4], cut[(T-1)*N+4] = true, true
		for _, gl := range [][2]float64{{0.99, 0.65}, {0.9, 0}, {0.95, 1}, {1, 0.5}} {
			g := make([]float32, T*N)
			LambdaReturns(g, r, term, cut, v, T, N, gl[0], gl[1])
			want := forwardLambda(r, term, cut, v, T, N, gl[0], gl[1])
			for k := range g {
				if d := math.Abs(float64(g[k]) - want[k]); d > 1e-5*(1+math.Abs(want[k])) {
					t.Fatalf("trial %d, γ %v λ %v: G[t=%d, i=%d] = %v, forward view %v", trial, gl[0], gl[1], k/N, k%N, g[k], want[k])
				}
			}
		}
	}
}

// walk is a test env: obs (x, s) with x the position from 0 and s a start
// label drawn at each Reset from the env's seed. Action 1 moves right (+1,
// reward 1), action 0 left (−1, reward 0); reaching x = 3 terminates, and
// its spec's time limit truncates after 4 steps.
type walk struct {
	rng  *rand.Rand
	x, s float32
	obs  [2]float32
}

var walkSpec = env.Spec{ID: "walk", Observation: env.Box{Shape: []int{2}}, Actions: env.Discrete{N: 2}, MaxEpisodeSteps: 4}

func (w *walk) Spec() *env.Spec { return &walkSpec }
func (w *walk) Seed(seed uint64) {
	w.rng = rand.New(rand.NewPCG(seed, 0))
}
func (w *walk) Reset() []float32 {
	w.x, w.s = 0, float32(w.rng.IntN(1000))
	w.obs = [2]float32{w.x, w.s}
	return w.obs[:]
}
func (w *walk) Step(a int) ([]float32, float64, bool, bool) {
	r := 0.0
	if a == 1 {
		w.x++
		r = 1
	} else {
		w.x--
	}
	w.obs = [2]float32{w.x, w.s}
	return w.obs[:], r, w.x >= 3, false
}

// parityQ prefers action 1 (right) when the start label is even, else 0.
type parityQ struct{ q []float32 }

func (p *parityQ) QValuesBatch(obs []float32, n int) []float32 {
	p.q = p.q[:0]
	for i := range n {
		if int(obs[2*i+1])%2 == 0 {
			p.q = append(p.q, 0, 1)
		} else {
			p.q = append(p.q, 1, 0)
		}
	}
	return p.q
}

// TestVecActorTransitions steps walks greedily: copies with an even start
// run right and terminate at x = 3 after 3 steps; the others run left and
// are truncated after 4 steps at x = −4. A transition's s′ must be the next
// state of its own episode (the final one at an end, not the reset one) and
// episodes must be reported with their returns.
func TestVecActorTransitions(t *testing.T) {
	const N = 6
	v, err := env.NewVector(N, func() (env.Env, error) { return env.Standard(&walk{}), nil })
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.EpsilonGreedy{Epsilon: schedule.Constant(0), NumActions: 2}
	a := NewVecActor(v, pol, &parityQ{}, 1, 7)
	starts := map[float32]bool{}
	for i := range N {
		starts[a.Obs()[2*i+1]] = true
	}
	if len(starts) < 2 {
		t.Fatalf("copies start alike (%v): not seeded one by one", starts)
	}
	var episodes []env.Episode
	terms, truncs := 0, 0
	for step := range 40 {
		s := a.Step(int64(step), func(i int, ep env.Episode) { episodes = append(episodes, ep) })
		for i := range N {
			x, lbl := s.Obs[2*i], s.Obs[2*i+1]
			right := int(lbl)%2 == 0
			if (s.Actions[i] == 1) != right {
				t.Fatalf("step %d copy %d: action %d is not greedy for label %v", step, i, s.Actions[i], lbl)
			}
			want := x - 1
			if right {
				want = x + 1
			}
			next := s.Next(i)
			if next[0] != want || next[1] != lbl {
				t.Fatalf("step %d copy %d: s′ = %v, want (%v, %v)", step, i, next, want, lbl)
			}
			switch {
			case s.Terminated[i]:
				terms++
				if !right || next[0] != 3 || s.Truncated[i] {
					t.Fatalf("step %d copy %d: terminated at %v (truncated %v)", step, i, next, s.Truncated[i])
				}
			case s.Truncated[i]:
				truncs++
				if right || next[0] != -4 {
					t.Fatalf("step %d copy %d: truncated at %v", step, i, next)
				}
			}
			if s.Ended(i) && a.Obs()[2*i] != 0 {
				t.Fatalf("step %d copy %d: acts next on %v, not a reset state", step, i, a.Obs()[2*i:2*i+2])
			}
		}
	}
	if terms == 0 || truncs == 0 {
		t.Fatalf("%d terminations and %d truncations: the test needs both", terms, truncs)
	}
	if len(episodes) != terms+truncs || a.Episodes() != len(episodes) {
		t.Fatalf("%d episodes reported, %d counted, %d ended", len(episodes), a.Episodes(), terms+truncs)
	}
	for _, ep := range episodes {
		if ep.Terminated && (ep.Return != 3 || ep.Length != 3) || ep.Truncated && (ep.Return != 0 || ep.Length != 4) {
			t.Fatalf("episode %+v", ep)
		}
	}
}

// TestVecActorExploration: ε-greedy draws come from the actor's seeded
// stream, one per copy; the same seed gives the same actions.
func TestVecActorExploration(t *testing.T) {
	trace := func(seed uint64) []int {
		v, err := env.NewVector(8, func() (env.Env, error) { return env.Standard(&walk{}), nil })
		if err != nil {
			t.Fatal(err)
		}
		pol := policy.EpsilonGreedy{Epsilon: schedule.Constant(0.5), NumActions: 2}
		a := NewVecActor(v, pol, &parityQ{}, seed, 7)
		var acts []int
		for step := range 30 {
			acts = append(acts, a.Step(int64(step), nil).Actions...)
		}
		return acts
	}
	if !slices.Equal(trace(1), trace(1)) {
		t.Fatal("same seed, different actions")
	}
	if slices.Equal(trace(1), trace(2)) {
		t.Fatal("different seeds, same actions")
	}
}

func walkPQN(t *testing.T, cfg PQNConfig) *PQN {
	t.Helper()
	p, err := NewPQN(func() (env.Env, error) { return &walk{}, nil }, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func walkConfig() PQNConfig {
	c := pqnCartPole()
	c.Env, c.NumEnvs, c.RolloutSteps, c.Minibatches, c.TotalSteps = "", 5, 9, 3, 5*9*4
	c.ExplorationStart, c.ExplorationEnd = 0.5, 0.5
	c.FinalEvalEpisodes = 0
	return c
}

// TestPQNRolloutTargets collects a rollout on walks and checks its bootstrap
// values against the network evaluated directly on each transition's s′
// (rebuilt from the walk's dynamics, so a truncated step's is its final
// state) and its targets against the forward view.
func TestPQNRolloutTargets(t *testing.T) {
	cfg := walkConfig()
	p := walkPQN(t, cfg)
	p.collect()
	p.targets()
	ro, N, T := &p.ro, cfg.NumEnvs, cfg.RolloutSteps
	x := net.New[float32](1, 2)
	truncs := 0
	for k := range T * N {
		if ro.term[k] {
			continue
		}
		obs := ro.obs[2*k : 2*k+2]
		x.Data[0], x.Data[1] = obs[0]+1, obs[1]
		if ro.actions[k] == 0 {
			x.Data[0] = obs[0] - 1
		}
		if ro.cut[k] {
			truncs++
		}
		if want := maxOf(p.Q.Forward(x).Data); math.Abs(float64(ro.v[k]-want)) > 1e-5 {
			t.Fatalf("v[t=%d, i=%d] = %v, max_a Q(s′, a) = %v (s′ = %v, cut %v)", k/N, k%N, ro.v[k], want, x.Data, ro.cut[k])
		}
	}
	if truncs == 0 {
		t.Fatal("no truncation in the rollout: the test needs one")
	}
	want := forwardLambda(ro.rewards, ro.term, ro.cut, ro.v, T, N, cfg.Gamma, cfg.Lambda)
	for k := range want {
		if d := math.Abs(float64(ro.g[k]) - want[k]); d > 1e-5*(1+math.Abs(want[k])) {
			t.Fatalf("G[t=%d, i=%d] = %v, forward view %v", k/N, k%N, ro.g[k], want[k])
		}
	}
}

func TestPQNSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) (Result, []float32) {
		cfg := pqnCartPole()
		cfg.Seed, cfg.TotalSteps, cfg.FinalEvalEpisodes = seed, 4096, 3
		res, p := runPQN(t, cfg)
		var w []float32
		for _, prm := range p.Q.Params() {
			w = append(w, prm.Value.Data...)
		}
		res.Elapsed = 0
		return res, w
	}
	r1, w1 := run(4)
	r2, w2 := run(4)
	if !slices.Equal(w1, w2) || r1.Steps != r2.Steps || r1.Episodes != r2.Episodes || !slices.Equal(r1.Final.Returns, r2.Final.Returns) {
		t.Fatal("the same seed gave different runs")
	}
	if _, w3 := run(5); slices.Equal(w1, w3) {
		t.Fatal("different seeds gave the same weights")
	}
}

// pqnEvents counts a PQN run's events and checks their order.
type pqnEvents struct {
	t                               *testing.T
	steps, episodes, updates, evals int64
	lastStep                        int64
	timed                           int
}

func (c *pqnEvents) OnStep(e *StepEvent) {
	c.steps++
	if e.Step != c.lastStep+1 {
		c.t.Fatalf("step event %d after %d", e.Step, c.lastStep)
	}
	c.lastStep = e.Step
	if len(e.Q) != 2 || len(e.Obs) != 4 || e.Epsilon < 0.05 || e.Epsilon > 1 {
		c.t.Fatalf("step event %+v", e)
	}
	if (e.EnvDuration > 0) != (e.Step%StepTimingInterval == 0) {
		c.t.Fatalf("step %d: env duration %v", e.Step, e.EnvDuration)
	}
	if e.EnvDuration > 0 {
		c.timed++
	}
}
func (c *pqnEvents) OnEpisode(e *EpisodeEvent) {
	c.episodes++
	if e.Episode != int(c.episodes) || e.Length < 1 || e.Return != float64(e.Length) {
		c.t.Fatalf("episode event %+v (number %d)", e, c.episodes)
	}
}
func (c *pqnEvents) OnUpdate(e *UpdateEvent) {
	c.updates++
	if e.Updates != c.updates || !(e.Loss >= 0) || e.LR <= 0 || e.Duration <= 0 {
		c.t.Fatalf("update event %+v", e)
	}
}
func (c *pqnEvents) OnTargetUpdate(int64, int64) { c.t.Fatal("PQN has no target network") }
func (c *pqnEvents) OnEval(e *EvalEvent)         { c.evals++ }

func TestPQNEvents(t *testing.T) {
	cfg := pqnCartPole()
	cfg.TotalSteps, cfg.EvalEvery, cfg.EvalEpisodes, cfg.FinalEvalEpisodes = 10_000, 4000, 2, 2
	c := &pqnEvents{t: t}
	res, _ := runPQN(t, cfg, c)
	rollouts := int64(10_000 / (16 * 32))
	if c.steps != res.Steps || res.Steps != rollouts*16*32 || c.episodes != int64(res.Episodes) ||
		c.updates != res.Updates || res.Updates != rollouts*16 || c.evals != 3 || c.timed == 0 {
		t.Fatalf("events: %d steps, %d episodes, %d updates, %d evals (%d timed); result %+v", c.steps, c.episodes, c.updates, c.evals, c.timed, res)
	}
}

func TestPQNInterrupt(t *testing.T) {
	cfg := pqnCartPole()
	p, err := NewPQN(func() (env.Env, error) { return env.Make(cfg.Env) }, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := p.Run(ctx)
	if err != nil || !res.Interrupted || res.Steps != 0 {
		t.Fatalf("cancelled run: %+v, %v", res, err)
	}
}

// TestPQNLearnsCartPole trains the pqn-cartpole preset (seed 1) and needs a
// greedy mean of at least 475 over 100 episodes.
func TestPQNLearnsCartPole(t *testing.T) {
	cfg, err := PQNPreset("pqn-cartpole")
	if err != nil {
		t.Fatal(err)
	}
	res, _ := runPQN(t, cfg)
	if res.Final.Mean < 475 {
		t.Fatalf("greedy mean %.1f ± %.1f over %d episodes < 475", res.Final.Mean, res.Final.Std, res.Final.Episodes)
	}
}

func TestPQNValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(*PQNConfig)
	}{
		{"env", func(c *PQNConfig) { c.Env = " " }},
		{"num_envs", func(c *PQNConfig) { c.NumEnvs = 0 }},
		{"rollout_steps", func(c *PQNConfig) { c.RolloutSteps = 0 }},
		{"total_steps", func(c *PQNConfig) { c.TotalSteps = 100 }},
		{"network", func(c *PQNConfig) { c.Network = NatureNet }},
		{"hidden", func(c *PQNConfig) { c.Hidden = []int{64, 0} }},
		{"head", func(c *PQNConfig) { c.Head = 128 }},
		{"learning_rate", func(c *PQNConfig) { c.LearningRate = math.NaN() }},
		{"max_grad_norm", func(c *PQNConfig) { c.MaxGradNorm = -1 }},
		{"epochs", func(c *PQNConfig) { c.Epochs = 0 }},
		{"minibatches", func(c *PQNConfig) { c.Minibatches = 3 }},
		{"gamma", func(c *PQNConfig) { c.Gamma = 1.5 }},
		{"lambda", func(c *PQNConfig) { c.Lambda = -0.1 }},
		{"reward_scale", func(c *PQNConfig) { c.RewardScale = 0 }},
		{"exploration_end", func(c *PQNConfig) { c.ExplorationEnd = 2 }},
		{"eval_episodes", func(c *PQNConfig) { c.EvalEvery, c.EvalEpisodes = 100, 0 }},
		{"init", func(c *PQNConfig) { c.Init = "nope" }},
		{"precision", func(c *PQNConfig) { c.Precision = 0 }},
	} {
		cfg := pqnCartPole()
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	for _, name := range PQNPresetNames() {
		cfg, err := PQNPreset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
		if got := PQNPresetFor(cfg.Env); got != name {
			t.Errorf("preset %s trains %s, whose preset is %q", name, cfg.Env, got)
		}
	}
	for name, want := range map[string]string{
		"CartPole-v1": "pqn-cartpole", "minatar-asterix": "pqn-minatar", "Acrobot-v1": "pqn-acrobot",
		"MountainCar-v0": "pqn-mountaincar", "acrobot:max-steps=300": "pqn-acrobot", "mountaincar-pomdp": "",
		"gridworld": "", "nope": "",
	} {
		if got := PQNPresetFor(name); got != want {
			t.Errorf("PQNPresetFor(%q) = %q, want %q", name, got, want)
		}
	}
	if _, err := PQNPreset("pqn-nope"); err == nil || !strings.Contains(err.Error(), "pqn-cartpole") {
		t.Errorf("unknown preset: %v", err)
	}
}

// TestPQNNetworkLayerNorm checks that every hidden layer is followed by a
// LayerNorm and builds on MinAtar's observations.
func TestPQNNetworkLayerNorm(t *testing.T) {
	cfg := pqnMinAtar()
	specs := PQNNetwork(&cfg, 3)
	var kinds []string
	for _, s := range specs {
		kinds = append(kinds, s.Kind)
	}
	want := []string{"conv2d", "layer_norm", "relu", "flatten", "dense", "layer_norm", "relu", "dense"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("layers %v, want %v", kinds, want)
	}
	m, err := net.Build[float32]([]int{4, 10, 10}, specs, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if out := m.OutShape(); !slices.Equal(out, []int{3}) {
		t.Fatalf("output shape %v", out)
	}
}

// TestShardsMatchOneNetwork checks the data-parallel passes against one
// network on the whole batch: the same Q-values, and gradients equal up to
// rounding, for batches that split unevenly or leave shards without rows.
func TestShardsMatchOneNetwork(t *testing.T) {
	cfg := pqnMinAtar()
	specs := PQNNetwork(&cfg, 3)
	shape := []int{4, 10, 10}
	for _, n := range []int{1, 2, 7, 16} {
		for _, S := range []int{2, 3} {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(S)))
			one, err := net.Build[float32](shape, specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			sh := newShards(one.Clone(), S, shape, 3)
			x := make([]float32, n*400)
			for i := range x {
				x[i] = float32(rng.IntN(2))
			}
			dq := make([]float32, n*3)
			for i := range dq {
				dq[i] = float32(rng.NormFloat64())
			}
			want := one.Forward(net.FromSlice(slices.Clone(x), append([]int{n}, shape...)...)).Data
			got := sh.QValuesBatch(x, n)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-6 {
					t.Fatalf("n %d, %d shards: Q[%d] = %v, one network %v", n, S, i, got[i], want[i])
				}
			}
			one.ZeroGrad()
			one.BackwardParams(net.FromSlice(slices.Clone(dq), n, 3))
			sh.models[0].Params()[0].Grad.Data[0] = 1e9 // stale: Backward must reset it
			sh.Backward(dq, n)
			for i, p := range one.Params() {
				g := sh.models[0].Params()[i].Grad.Data
				for j, w := range p.Grad.Data {
					if math.Abs(float64(g[j]-w)) > 1e-4*(1+math.Abs(float64(w))) {
						t.Fatalf("n %d, %d shards: %s grad[%d] = %v, one network %v", n, S, p.Name, j, g[j], w)
					}
				}
			}
			sh.models[0].Params()[1].Value.Data[0] += 1 // as an optimizer step does
			for _, m := range sh.models[1:] {
				if m.Params()[1].Value.Data[0] != sh.models[0].Params()[1].Value.Data[0] {
					t.Fatal("a replica does not see the master's weights")
				}
			}
		}
	}
}

// pqnLog records what a run reports, to compare runs.
type pqnLog struct {
	NopObserver
	losses  []float64
	returns []float64
	cancel  func()
	at      int64 // cancel once a step reaches this
}

func (l *pqnLog) OnUpdate(e *UpdateEvent)   { l.losses = append(l.losses, e.Loss) }
func (l *pqnLog) OnEpisode(e *EpisodeEvent) { l.returns = append(l.returns, e.Return) }
func (l *pqnLog) OnStep(e *StepEvent) {
	if l.cancel != nil && e.Step >= l.at {
		l.cancel()
	}
}

// TestPQNExactResume interrupts a run twice, resuming each time from the
// final.ckpt it saved, and needs the uninterrupted run's losses, episodes,
// final evaluation and weights bit for bit.
// TestPQNExactResume interrupts a run twice and resumes it from its
// checkpoints, in float32 and in bf16: the losses, returns and final weights
// are those of the uninterrupted run, and bf16 stays bf16.
func TestPQNExactResume(t *testing.T) {
	for _, prec := range []PrecisionKind{FP32, BF16} {
		t.Run(prec.String(), func(t *testing.T) { checkPQNResume(t, prec) })
	}
}

func checkPQNResume(t *testing.T, prec PrecisionKind) {
	cfg := pqnCartPole()
	cfg.TotalSteps, cfg.EvalEvery, cfg.EvalEpisodes, cfg.FinalEvalEpisodes = 16*32*12, 2048, 3, 5
	cfg.Precision = prec
	mk := func() (env.Env, error) { return env.Make(cfg.Env) }
	weights := func(p *PQN) []float32 {
		var w []float32
		for _, prm := range p.Q.Params() {
			w = append(w, prm.Value.Data...)
		}
		return w
	}
	ref := &pqnLog{}
	want, p := runPQN(t, cfg, ref)
	wantW := weights(p)

	dir := t.TempDir()
	got := &pqnLog{}
	var res Result
	for i, stop := range []int64{2500, 4500, math.MaxInt64} {
		var err error
		if i == 0 {
			p, err = NewPQN(mk, cfg, got)
		} else {
			p, err = ResumePQN(dir+"/final.ckpt", mk, got)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Q.Precision(); got != prec.net() {
			t.Fatalf("leg %d: network precision %v, want %v", i, got, prec)
		}
		p.CheckpointDir = dir
		ctx, cancel := context.WithCancel(context.Background())
		got.cancel, got.at = cancel, stop
		res, err = p.Run(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if stop != math.MaxInt64 && (!res.Interrupted || res.Steps >= cfg.TotalSteps) {
			t.Fatalf("leg %d was not interrupted: %+v", i, res)
		}
	}
	if !slices.Equal(got.losses, ref.losses) || !slices.Equal(got.returns, ref.returns) {
		t.Fatalf("resumed run: %d losses, %d episodes; uninterrupted %d, %d, or values differ",
			len(got.losses), len(got.returns), len(ref.losses), len(ref.returns))
	}
	if !slices.Equal(weights(p), wantW) || !slices.Equal(res.Final.Returns, want.Final.Returns) || res.Episodes != want.Episodes {
		t.Fatal("resumed run ends with other weights or evaluation than the uninterrupted one")
	}
}

func TestResumePQNBadCheckpoints(t *testing.T) {
	dir := t.TempDir()
	mk := func() (env.Env, error) { return env.Make("cartpole") }
	garbage := dir + "/garbage.ckpt"
	if err := os.WriteFile(garbage, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ResumePQN(garbage, mk); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Fatalf("garbage: %v", err)
	}
	tr, err := New(mk, shortConfig(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	dqn := dir + "/dqn.ckpt"
	if err := tr.SaveCheckpoint(dqn); err != nil {
		t.Fatal(err)
	}
	if _, err := ResumePQN(dqn, mk); err == nil || !strings.Contains(err.Error(), "not a PQN checkpoint") {
		t.Fatalf("DQN checkpoint: %v", err)
	}
	cfg := pqnCartPole()
	p, err := NewPQN(mk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	good := dir + "/pqn.ckpt"
	if err := p.SaveCheckpoint(good); err != nil {
		t.Fatal(err)
	}
	if _, err := ResumePQN(good, func() (env.Env, error) { return env.Make("acrobot") }); err == nil || !strings.Contains(err.Error(), "CartPole") {
		t.Fatalf("other env: %v", err)
	}
	if _, err := ResumePQN(good, mk); err != nil {
		t.Fatalf("good checkpoint: %v", err)
	}
}

// TestPQNShardsRun trains on 2 shards and 2 env workers: the same seed must
// give the same weights, whatever the goroutines' timing (run under -race in
// CI).
func TestPQNShardsRun(t *testing.T) {
	run := func() []float32 {
		cfg := pqnCartPole()
		cfg.TotalSteps, cfg.FinalEvalEpisodes, cfg.Shards, cfg.EnvWorkers = 3*512, 0, 2, 2
		_, p := runPQN(t, cfg)
		var w []float32
		for _, prm := range p.Q.Params() {
			w = append(w, prm.Value.Data...)
		}
		return w
	}
	if !slices.Equal(run(), run()) {
		t.Fatal("2 shards: the same seed gave different weights")
	}
}

// FuzzResumePQN feeds corrupted PQN checkpoints to ResumePQN, which must
// return an error or a run, never panic.
func FuzzResumePQN(f *testing.F) {
	mk := func() (env.Env, error) { return env.Make("cartpole") }
	cfg := pqnCartPole()
	cfg.NumEnvs, cfg.Minibatches, cfg.TotalSteps = 2, 2, 4*32
	p, err := NewPQN(mk, cfg)
	if err != nil {
		f.Fatal(err)
	}
	if err := p.iterate(); err != nil {
		f.Fatal(err)
	}
	p.step = 64
	path := f.TempDir() + "/seed.ckpt"
	if err := p.SaveCheckpoint(path); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		path := t.TempDir() + "/f.ckpt"
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ResumePQN(path, mk)
	})
}
