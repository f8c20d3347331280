package agent

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deepq/deepq/env"
)

// runPQN trains cfg on the registered env cfg.Env.
func runPQN(tb testing.TB, cfg PQNConfig, obs ...Observer) (Result, *PQN) {
	tb.Helper()
	p, err := NewPQN(func() (env.Env, error) { return env.Make(cfg.Env) }, cfg, obs...)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := p.Run(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return res, p
}

// TestPQNPresetsLearn trains pqn-cartpole on 5 seeds and prints the
// acceptance table: the final greedy mean over 100 episodes (≥ 475 on every
// seed) and the wall time of each run, whose median the issue wants under
// 3 s. Set DEEPQ_LONG=1 (and DEEPQ_LONG_PRESETS=pqn-cartpole) to run it.
func TestPQNPresetsLearn(t *testing.T) {
	for _, c := range []struct {
		preset string
		seeds  int
		target float64
	}{
		{"pqn-cartpole", 5, 475},
	} {
		t.Run(c.preset, func(t *testing.T) {
			longTests(t, c.preset)
			var table strings.Builder
			fmt.Fprintf(&table, "\n| %s seed | final greedy mean ± std (100 ep.) | wall time |\n|---|---|---|\n", c.preset)
			var walls []time.Duration
			for seed := uint64(1); seed <= uint64(c.seeds); seed++ {
				cfg, _ := PQNPreset(c.preset)
				cfg.Seed = seed
				res, _ := runPQN(t, cfg)
				walls = append(walls, res.Elapsed)
				fmt.Fprintf(&table, "| %d | %.1f ± %.1f | %.2f s |\n", seed, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds())
				if res.Final.Mean < c.target {
					t.Errorf("seed %d: final greedy mean %.1f < %g", seed, res.Final.Mean, c.target)
				}
			}
			slices.Sort(walls)
			fmt.Fprintf(&table, "median wall time %.2f s\n", walls[len(walls)/2].Seconds())
			if os.Getenv("DEEPQ_LONG_QUIET") == "" {
				t.Log(table.String())
			}
		})
	}
}
