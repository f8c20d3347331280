package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq eval", flag.ContinueOnError)
	var paths checkpointList
	fs.Var(&paths, "checkpoint", "checkpoint `FILE` written by 'deepq train' (required); several (repeated or comma-separated) act on the mean of their Q-values")
	episodes := fs.Int("episodes", 100, "number of greedy episodes `N`")
	seed := fs.Uint64("seed", 0, "seed `S` of the first episode; episode i uses S+i")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	epsilon := fs.Float64("epsilon", 0, "probability `ε` of a random action (0: greedy)")
	envOverride := fs.String("env", "", "evaluate on this env `name` instead of the checkpoint's (same spaces required)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq eval --checkpoint FILE[,FILE...] [--episodes N] [--seed S] [--json]\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError{fmt.Errorf("--checkpoint is required")}
	}
	if !(*epsilon >= 0 && *epsilon <= 1) {
		return usageError{fmt.Errorf("--epsilon must be in [0, 1], got %v", *epsilon)}
	}
	if *episodes < 1 {
		return usageError{fmt.Errorf("--episodes must be at least 1, got %d", *episodes)}
	}
	q, c, err := loadQ(paths, *seed)
	if err != nil {
		return err
	}
	path := paths.String()
	envName := c.Meta.Config.Env
	if *envOverride != "" {
		envName = *envOverride
	}
	e, err := env.Make(envName)
	if err != nil {
		return usageError{err}
	}
	if sp := e.Spec(); !slices.Equal(sp.Observation.Shape, c.InShape()) || sp.Actions.N != c.Meta.NumActions {
		return fmt.Errorf("env %s has %v observations and %d actions; the checkpoint's network expects %v and %d",
			envName, sp.Observation.Shape, sp.Actions.N, c.InShape(), c.Meta.NumActions)
	}
	res, err := agent.EvaluateQ(q, func() (env.Env, error) { return env.Make(envName) },
		agent.EvalOptions{Episodes: *episodes, Seed: *seed, Epsilon: *epsilon})
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			Env        string `json:"env"`
			Checkpoint string `json:"checkpoint"`
			Step       int64  `json:"step"`
			Seed       uint64 `json:"seed"`
			agent.EvalResult
		}{envName, path, c.Meta.Step, *seed, res}
		enc := json.NewEncoder(stdout)
		return enc.Encode(out)
	}
	how := "greedy"
	if *epsilon > 0 {
		how = fmt.Sprintf("ε-greedy (ε %g)", *epsilon)
	}
	of := fmt.Sprintf("checkpoint at step %d", c.Meta.Step)
	if len(paths) > 1 {
		of = fmt.Sprintf("mean Q of %d checkpoints", len(paths))
	}
	fmt.Fprintf(stdout, "%s: %d %s episodes of %s (%s): mean %.2f ± %.2f, min %s, max %s\n",
		path, res.Episodes, how, envName, of, res.Mean, res.Std, formatReturn(res.Min), formatReturn(res.Max))
	return nil
}
