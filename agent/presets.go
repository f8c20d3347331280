package agent

import (
	"fmt"
	"slices"
	"strings"
)

// PresetInfo describes a tuned configuration.
type PresetInfo struct {
	Name string
	// Doc says what the preset is for and where its hyperparameters come from.
	Doc    string
	config func() Config
}

var presets = []PresetInfo{
	{
		Name: "cartpole",
		Doc: "CartPole-v1. Starts from rl-baselines3-zoo's tuned DQN (MLP 256-256, Adam 2.3e-3, " +
			"batch 64, train every 256 steps with 128 gradient steps, ε 1→0.04 over 8k steps, " +
			"smooth-L1, γ 0.99) and adds Double DQN and a linearly decaying learning rate, " +
			"which keep the final policy from forgetting (see agent/presets.go).",
		config: func() Config {
			return Config{
				Env: "cartpole", Seed: 1, TotalSteps: 50_000,
				Hidden: []int{256, 256}, Init: "torch",
				Optimizer: "adam", LearningRate: 2.3e-3, LRSchedule: "linear", LearningRateEnd: 0, OptimizerEps: 1e-8,
				BufferSize: 100_000, BatchSize: 64, Gamma: 0.99,
				LearningStarts: 1000, TrainFreq: 256, GradientSteps: 128,
				TargetUpdateInterval: 128, Tau: 1, DoubleDQN: true,
				Loss: "smooth_l1", HuberDelta: 1, MaxGradNorm: 10,
				ExplorationStart: 1, ExplorationEnd: 0.04, ExplorationSteps: 8000,
				EvalEvery: 2500, EvalEpisodes: 20, FinalEvalEpisodes: 100,
			}
		},
	},
}

// Preset returns the configuration named name.
func Preset(name string) (Config, error) {
	for _, p := range presets {
		if p.Name == name {
			return p.config(), nil
		}
	}
	return Config{}, fmt.Errorf("unknown preset %q (available: %s)", name, strings.Join(PresetNames(), ", "))
}

// Presets lists the presets.
func Presets() []PresetInfo { return slices.Clone(presets) }

// PresetNames lists the presets' names.
func PresetNames() []string {
	var n []string
	for _, p := range presets {
		n = append(n, p.Name)
	}
	return n
}

// PresetFor returns the name of the preset for an env name (ignoring options),
// or "" if there is none.
func PresetFor(envName string) string {
	base, _, _ := strings.Cut(envName, ":")
	base = strings.ToLower(base)
	if base == "cartpole-v1" {
		base = "cartpole"
	}
	for _, p := range presets {
		if p.Name == base {
			return p.Name
		}
	}
	return ""
}
