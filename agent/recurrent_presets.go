package agent

import (
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/replay"
)

// recurrentPresets are the recurrent (R2D2) presets, appended to presets.
var recurrentPresets = []PresetInfo{
	{
		Name: "cartpole-pomdp",
		Doc: "CartPole-v1 with the velocities hidden (cartpole-pomdp) for the recurrent agent, R2D2 " +
			"(Kapturowski et al. 2019) scaled down: an MLP torso of 64 units, an LSTM of 64, sequences of " +
			"20 trained steps after a burn-in of 10, a new one every 10 steps, 3-step Double DQN targets, " +
			"prioritized sequences (η 0.9, α 0.6, β 0.4), Adam 2e-3 decaying linearly to 0, batch 32 " +
			"sequences, a gradient step every 4 environment steps after 5,000 random ones, target copy " +
			"every 500 updates, ε 1→0.01 over 20k steps, 200k steps. Measured (deepq sweep, seeds 1–5): " +
			"every seed reaches 500 over 20 evaluation episodes, at 30k–130k steps, and its best.ckpt gives " +
			"500, 494.8, 496.2, 500, 500 over 100 fresh episodes; the final policies end at 484.4, 499.5, " +
			"322.8, 476.7, 473.2 (100 episodes), the learning rate decaying to 0 not settling every seed. " +
			"With Adam 1e-3 and a step every 8 environment steps (the preset before) the best seed held " +
			"about 450; 2e-3 with a step every 8 gave 500, 383.1, 493.4 on seeds 1–3.",
		config: cartpolePOMDPConfig,
	},
	{
		Name: "mountaincar-pomdp",
		Doc: "MountainCar-v0 with the velocity hidden (mountaincar-pomdp) for the recurrent agent: the " +
			"mountaincar preset's learning (Adam 4e-3 decaying to 0, γ 0.98, 3-step Double DQN, a dueling " +
			"head, ε 1→0.07 over 24k steps, target copy every 300 updates) on an MLP torso of 64 units " +
			"and an LSTM of 64, sequences of 20 trained steps after a burn-in of 10, a new one every 10 " +
			"steps, prioritized (η 0.9, α 0.6, β 0.4), batch 32 sequences, a gradient step every 4 " +
			"environment steps, 150k steps.",
		config: func() Config {
			c := cartpolePOMDPConfig()
			c.Env, c.TotalSteps, c.Dueling = "mountaincar-pomdp", 150_000, true
			c.LearningRate, c.Gamma, c.BufferSize = 4e-3, 0.98, 50_000
			c.LearningStarts, c.TrainFreq, c.TargetUpdateInterval = 1000, 4, 300
			c.ExplorationEnd, c.ExplorationSteps = 0.07, 24_000
			c.EvalEvery = 5000
			return c
		},
	},
	{
		Name: "minatar-r2d2",
		Doc: "The recurrent agent for MinAtar, made for the flickering games (minatar-breakout-flicker " +
			"and the like): MinAtar's DQN (the minatar preset: centered RMSProp 2.5e-4, smooth-L1, " +
			"1-step targets, ε 1→0.1 over 100k frames after 5,000 random ones, sticky actions 0.1, " +
			"5M frames) with R2D2's sequence replay in place of transitions: MinAtar's conv layer and " +
			"dense layer of 128, an LSTM of 128, sequences of 20 trained steps after a burn-in of 10 " +
			"from the stored state, a new one every 10 steps, uniform sampling as MinAtar's DQN, batch " +
			"8 sequences (160 trained steps) every 8 frames, target copy every 500 updates (4,000 " +
			"frames). That samples 20 transitions a frame against the minatar preset's 32, at about " +
			"its cost per frame: each trained step also pays for its share of the burn-in and of the " +
			"target network's pass over the sequence.",
		config: func() Config {
			c := minatarConfig()
			c.Env = "minatar-breakout-flicker"
			c.Recurrent, c.LSTMSize, c.SeqLength, c.SeqBurnIn, c.SeqOverlap, c.PriorityEta = true, 128, 20, 10, 10, 0.9
			c.ReplayStorage = replay.StorageSpec{Storage: replay.Float32}
			c.BatchSize, c.TrainFreq, c.TargetUpdateInterval = 8, 8, 500
			return c
		},
	},
}

func init() { presets = append(presets, recurrentPresets...) }

// cartpolePOMDPConfig is the "cartpole-pomdp" preset.
func cartpolePOMDPConfig() Config {
	return Config{
		Env: "cartpole-pomdp", Seed: 1, TotalSteps: 200_000,
		Network: MLP, Hidden: []int{64}, Init: "torch",
		Recurrent: true, LSTMSize: 64, SeqLength: 20, SeqBurnIn: 10, SeqOverlap: 10, PriorityEta: 0.9,
		Optimizer: Adam, LearningRate: 2e-3, LRSchedule: Linear, LearningRateEnd: 0, OptimizerEps: 1e-8,
		BufferSize: 100_000, BatchSize: 32, Gamma: 0.99,
		LearningStarts: 5000, TrainFreq: 4, GradientSteps: 1,
		TargetUpdateInterval: 500, Tau: 1, DoubleDQN: true, NStep: 3,
		Prioritized: true, PERAlpha: 0.6, PERBeta0: 0.4, PEREps: 1e-6,
		ReplayStorage: replay.StorageSpec{Storage: replay.Float32}, ClipReward: env.ClipNone,
		Loss: SmoothL1, HuberDelta: 1, MaxGradNorm: 10,
		Exploration: EpsilonGreedy, ExplorationSchedule: Linear, ExplorationStart: 1, ExplorationEnd: 0.01, ExplorationSteps: 20_000,
		Distributional: NoDist, Precision: FP32,
		EvalEvery: 10_000, EvalEpisodes: 20, FinalEvalEpisodes: 100,
	}
}
