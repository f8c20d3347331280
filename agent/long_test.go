package agent

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// longTests gates the runs that take minutes: set DEEPQ_LONG=1 to run them.
func longTests(t *testing.T) {
	t.Helper()
	if os.Getenv("DEEPQ_LONG") == "" {
		t.Skip("a long run; set DEEPQ_LONG=1 to run it")
	}
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

// TestCartPoleSeeds trains the CartPole preset on seeds 1–5 (50k steps each)
// and prints the table of the acceptance: steps to the first evaluation ≥ 475,
// the final greedy mean over 100 episodes, and the wall time. Every seed must
// end ≥ 475.
func TestCartPoleSeeds(t *testing.T) {
	longTests(t)
	var table strings.Builder
	fmt.Fprintf(&table, "\n| seed | first eval ≥ 475 at step | final mean ± std (100 ep.) | wall time |\n|---|---|---|---|\n")
	solved := 0
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := cartpole(t)
		cfg.Seed = seed
		fa := &firstAbove{level: 475}
		tr, err := NewTrainer(cfg, fa)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		first := "never"
		if fa.step > 0 {
			first = fmt.Sprint(fa.step)
		}
		fmt.Fprintf(&table, "| %d | %s | %.2f ± %.2f | %.1f s |\n", seed, first, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds())
		if res.Final.Mean >= 475 {
			solved++
		}
	}
	t.Log(table.String())
	if solved < 5 {
		t.Errorf("%d of 5 seeds end with a greedy mean ≥ 475", solved)
	}
}
