package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
)

// TestEnsembleTable prints the ensemble table of CartPole: 5 checkpoints of
// the cartpole preset (50k steps, seeds 1 … 5), each evaluated alone, their
// Q-average (MeanQ) and the network of their averaged parameters
// (net.AverageParameters, to show why not), all on the same 100 episodes
// (episode i seeded with 1000 + i), greedily and with ε = 0.3. The checkpoints are those of
// DEEPQ_ENSEMBLE_CKPTS (comma-separated paths, e.g. the final.ckpt of five
// `deepq train --preset cartpole --seed S` runs), or trained here. It fails
// if the Q-average does worse than the worst member.
func TestEnsembleTable(t *testing.T) {
	longTests(t, "ensemble")
	var paths []string
	if s := os.Getenv("DEEPQ_ENSEMBLE_CKPTS"); s != "" {
		paths = strings.Split(s, ",")
	} else {
		for seed := range uint64(5) {
			cfg, err := Preset("cartpole")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Seed = seed + 1
			tr, err := NewTrainer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tr.CheckpointDir = t.TempDir()
			runTo(t, tr)
			paths = append(paths, filepath.Join(tr.CheckpointDir, "final.ckpt"))
		}
	}
	var ckpts []*Checkpoint
	for _, p := range paths {
		c, err := LoadCheckpoint(strings.TrimSpace(p))
		if err != nil {
			t.Fatal(err)
		}
		ckpts = append(ckpts, c)
	}
	cfg := ckpts[0].Meta.Config
	mk := func() (env.Env, error) {
		e, err := env.Make(cfg.Env)
		if err != nil {
			return nil, err
		}
		return env.Standard(e), nil
	}
	// Greedy, and with a random action 30% of the time (same seeds, same
	// draws), which separates networks that all reach CartPole's 500 by how
	// well they recover from states off their own path.
	const eps = 0.3
	eval := func(q policy.BatchQFunc) [2]EvalResult {
		var rs [2]EvalResult
		for i, e := range []float64{0, eps} {
			r, err := EvaluateQ(q, mk, EvalOptions{Episodes: 100, Seed: 1000, Epsilon: e})
			if err != nil {
				t.Fatal(err)
			}
			rs[i] = r
		}
		return rs
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n| %s, 100 episodes (seeds 1000 …) | greedy: mean ± std | min | ε = %g: mean ± std | min |\n|---|---|---|---|---|\n", cfg.Env, eps)
	row := func(name string, r [2]EvalResult) {
		fmt.Fprintf(&table, "| %s | %.1f ± %.1f | %.0f | %.1f ± %.1f | %.0f |\n", name, r[0].Mean, r[0].Std, r[0].Min, r[1].Mean, r[1].Std, r[1].Min)
	}
	var members []policy.BatchQFunc
	var nets []*net.Sequential[float32]
	worst := 1e300
	for i, c := range ckpts {
		q := c.GreedyQ(uint64(i))
		r := eval(q)
		row(fmt.Sprintf("seed %d alone (%s)", c.Meta.Config.Seed, filepath.Base(filepath.Dir(c.Path))), r)
		worst = min(worst, r[0].Mean)
		members = append(members, q)
		nets = append(nets, c.Online)
	}
	mean, err := NewMeanQ(members...)
	if err != nil {
		t.Fatal(err)
	}
	qavg := eval(mean)
	row("Q-averaged, (1/5) Σ Qₖ(s, a)", qavg)
	avg, err := net.AverageParameters(nets...)
	if err != nil {
		t.Fatal(err)
	}
	row("parameter-averaged, Q(s, a; (1/5) Σ θₖ)", eval(NewQNetFor(&cfg, avg, nil)))
	t.Log(table.String())
	if qavg[0].Mean < worst {
		t.Errorf("the Q-average scores %.1f, below its worst member's %.1f", qavg[0].Mean, worst)
	}
}
