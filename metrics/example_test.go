package metrics_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/metrics"
)

// Example records a short CartPole run and prints two of its metrics as a
// scrape of /metrics would show them.
func Example() {
	e, err := env.Make("cartpole")
	if err != nil {
		panic(err)
	}
	cfg := metrics.DefaultConfig("cartpole", e.Spec())
	cfg.Run, cfg.Runtime = "example", false
	reg := prometheus.NewRegistry()
	obs, err := metrics.New(reg, cfg)
	if err != nil {
		panic(err)
	}

	run, _ := agent.Preset("cartpole")
	run.TotalSteps, run.LearningStarts, run.Hidden = 600, 300, []int{16}
	run.TrainFreq, run.GradientSteps, run.EvalEvery, run.FinalEvalEpisodes = 100, 1, 0, 0
	tr, err := agent.NewTrainer(run, obs)
	if err != nil {
		panic(err)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		panic(err)
	}

	text, err := testutil.GatherAndFormat(reg, expfmt.TypeTextPlain, "deepq_env_steps_total", "deepq_updates_total")
	if err != nil {
		panic(err)
	}
	for line := range strings.Lines(string(text)) {
		if !strings.HasPrefix(line, "#") {
			fmt.Print(line)
		}
	}
	// Output:
	// deepq_env_steps_total{env="cartpole",run="example"} 600
	// deepq_updates_total{env="cartpole",run="example"} 3
}
