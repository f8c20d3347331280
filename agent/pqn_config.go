package agent

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/schedule"
)

// PQNConfig holds every hyperparameter of a PQN training run (Parallel
// Q-Network, Gallici et al. 2025, "Simplifying Deep Temporal Difference
// Learning"). Start from a preset (PQNPreset) and change fields; Validate
// before use. Frames count environment steps over all copies: a rollout is
// NumEnvs × RolloutSteps frames.
type PQNConfig struct {
	// Env names the environment, with options, as env.Make takes it.
	Env string `json:"env"`
	// Seed makes the run reproducible: the same seed gives the same run.
	Seed uint64 `json:"seed"`
	// TotalSteps is the number of frames to train for, rounded down to whole
	// rollouts.
	TotalSteps int64 `json:"total_steps"`

	// NumEnvs is the number of env copies stepped in lockstep (N).
	NumEnvs int `json:"num_envs"`
	// RolloutSteps is the number of steps of each copy per rollout (T).
	RolloutSteps int `json:"rollout_steps"`
	// EnvWorkers is the number of goroutines that step the copies (0: the
	// vector env decides by timing its first steps; see env.Vector).
	EnvWorkers int `json:"env_workers,omitempty"`
	// Shards is the number of goroutines the Q-network's passes run on,
	// data-parallel: each holds a copy of the network and takes its share
	// of the rows of every batch (acting, bootstrapping and minibatches),
	// and a gradient step sums their gradients in a fixed order. 1 runs
	// everything on one goroutine. A run's numbers depend on Shards (sums
	// round differently), not on the machine. With Shards > 1, run with
	// net.SetThreads(1): the shards already keep the cores busy, and the
	// small matrix products inside them only lose to threading hand-offs
	// (BenchmarkPQNMinAtar: 2 shards on 1 GEMM thread beat 1 shard on 2
	// threads by about 2× on MinAtar).
	Shards int `json:"shards"`

	// Network is the Q-network's body: "mlp" (dense layers of the widths in
	// Hidden) or "minatar" (MinAtar's conv layer of 16 3×3 filters, then a
	// dense layer of Head units). Each hidden layer is followed by a
	// LayerNorm when LayerNorm is set, then a ReLU.
	Network   NetworkKind `json:"network"`
	Hidden    []int       `json:"hidden,omitempty"`
	Head      int         `json:"head,omitempty"`
	LayerNorm bool        `json:"layer_norm"`
	// Init names the weight initialiser ("torch", "he_normal", ...).
	Init string `json:"init"`
	// Precision is the arithmetic of the Q-network's matrix multiplies:
	// "float32", or "bf16" for mixed precision (as Config.Precision; the
	// LayerNorms stay float32).
	Precision PrecisionKind `json:"precision"`

	// LearningRate is Adam's step size at the start; with LRDecay it decays
	// linearly to 0 at the last gradient step.
	LearningRate float64 `json:"learning_rate"`
	LRDecay      bool    `json:"lr_decay"`
	// OptimizerEps is Adam's ε.
	OptimizerEps float64 `json:"optimizer_eps"`
	// MaxGradNorm clips the global gradient norm; 0 disables clipping.
	MaxGradNorm float64 `json:"max_grad_norm"`
	// Epochs is the number of passes over each rollout; each pass is split
	// into Minibatches minibatches of NumEnvs·RolloutSteps/Minibatches
	// transitions, one gradient step each.
	Epochs      int `json:"epochs"`
	Minibatches int `json:"minibatches"`

	// Gamma is the discount γ, Lambda the λ of the Q(λ) targets.
	Gamma  float64 `json:"gamma"`
	Lambda float64 `json:"lambda"`
	// RewardScale multiplies the rewards the network learns from (returns
	// are reported unscaled).
	RewardScale float64 `json:"reward_scale"`

	// ExplorationStart and ExplorationEnd bound ε, which decays linearly
	// from the first to the second over ExplorationSteps frames.
	ExplorationStart float64 `json:"exploration_start"`
	ExplorationEnd   float64 `json:"exploration_end"`
	ExplorationSteps int64   `json:"exploration_steps"`

	// EvalEvery is the interval in frames between greedy evaluations on
	// separately seeded envs (0: none during training); the evaluation
	// follows the rollout that crosses the interval.
	EvalEvery int64 `json:"eval_every"`
	// EvalEpisodes is the number of episodes of each periodic evaluation.
	EvalEpisodes int `json:"eval_episodes"`
	// FinalEvalEpisodes is the number of episodes of the evaluation at the end.
	FinalEvalEpisodes int `json:"final_eval_episodes"`
	// EvalEpsilon is the ε of evaluation episodes (0: greedy).
	EvalEpsilon float64 `json:"eval_epsilon"`
}

// Validate reports the first field that is out of range, naming it.
func (c *PQNConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("pqn config: %s %s", field, fmt.Sprintf(format, args...))
	}
	finitePos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case strings.TrimSpace(c.Env) == "":
		return bad("env", "is empty")
	case c.NumEnvs < 1 || c.NumEnvs > 1<<16:
		return bad("num_envs", "must be in [1, 65536], got %d", c.NumEnvs)
	case c.RolloutSteps < 1 || c.RolloutSteps > 1<<16:
		return bad("rollout_steps", "must be in [1, 65536], got %d", c.RolloutSteps)
	case c.Shards < 1 || c.Shards > 64:
		return bad("shards", "must be in [1, 64], got %d", c.Shards)
	case c.NumEnvs*c.RolloutSteps > 1<<20:
		return bad("rollout_steps", "× num_envs must be at most 1,048,576 frames per rollout, got %d × %d", c.RolloutSteps, c.NumEnvs)
	case c.EnvWorkers < 0:
		return bad("env_workers", "must be ≥ 0 (0: automatic), got %d", c.EnvWorkers)
	case c.TotalSteps < int64(c.NumEnvs)*int64(c.RolloutSteps):
		return bad("total_steps", "(%d) must be at least one rollout, num_envs × rollout_steps = %d",
			c.TotalSteps, int64(c.NumEnvs)*int64(c.RolloutSteps))
	case c.Network != MLP && c.Network != MinAtarNet:
		return bad("network", "must be mlp or minatar, got %v", c.Network)
	case slices.ContainsFunc(c.Hidden, func(h int) bool { return h < 1 }):
		return bad("hidden", "widths must be at least 1, got %v", c.Hidden)
	case c.Network == MLP && c.Head != 0:
		return bad("head", "is for the minatar network; an mlp takes hidden")
	case c.Network == MinAtarNet && len(c.Hidden) > 0:
		return bad("hidden", "is for the mlp network; a minatar network takes head")
	case c.Network == MinAtarNet && c.Head < 1:
		return bad("head", "must be at least 1 for a minatar network, got %d", c.Head)
	case !c.Precision.valid():
		return bad("precision", "must be %s, got %v", choiceList(precisionNames), c.Precision)
	case !finitePos(c.LearningRate):
		return bad("learning_rate", "must be > 0, got %v", c.LearningRate)
	case !finitePos(c.OptimizerEps):
		return bad("optimizer_eps", "must be > 0, got %v", c.OptimizerEps)
	case !(c.MaxGradNorm >= 0) || math.IsInf(c.MaxGradNorm, 0):
		return bad("max_grad_norm", "must be ≥ 0 (0 disables clipping), got %v", c.MaxGradNorm)
	case c.Epochs < 1:
		return bad("epochs", "must be at least 1, got %d", c.Epochs)
	case c.Minibatches < 1:
		return bad("minibatches", "must be at least 1, got %d", c.Minibatches)
	case (c.NumEnvs*c.RolloutSteps)%c.Minibatches != 0:
		return bad("minibatches", "(%d) must divide num_envs × rollout_steps = %d", c.Minibatches, c.NumEnvs*c.RolloutSteps)
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return bad("gamma", "must be in [0, 1], got %v", c.Gamma)
	case !(c.Lambda >= 0 && c.Lambda <= 1):
		return bad("lambda", "must be in [0, 1], got %v", c.Lambda)
	case !finitePos(c.RewardScale):
		return bad("reward_scale", "must be > 0, got %v", c.RewardScale)
	case !(c.ExplorationStart >= 0 && c.ExplorationStart <= 1):
		return bad("exploration_start", "is a probability ε and must be in [0, 1], got %v", c.ExplorationStart)
	case !(c.ExplorationEnd >= 0 && c.ExplorationEnd <= 1):
		return bad("exploration_end", "is a probability ε and must be in [0, 1], got %v", c.ExplorationEnd)
	case c.ExplorationSteps < 0:
		return bad("exploration_steps", "must be ≥ 0, got %d", c.ExplorationSteps)
	case c.EvalEvery < 0:
		return bad("eval_every", "must be ≥ 0, got %d", c.EvalEvery)
	case c.EvalEvery > 0 && c.EvalEpisodes < 1:
		return bad("eval_episodes", "must be at least 1 when eval_every is set, got %d", c.EvalEpisodes)
	case c.FinalEvalEpisodes < 0:
		return bad("final_eval_episodes", "must be ≥ 0, got %d", c.FinalEvalEpisodes)
	case !(c.EvalEpsilon >= 0 && c.EvalEpsilon <= 1):
		return bad("eval_epsilon", "must be in [0, 1], got %v", c.EvalEpsilon)
	}
	if _, ok := net.Initializers[c.initName()]; !ok {
		return bad("init", "%q is not an initializer", c.Init)
	}
	return nil
}

func (c *PQNConfig) initName() string {
	if c.Init == "" {
		return "torch"
	}
	return c.Init
}

// rolloutSize is N·T, the frames of one rollout.
func (c *PQNConfig) rolloutSize() int { return c.NumEnvs * c.RolloutSteps }

// rollouts is the number of rollouts of the run.
func (c *PQNConfig) rollouts() int64 { return c.TotalSteps / int64(c.rolloutSize()) }

// minibatch is the number of transitions per gradient step.
func (c *PQNConfig) minibatch() int { return c.rolloutSize() / c.Minibatches }

// totalUpdates is the number of gradient steps of the run.
func (c *PQNConfig) totalUpdates() int64 { return c.rollouts() * int64(c.Epochs*c.Minibatches) }

// learningRate returns the learning rate of gradient step u (from 0):
// lr·(1 − u/U) over the run's U gradient steps with LRDecay.
func (c *PQNConfig) learningRate(u int64) float64 {
	if !c.LRDecay {
		return c.LearningRate
	}
	return c.LearningRate * max(1-float64(u)/float64(c.totalUpdates()), 0)
}

// epsilon returns ε(t) over frames.
func (c *PQNConfig) epsilon() schedule.Schedule {
	return schedule.Linear{Start: c.ExplorationStart, End: c.ExplorationEnd, Steps: c.ExplorationSteps}
}

// PQNNetwork returns the layer specs of cfg's Q-network for numActions
// actions: every hidden layer (dense, or MinAtar's convolution and dense
// layer) followed by a LayerNorm over the sample's features (the whole
// 16×8×8 map after the convolution) when cfg.LayerNorm is set, then a ReLU;
// a dense output layer of numActions units; cfg's initialiser on every layer
// with weights.
func PQNNetwork(cfg *PQNConfig, numActions int) []net.LayerSpec {
	var s []net.LayerSpec
	hidden := func(layer net.LayerSpec) {
		s = append(s, layer)
		if cfg.LayerNorm {
			s = append(s, net.LayerNorm(1)) // dimensions 1 … last of (B, …)
		}
		s = append(s, net.ReLU())
	}
	switch cfg.Network {
	case MLP:
		for _, h := range cfg.Hidden {
			hidden(net.Dense(h))
		}
	case MinAtarNet:
		hidden(net.Conv2D(16, 3, 1, 0))
		s = append(s, net.Flatten())
		hidden(net.Dense(cfg.Head))
	default:
		panic(fmt.Sprintf("agent: pqn network %v: the config was not validated", cfg.Network))
	}
	s = append(s, net.Dense(numActions))
	return net.WithInit(s, cfg.initName())
}

// PQNPresetInfo describes a tuned PQN configuration.
type PQNPresetInfo struct {
	Name string
	// Doc says what the preset is for and where its hyperparameters come from.
	Doc    string
	config func() PQNConfig
}

var pqnPresets = []PQNPresetInfo{
	{
		Name: "pqn-cartpole",
		Doc: "CartPole-v1 with PQN. From purejaxql's pqn_cartpole.yaml (LayerNorm MLP, ε to a " +
			"floor, λ 0.95, reward scale 0.1, linearly decaying learning rate, gradient norm 10) " +
			"scaled down to train in seconds on a CPU: 100k frames of 16 envs × 32 steps, MLP 64-64, " +
			"Adam 5e-4, 4 epochs of 4 minibatches (see agent/pqn_config.go).",
		config: pqnCartPole,
	},
	{
		Name: "pqn-minatar",
		Doc: "PQN's own MinAtar setting (purejaxql's pqn_minatar.yaml): 128 envs × 32 steps, " +
			"2 epochs of 32 minibatches, Adam 5e-4 decaying linearly to 0 (purejaxql uses RAdam), " +
			"gradient norm 10, γ 0.99, λ 0.65, ε 1→0.05 over the first 10% of 10M frames; " +
			"MinAtar's conv layer (16 3×3) and 128 units, each with a LayerNorm, He-normal " +
			"weights. Any MinAtar game (Env), sticky actions 0.1 as MinAtar's default.",
		config: pqnMinAtar,
	},
	{
		Name: "pqn-acrobot",
		Doc: "Acrobot-v1 with PQN. purejaxql's CartPole/Acrobot setting (pqn_cartpole.yaml: LayerNorm " +
			"MLP 256-256, γ 0.99, rewards × 0.1, linearly decaying learning rate, gradient norm 10) " +
			"with pqn-cartpole's rollouts: 500k frames of 16 envs × 32 steps, and 8 epochs of 8 " +
			"minibatches of 64 (four times the gradient steps of 4 × 4), Adam 2.5e-4, λ 0.9, " +
			"ε 1→0.01 over 100k frames (see agent/pqn_config.go).",
		config: pqnAcrobot,
	},
	{
		Name: "pqn-mountaincar",
		Doc: "MountainCar-v0 with PQN (CleanRL's pqn.py scores −200 there): PQN's λ 0.65 with " +
			"pqn-cartpole's rollouts (16 envs × 32 steps, rewards × 0.1) and 8 epochs of 8 minibatches " +
			"of 64, He-normal LayerNorm MLP 256-256, Adam 2e-3 decaying linearly, ε 1→0.01 over 30k " +
			"frames, 600k frames (see agent/pqn_config.go).",
		config: pqnMountainCar,
	},
}

// pqnCartPole is the "pqn-cartpole" preset. purejaxql's CartPole setting
// (32 envs × 64 steps, 16 minibatches × 4 epochs, MLP 256-256, Adam 1e-4,
// ε 1→0.2 over 20% of 500k steps, λ 0.95, rewards × 0.1) takes 500k frames;
// this one keeps its shape (LayerNorm MLP, λ, reward scale, LR decay) and
// trains in a fifth of the frames with a smaller net (64-64), a higher rate
// (5e-4; 1e-3 left 1 seed of 5 below 475), 16 envs × 32 steps, 4 epochs of
// 4 minibatches of 128 and ε 1→0.05 over 20k frames. Measured: 10 of 10
// seeds reach a greedy mean ≥ 475 over 100 episodes at 100k frames.
func pqnCartPole() PQNConfig {
	return PQNConfig{
		Env: "cartpole", Seed: 1, TotalSteps: 100_000,
		NumEnvs: 16, RolloutSteps: 32, Shards: 1,
		Network: MLP, Hidden: []int{64, 64}, LayerNorm: true, Init: "torch", Precision: FP32,
		LearningRate: 5e-4, LRDecay: true, OptimizerEps: 1e-8, MaxGradNorm: 10,
		Epochs: 4, Minibatches: 4,
		Gamma: 0.99, Lambda: 0.95, RewardScale: 0.1,
		ExplorationStart: 1, ExplorationEnd: 0.05, ExplorationSteps: 20_000,
		EvalEvery: 0, EvalEpisodes: 10, FinalEvalEpisodes: 100,
	}
}

// pqnMinAtar is the "pqn-minatar" preset (see its Doc).
func pqnMinAtar() PQNConfig {
	return PQNConfig{
		Env: "minatar-breakout", Seed: 1, TotalSteps: 10_000_000,
		NumEnvs: 128, RolloutSteps: 32, Shards: 2,
		Network: MinAtarNet, Head: 128, LayerNorm: true, Init: "he_normal", Precision: FP32,
		LearningRate: 5e-4, LRDecay: true, OptimizerEps: 1e-8, MaxGradNorm: 10,
		Epochs: 2, Minibatches: 32,
		Gamma: 0.99, Lambda: 0.65, RewardScale: 1,
		ExplorationStart: 1, ExplorationEnd: 0.05, ExplorationSteps: 1_000_000,
		EvalEvery: 500_000, EvalEpisodes: 20, FinalEvalEpisodes: 100,
	}
}

// pqnAcrobot is the "pqn-acrobot" preset. Its start is purejaxql's
// pqn_cartpole.yaml, whose env line names Acrobot-v1 as the other env it
// serves: 32 envs × 64 steps, 16 minibatches × 4 epochs, LayerNorm MLP
// 256-256, RAdam 1e-4 decaying linearly, ε 1→0.2 over 20% of 500k frames,
// λ 0.95, γ 0.99, rewards × 0.1. Measured here (with Adam), that ends at
// −82.3 on seed 1. This preset keeps its network, γ, reward scale, decay
// and 500k frames, and changes:
//   - ε ends at 0.01 (after 100k frames), not 0.2: Peng's Q(λ) learns the
//     values of the policy it follows, and the greedy evaluation is served
//     best by following nearly the greedy one;
//   - 16 envs × 32 steps per rollout, and 8 epochs of 8 minibatches of 64
//     on each: 64 gradient steps per 512 frames, 62,464 in the run;
//   - Adam 2.5e-4 (CleanRL pqn.py's rate) and λ 0.9.
//
// CleanRL's pqn.py (4 envs × 128 steps, MLP 120-84, RAdam 2.5e-4, λ 0.65,
// ε to 0.05 over half of 500k frames) is the other reference.
//
// Measured, greedy mean over 100 episodes at the end: −72.2, −74.8, −72.0
// on seeds 1–3 and −79.8, −73.5, −74.6 on seeds 4–6 (about 30 s of CPU
// each). What made the difference is the number of gradient steps: with 4
// epochs of 4 minibatches of 128 (a quarter of them) the greedy policy
// settled between −80 and −87 whatever else was tried (seed 1 unless said,
// 500k frames): λ 0.65, 0.9 or 0.95; Adam 1e-4 to 1e-3; MLP 128-128 or
// 256-256; ε floors 0.01, 0.05 and 0.2; 1M frames (−86.5 with 128-128 at
// 5e-4); a dueling head (−83.1, −84.4, −79.8 on seeds 1–3); observations
// rescaled to [−1, 1] (−112). On seeds 1–3, 8 epochs of 4 minibatches gave
// −82.2, −77.9, −77.4; 4 epochs of 16 minibatches of 32 −77.7, −79.7,
// −82.4; 32 envs with 8 epochs of 4 −78.7, −75.9, −80.6; λ 0.5 with 8
// epochs of 4 −77.1, −79.5, −78.4.
func pqnAcrobot() PQNConfig {
	return PQNConfig{
		Env: "acrobot", Seed: 1, TotalSteps: 500_000,
		NumEnvs: 16, RolloutSteps: 32, Shards: 1,
		Network: MLP, Hidden: []int{256, 256}, LayerNorm: true, Init: "torch", Precision: FP32,
		LearningRate: 2.5e-4, LRDecay: true, OptimizerEps: 1e-8, MaxGradNorm: 10,
		Epochs: 8, Minibatches: 8,
		Gamma: 0.99, Lambda: 0.9, RewardScale: 0.1,
		ExplorationStart: 1, ExplorationEnd: 0.01, ExplorationSteps: 100_000,
		EvalEvery: 50_000, EvalEpisodes: 10, FinalEvalEpisodes: 100,
	}
}

// pqnMountainCar is the "pqn-mountaincar" preset. purejaxql has no
// MountainCar setting. CleanRL's pqn.py (4 envs × 128 steps, MLP 120-84
// with LayerNorm, orthogonal weights, RAdam 2.5e-4, λ 0.65, ε 1→0.05 over
// half of 500k frames, truncations treated as terminations) scores −200 on
// MountainCar-v0: it never reaches the goal. This preset keeps PQN's λ of
// 0.65 and γ 0.99, takes pqn-cartpole's rollouts (16 envs × 32 steps,
// rewards × 0.1, linearly decaying learning rate) and departs where
// MountainCar needed it:
//   - He-normal weights (zero biases) on an MLP 256-256, and Adam 2e-3:
//     a random walk does not reach the goal in 200 steps, so the first
//     successes come from the greedy policy pushing with the velocity, an
//     input 20 times smaller than the position (±0.07 against [−1.2, 0.6]).
//     With torch's init or a rate of 5e-4 seeds stayed at −200 or found
//     the goal and lost it (seed 1, 300k frames: −200 with torch's init,
//     −125 with He's at 5e-4; seed 2 −200 at 5e-4, −111 at 4e-3).
//   - ε falls fast, to 0.01 over 30k frames: the greedy policy does the
//     exploring, and Peng's Q(λ) learns the values of the policy it follows.
//   - λ 0.65, not 0.95 or 0.99: with the longer traces the greedy policy
//     reached the goal and then lost it again, for good (seed 1: −124 at
//     250k frames, −200 at 300k; at λ 0.65 −99.7 at 400k).
//   - Truncations bootstrap from the state the time limit cut (PQN does so
//     for every env); CleanRL's pqn.py stops the return there.
//   - 8 epochs of 8 minibatches of 64 on each rollout (64 gradient steps
//     per 512 frames) and 600k frames. With 4 epochs of 4 minibatches of
//     128 and 400k frames, seeds 1–4 ended at −99.7, −98.7, −116.8 and
//     −200 (it never found the goal); with 8 × 8 at 400k, −100.4, −99.9,
//     −99.8, −99.4 on seeds 1–4 but −130.9 on seed 5, which found the goal
//     at 18k frames, lost it, and found it again only after 350k.
//
// Measured, greedy mean over 100 episodes at the end: −97.1, −98.8, −109.6
// on seeds 1–3 and −98.5, −99.7, −100.8 on seeds 4–6 (about 45 s of CPU
// each). Seed 3's −109.6 holds a few −200 episodes: from some starts its
// greedy policy does not swing up.
// Finding the goal rests on the greedy policy of a young network, which
// does not always push with the velocity: with no replay buffer, a seed
// that has not found the goal by the time ε is low finds it late or not
// at all.
//
// What did not help (single runs on seed 1 or 2 of 300k–500k frames, not
// all on this preset's other settings): 32, 64 or 128 envs, 128-step
// rollouts with λ 0.99, γ 0.98 or 0.97, ε floors of 0.1 and 0.2, rewards
// unscaled, no LayerNorm, observations rescaled to [−1, 1]; 4 epochs of 8
// minibatches at 400k (−98.9, −200, −103.5, −200 on seeds 1–4).
func pqnMountainCar() PQNConfig {
	return PQNConfig{
		Env: "mountaincar", Seed: 1, TotalSteps: 600_000,
		NumEnvs: 16, RolloutSteps: 32, Shards: 1,
		Network: MLP, Hidden: []int{256, 256}, LayerNorm: true, Init: "he_normal", Precision: FP32,
		LearningRate: 2e-3, LRDecay: true, OptimizerEps: 1e-8, MaxGradNorm: 10,
		Epochs: 8, Minibatches: 8,
		Gamma: 0.99, Lambda: 0.65, RewardScale: 0.1,
		ExplorationStart: 1, ExplorationEnd: 0.01, ExplorationSteps: 30_000,
		EvalEvery: 50_000, EvalEpisodes: 10, FinalEvalEpisodes: 100,
	}
}

// PQNPreset returns the PQN configuration named name ("pqn-cartpole",
// "pqn-minatar", "pqn-acrobot", "pqn-mountaincar").
func PQNPreset(name string) (PQNConfig, error) {
	for _, p := range pqnPresets {
		if p.Name == name {
			return p.config(), nil
		}
	}
	return PQNConfig{}, fmt.Errorf("unknown PQN preset %q (available: %s)", name, strings.Join(PQNPresetNames(), ", "))
}

// PQNPresets lists the PQN presets.
func PQNPresets() []PQNPresetInfo { return slices.Clone(pqnPresets) }

// PQNPresetNames lists the PQN presets' names.
func PQNPresetNames() []string {
	var n []string
	for _, p := range pqnPresets {
		n = append(n, p.Name)
	}
	return n
}

// PQNPresetFor returns the name of the PQN preset for an env name (a
// registered name or alias, options ignored), or "" if there is none:
// "pqn-minatar" for the MinAtar games, "pqn-" and the env's name otherwise.
func PQNPresetFor(envName string) string {
	r, ok := env.Lookup(envName)
	if !ok {
		return ""
	}
	if strings.HasPrefix(r.Name, "minatar-") {
		return "pqn-minatar"
	}
	for _, p := range pqnPresets {
		if p.Name == "pqn-"+r.Name {
			return p.Name
		}
	}
	return ""
}
