package agent

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// longTests gates the runs that take minutes: set DEEPQ_LONG=1 to run them,
// and DEEPQ_LONG_PRESETS=cartpole,acrobot to run only some presets.
func longTests(t *testing.T, preset string) {
	t.Helper()
	if os.Getenv("DEEPQ_LONG") == "" {
		t.Skip("a long run; set DEEPQ_LONG=1 to run it")
	}
	if only := os.Getenv("DEEPQ_LONG_PRESETS"); only != "" && !strings.Contains(","+only+",", ","+preset+",") {
		t.Skipf("%s is not in DEEPQ_LONG_PRESETS", preset)
	}
}

// longSeeds returns the seeds 1…n, or those DEEPQ_LONG_SEEDS lists
// (DEEPQ_LONG_SEEDS=2,3 runs only those seeds).
func longSeeds(t *testing.T, n int) []uint64 {
	t.Helper()
	var seeds []uint64
	for s := range uint64(n) {
		seeds = append(seeds, s+1)
	}
	if only := os.Getenv("DEEPQ_LONG_SEEDS"); only != "" {
		seeds = seeds[:0]
		for _, f := range strings.Split(only, ",") {
			s, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("DEEPQ_LONG_SEEDS=%s: %v", only, err)
			}
			seeds = append(seeds, s)
		}
	}
	return seeds
}

// firstAbove records the step of the first evaluation whose mean reaches a level.
type firstAbove struct {
	NopObserver
	level float64
	step  int64
}

func (f *firstAbove) OnEval(e *EvalEvent) {
	if f.step == 0 && e.Mean >= f.level {
		f.step = e.Step
	}
}

// printEvals prints each evaluation, for following a long run in its log.
type printEvals struct {
	NopObserver
	name string
}

func (p *printEvals) OnEval(e *EvalEvent) {
	fmt.Printf("%s: step %d eval %.2f ± %.2f\n", p.name, e.Step, e.Mean, e.Std)
}

// TestPresetsLearn trains each preset on its seeds for its full length and
// prints the acceptance table: the step of the first evaluation at the
// target, the final greedy mean over 100 episodes, and the wall time. Every
// seed must end at or above the target: CartPole ≥ 475 at 50k steps (5 of 5),
// Acrobot ≥ −80 at 100k and MountainCar ≥ −110 at 120k (3 of 3 each), and
// the same for the distributional presets of CartPole and Acrobot; the
// recurrent presets: CartPole with velocities hidden ≥ 475 at 200k steps
// (5 of 5), MountainCar with velocity hidden ≥ −110 at 150k (3 of 3).
func TestPresetsLearn(t *testing.T) {
	for _, c := range []struct {
		preset string
		seeds  int
		target float64
	}{
		{"cartpole", 5, 475},
		{"acrobot", 3, -80},
		{"mountaincar", 3, -110},
		{"cartpole-c51", 5, 475},
		{"cartpole-qr", 5, 475},
		{"cartpole-iqn", 5, 475},
		{"acrobot-c51", 3, -80},
		{"acrobot-qr", 3, -80},
		{"acrobot-iqn", 3, -80},
		{"cartpole-pomdp", 5, 475},
		{"mountaincar-pomdp", 3, -110},
	} {
		t.Run(c.preset, func(t *testing.T) {
			longTests(t, c.preset)
			var table strings.Builder
			fmt.Fprintf(&table, "\n| %s seed | first eval ≥ %g at step | final mean ± std (100 ep.) | wall time |\n|---|---|---|---|\n", c.preset, c.target)
			for _, seed := range longSeeds(t, c.seeds) {
				cfg, _ := Preset(c.preset)
				cfg.Seed = seed
				fa := &firstAbove{level: c.target}
				res := runTrainer(t, cfg, fa, &printEvals{name: fmt.Sprintf("%s seed %d", c.preset, seed)})
				first := "never"
				if fa.step > 0 {
					first = fmt.Sprint(fa.step)
				}
				fmt.Fprintf(&table, "| %d | %s | %.2f ± %.2f | %.1f s |\n", seed, first, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds())
				fmt.Printf("%s seed %d: first ≥ %g at %s, final %.2f ± %.2f, %.1f s\n", c.preset, seed, c.target, first, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds())
				if res.Final.Mean < c.target {
					t.Errorf("seed %d ends at %.2f, below %g", seed, res.Final.Mean, c.target)
				}
			}
			t.Log(table.String())
		})
	}
}

// lastReturns keeps the returns of the last n training episodes.
type lastReturns struct {
	NopObserver
	n   int
	ret []float64
}

func (l *lastReturns) OnEpisode(e *EpisodeEvent) {
	l.ret = append(l.ret, e.Return)
	if len(l.ret) > 2*l.n {
		l.ret = append(l.ret[:0], l.ret[len(l.ret)-l.n:]...)
	}
}

func (l *lastReturns) mean() float64 {
	r := l.ret[max(0, len(l.ret)-l.n):]
	s := 0.0
	for _, x := range r {
		s += x
	}
	return s / float64(len(r))
}

// TestMinAtarBreakout trains MinAtar Breakout for 5M frames (about 30
// minutes a run for minatar, an hour for minatar-plus, on one core) with each
// MinAtar preset and checks MinAtar's measure, the mean return of the last 100
// training episodes, against the published DQN level of 10. Select presets
// with DEEPQ_LONG_PRESETS=minatar,minatar-plus and the seed with
// DEEPQ_LONG_SEED (default 1); run with -timeout 0.
func TestMinAtarBreakout(t *testing.T) {
	seed := uint64(1)
	if s := os.Getenv("DEEPQ_LONG_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("DEEPQ_LONG_SEED=%q: %v", s, err)
		}
	}
	for _, preset := range []string{"minatar", "minatar-plus"} {
		t.Run(preset, func(t *testing.T) {
			longTests(t, preset)
			cfg, err := Preset(preset)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Env, cfg.Seed = "minatar-breakout", seed
			last := &lastReturns{n: 100}
			res := runTrainer(t, cfg, last)
			m := last.mean()
			t.Logf("%s seed %d: last 100 episodes %.2f, final greedy %.2f ± %.2f, %.0f s",
				preset, seed, m, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds())
			if m < 10 {
				t.Errorf("mean return of the last 100 episodes %.2f at %d frames, below 10", m, res.Steps)
			}
		})
	}
}

// TestFeedForwardOnPOMDP is the contrast to the recurrent cartpole-pomdp
// preset: the feed-forward cartpole preset (DQN on single observations) on
// CartPole with the velocities hidden, for 200k steps, on DEEPQ_LONG_SEEDS
// (default 1 and 2). It logs the best evaluation and the final greedy mean;
// it fails if a seed ends at 475, which the hidden velocities should prevent.
func TestFeedForwardOnPOMDP(t *testing.T) {
	longTests(t, "cartpole-ff-pomdp")
	seeds := []uint64{1, 2}
	if only := os.Getenv("DEEPQ_LONG_SEEDS"); only != "" {
		seeds = seeds[:0]
		for _, f := range strings.Split(only, ",") {
			s, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("DEEPQ_LONG_SEEDS=%s: %v", only, err)
			}
			seeds = append(seeds, s)
		}
	}
	for _, seed := range seeds {
		cfg, _ := Preset("cartpole")
		cfg.Env, cfg.Seed, cfg.TotalSteps, cfg.EvalEvery = "cartpole-pomdp", seed, 200_000, 10_000
		res := runTrainer(t, cfg, &printEvals{name: fmt.Sprintf("cartpole preset on cartpole-pomdp seed %d", seed)})
		fmt.Printf("cartpole preset on cartpole-pomdp seed %d: best eval %.2f, final %.2f ± %.2f, %.1f s\n",
			seed, res.Best, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds())
		if res.Final.Mean >= 475 {
			t.Errorf("seed %d: the feed-forward agent ends at %.2f without the velocities", seed, res.Final.Mean)
		}
	}
}
