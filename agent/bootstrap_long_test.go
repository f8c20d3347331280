package agent

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
)

// deepChain is the chain of Osband et al. (2016, section 5.1): N states
// s₁ … s_N, the agent starts in s₂ and moves left or right; a step that ends
// in s₁ pays 0.001, one that ends in s_N pays 1, others 0. Episodes last
// N + 9 steps (truncated, never terminated). The observation is the
// thermometer encoding φ(s)ᵢ = 1{i ≤ s}. The best return is 12 (N − 2 steps
// right, then 12 steps at s_N, the last of the moves included); a walk with
// uniformly random actions reaches s_N within N + 9 steps with a probability
// that falls exponentially in N, and the 0.001 near the start teaches an
// ε-greedy agent to go left.
type deepChain struct {
	n, pos int
	obs    []float32
	spec   env.Spec
}

func newDeepChain(n int) func() (env.Env, error) {
	return func() (env.Env, error) {
		low, high := make([]float32, n), make([]float32, n)
		for i := range high {
			high[i] = 1
		}
		return &deepChain{n: n, obs: make([]float32, n), spec: env.Spec{ID: fmt.Sprintf("DeepChain-%d", n),
			Observation:     env.Box{Shape: []int{n}, Low: low, High: high},
			Actions:         env.Discrete{N: 2, Names: []string{"left", "right"}},
			MaxEpisodeSteps: n + 9, RewardRange: [2]float64{0, 1}}}, nil
	}
}

func (c *deepChain) Spec() *env.Spec  { return &c.spec }
func (c *deepChain) Seed(uint64)      {} // deterministic
func (c *deepChain) Reset() []float32 { c.pos = 1; return c.observe() }

func (c *deepChain) Step(a int) ([]float32, float64, bool, bool) {
	c.pos = min(max(c.pos+2*a-1, 0), c.n-1) // states 0 … N−1 here
	r := 0.0
	switch c.pos {
	case 0:
		r = 0.001
	case c.n - 1:
		r = 1
	}
	return c.observe(), r, false, false
}

func (c *deepChain) observe() []float32 {
	for i := range c.obs {
		c.obs[i] = 0
		if i <= c.pos {
			c.obs[i] = 1
		}
	}
	return c.obs
}

// stopWhenSolved records the step of the first of `runs` consecutive
// evaluations at the level (so that a policy that is right by chance, e.g.
// the initial network's, and is then unlearnt does not count) and stops the
// run at the last of them.
type stopWhenSolved struct {
	level       float64
	runs        int
	first, step int64 // first of the current streak; step once solved
	streak      int
	cancel      func()
	NopObserver
}

func (s *stopWhenSolved) OnEval(e *EvalEvent) {
	if e.Mean < s.level {
		s.streak = 0
		return
	}
	if s.streak == 0 {
		s.first = e.Step
	}
	if s.streak++; s.streak == s.runs && s.step == 0 {
		s.step = s.first
		s.cancel()
	}
}

// chainConfig is the agent of the chain experiment: an mlp of 2×64 on the
// thermometer, Double DQN, Adam 1e-3, a replay of the whole run, an update
// every step, the target copied every 250; ε-greedy DQN explores with ε from
// 1 to 0.05 over the first half of the budget, Bootstrapped DQN with K = 10
// heads (p = 0.5) and ε = 0, as in the paper.
func chainConfig(n int, seed uint64, heads int, steps int64) Config {
	c := DefaultConfig()
	c.Env, c.Seed, c.TotalSteps = fmt.Sprintf("DeepChain-%d", n), seed, steps
	c.BufferSize, c.BatchSize, c.LearningStarts = int(steps), 32, 200
	c.EvalEvery, c.EvalEpisodes, c.FinalEvalEpisodes = int64(n+9)*10, 1, 1
	c.ExplorationSteps = steps / 2
	if heads > 0 {
		c.BootstrapHeads, c.BootstrapP = heads, 0.5
		c.ExplorationStart, c.ExplorationEnd = 0, 0
	}
	return c
}

// TestBootstrapChain is the acceptance experiment of Bootstrapped DQN: on
// chains of length N (DEEPQ_CHAIN_N, default 10,20,30,50,100) and seeds 1 … 5
// (DEEPQ_LONG_SEEDS), the environment steps until the greedy policy (the
// heads' mean for Bootstrapped DQN), evaluated every 10 episodes, earns the
// best return 12 at 5 evaluations in a row (the step of the first of them),
// within a budget of 1,000 episodes (DEEPQ_CHAIN_EPISODES), for ε-greedy
// DQN and Bootstrapped DQN. It prints the table with the CPU time of each
// row, and fails if Bootstrapped DQN solves fewer seeds than ε-greedy DQN on
// any chain, or not more of the table's runs in all.
func TestBootstrapChain(t *testing.T) {
	longTests(t, "bootstrap-chain")
	ns := []int{10, 20, 30, 50, 100}
	if s := os.Getenv("DEEPQ_CHAIN_N"); s != "" {
		ns = ns[:0]
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 3 {
				t.Fatalf("DEEPQ_CHAIN_N=%s: %q is not a chain length ≥ 3", s, f)
			}
			ns = append(ns, n)
		}
	}
	seeds := []uint64{1, 2, 3, 4, 5}
	if s := os.Getenv("DEEPQ_LONG_SEEDS"); s != "" {
		seeds = seeds[:0]
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("DEEPQ_LONG_SEEDS=%s: %v", s, err)
			}
			seeds = append(seeds, v)
		}
	}
	episodes := 1000
	if s := os.Getenv("DEEPQ_CHAIN_EPISODES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("DEEPQ_CHAIN_EPISODES=%s: want a number of episodes ≥ 1", s)
		}
		episodes = v
	}
	const best = 12
	var table strings.Builder
	bootTotal, epsTotal := 0, 0
	fmt.Fprintf(&table, "\n| N | agent | steps to the best return 12 (5 evaluations in a row), per seed | solved | median steps | CPU s |\n|---|---|---|---|---|---|\n")
	for _, n := range ns {
		budget := int64(episodes * (n + 9))
		solved := map[string]int{}
		for _, agent := range []struct {
			name  string
			heads int
		}{{"ε-greedy DQN", 0}, {"Bootstrapped DQN K=10", 10}} {
			var cells []string
			var steps []int64
			cpu0 := cpuSeconds()
			for _, seed := range seeds {
				cfg := chainConfig(n, seed, agent.heads, budget)
				ctx, cancel := context.WithCancel(context.Background())
				fa := &stopWhenSolved{level: best - 1e-6, runs: 5, cancel: cancel}
				tr, err := New(newDeepChain(n), cfg, fa)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tr.Run(ctx); err != nil {
					t.Fatal(err)
				}
				cancel()
				cell := "—"
				if fa.step > 0 {
					cell = fmt.Sprint(fa.step)
					steps = append(steps, fa.step)
					solved[agent.name]++
				}
				cells = append(cells, cell)
				fmt.Printf("chain %d, %s, seed %d: %s\n", n, agent.name, seed, cell)
			}
			med := "—"
			if 2*len(steps) > len(seeds) {
				sort.Slice(steps, func(i, j int) bool { return steps[i] < steps[j] })
				med = fmt.Sprint(steps[len(seeds)/2])
			}
			fmt.Fprintf(&table, "| %d | %s | %s | %d/%d | %s | %.1f |\n", n, agent.name, strings.Join(cells, ", "),
				len(steps), len(seeds), med, cpuSeconds()-cpu0)
		}
		b, e := solved["Bootstrapped DQN K=10"], solved["ε-greedy DQN"]
		if b < e {
			t.Errorf("chain %d: Bootstrapped DQN solved %d of %d seeds, ε-greedy DQN %d", n, b, len(seeds), e)
		}
		bootTotal, epsTotal = bootTotal+b, epsTotal+e
	}
	t.Logf("budget %d episodes of N + 9 steps; a dash: not solved within it%s", episodes, table.String())
	if bootTotal <= epsTotal {
		t.Errorf("over the table Bootstrapped DQN solved %d runs, ε-greedy DQN %d", bootTotal, epsTotal)
	}
}
