package agent

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deepq/deepq/net"
)

// Config holds every hyperparameter of a DQN training run. Start from a preset
// (Preset) or DefaultConfig and change fields; Validate before use. A Config
// is a plain value: copying it copies everything but the Hidden slice, which
// the agent never modifies.
type Config struct {
	// Env names the environment, with options, as env.Make takes it.
	Env string `json:"env"`
	// Seed makes the run reproducible: the same seed gives the same run.
	Seed uint64 `json:"seed"`
	// TotalSteps is the number of environment steps to train for.
	TotalSteps int64 `json:"total_steps"`

	// Network is the Q-network's body: "mlp" (dense ReLU layers of the widths
	// in Hidden), "minatar" (MinAtar's conv layer of 16 3×3 filters, then a
	// dense ReLU layer of Head units) or "nature" (the Nature DQN's three conv
	// layers, then Head units).
	Network string `json:"network"`
	// Hidden lists the widths of the hidden ReLU layers of an "mlp" body.
	Hidden []int `json:"hidden,omitempty"`
	// Head is the width of the dense layer after a conv body (MinAtar 128,
	// Nature 512), and of each stream of a dueling head on a conv body.
	Head int `json:"head,omitempty"`
	// Dueling ends the network with a dueling head, Q = V + A − mean(A)
	// (Wang et al. 2016), instead of one dense output layer.
	Dueling bool `json:"dueling"`
	// Init names the weight initialiser ("torch", "xavier_uniform", "he_uniform", ...).
	Init string `json:"init"`

	// Optimizer is "adam", "rmsprop" (PyTorch's) or "deepmind_rmsprop" (the
	// Nature DQN's: centered, OptimizerEps inside the square root).
	Optimizer string `json:"optimizer"`
	// LearningRate is the optimizer's step size at the start.
	LearningRate float64 `json:"learning_rate"`
	// LRSchedule is "constant", or "linear" to decay the learning rate to
	// LearningRateEnd at TotalSteps.
	LRSchedule      string  `json:"lr_schedule"`
	LearningRateEnd float64 `json:"learning_rate_end"`
	// OptimizerEps is Adam's or RMSProp's ε.
	OptimizerEps float64 `json:"optimizer_eps"`
	// RMSPropAlpha is RMSProp's smoothing constant α (ignored by Adam).
	RMSPropAlpha float64 `json:"rmsprop_alpha"`
	// RMSPropCentered selects centered RMSProp (ignored by Adam).
	RMSPropCentered bool `json:"rmsprop_centered"`

	// BufferSize is the replay capacity in observation slots: one per
	// transition and one per episode for its final observation.
	BufferSize int `json:"buffer_size"`
	// BatchSize is the number of transitions per gradient step.
	BatchSize int `json:"batch_size"`
	// Gamma is the discount γ.
	Gamma float64 `json:"gamma"`
	// LearningStarts is the number of uniformly random steps taken to fill the
	// replay before any learning.
	LearningStarts int64 `json:"learning_starts"`
	// TrainFreq: a training round runs every TrainFreq environment steps...
	TrainFreq int `json:"train_freq"`
	// GradientSteps: ...and takes this many gradient steps.
	GradientSteps int `json:"gradient_steps"`
	// TargetUpdateInterval C: the target network is updated every C gradient
	// steps, by a hard copy when Tau is 1 or by Polyak averaging with Tau.
	TargetUpdateInterval int     `json:"target_update_interval"`
	Tau                  float64 `json:"tau"`
	// DoubleDQN takes the bootstrap action from the online network and its
	// value from the target network (van Hasselt et al. 2016).
	DoubleDQN bool `json:"double_dqn"`
	// Loss is "huber", "smooth_l1" or "mse"; HuberDelta is the threshold.
	Loss       string  `json:"loss"`
	HuberDelta float64 `json:"huber_delta"`
	// MaxGradNorm clips the global gradient norm; 0 disables clipping.
	MaxGradNorm float64 `json:"max_grad_norm"`

	// ExplorationStart and ExplorationEnd bound ε, which decays linearly over
	// ExplorationSteps environment steps.
	ExplorationStart float64 `json:"exploration_start"`
	ExplorationEnd   float64 `json:"exploration_end"`
	ExplorationSteps int64   `json:"exploration_steps"`

	// EvalEvery is the interval in environment steps between greedy
	// evaluations on a separately seeded env (0: none during training).
	EvalEvery int64 `json:"eval_every"`
	// EvalEpisodes is the number of episodes of each periodic evaluation.
	EvalEpisodes int `json:"eval_episodes"`
	// FinalEvalEpisodes is the number of episodes of the evaluation at the end.
	FinalEvalEpisodes int `json:"final_eval_episodes"`
}

// Validate reports the first field that is out of range, naming it.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("config: %s %s", field, fmt.Sprintf(format, args...))
	}
	finitePos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case strings.TrimSpace(c.Env) == "":
		return bad("env", "is empty")
	case c.TotalSteps < 1:
		return bad("total_steps", "must be at least 1, got %d", c.TotalSteps)
	case c.Network != "mlp" && c.Network != "minatar" && c.Network != "nature":
		return bad("network", "must be mlp, minatar or nature, got %q", c.Network)
	case slices.ContainsFunc(c.Hidden, func(h int) bool { return h < 1 }):
		return bad("hidden", "widths must be at least 1, got %v", c.Hidden)
	case c.Network != "mlp" && len(c.Hidden) > 0:
		return bad("hidden", "is for the mlp network; a %s network takes head", c.Network)
	case c.Network != "mlp" && c.Head < 1:
		return bad("head", "must be at least 1 for a %s network, got %d", c.Network, c.Head)
	case c.Network == "mlp" && c.Head != 0:
		return bad("head", "is for conv networks; an mlp takes hidden")
	case c.Optimizer != "adam" && c.Optimizer != "rmsprop" && c.Optimizer != "deepmind_rmsprop":
		return bad("optimizer", "must be adam, rmsprop or deepmind_rmsprop, got %q", c.Optimizer)
	case !finitePos(c.LearningRate):
		return bad("learning_rate", "must be > 0, got %v", c.LearningRate)
	case c.LRSchedule != "constant" && c.LRSchedule != "linear":
		return bad("lr_schedule", "must be constant or linear, got %q", c.LRSchedule)
	case c.LRSchedule == "linear" && !(c.LearningRateEnd >= 0 && c.LearningRateEnd <= c.LearningRate):
		return bad("learning_rate_end", "must be in [0, learning_rate], got %v", c.LearningRateEnd)
	case !finitePos(c.OptimizerEps):
		return bad("optimizer_eps", "must be > 0, got %v", c.OptimizerEps)
	case c.Optimizer != "adam" && !(c.RMSPropAlpha > 0 && c.RMSPropAlpha < 1):
		return bad("rmsprop_alpha", "must be in (0, 1), got %v", c.RMSPropAlpha)
	case c.BufferSize < 1:
		return bad("buffer_size", "must be at least 1, got %d", c.BufferSize)
	case c.BatchSize < 1:
		return bad("batch_size", "must be at least 1, got %d", c.BatchSize)
	case c.BatchSize > c.BufferSize:
		return bad("batch_size", "(%d) is larger than buffer_size (%d)", c.BatchSize, c.BufferSize)
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return bad("gamma", "must be in [0, 1], got %v", c.Gamma)
	case c.LearningStarts < 0:
		return bad("learning_starts", "must be ≥ 0, got %d", c.LearningStarts)
	case c.TrainFreq < 1:
		return bad("train_freq", "must be at least 1, got %d", c.TrainFreq)
	case c.GradientSteps < 1:
		return bad("gradient_steps", "must be at least 1, got %d", c.GradientSteps)
	case c.TargetUpdateInterval < 1:
		return bad("target_update_interval", "must be at least 1, got %d", c.TargetUpdateInterval)
	case !(c.Tau > 0 && c.Tau <= 1):
		return bad("tau", "must be in (0, 1], got %v", c.Tau)
	case !(c.MaxGradNorm >= 0) || math.IsInf(c.MaxGradNorm, 0):
		return bad("max_grad_norm", "must be ≥ 0 (0 disables clipping), got %v", c.MaxGradNorm)
	case !(c.ExplorationStart >= 0 && c.ExplorationStart <= 1):
		return bad("exploration_start", "must be in [0, 1], got %v", c.ExplorationStart)
	case !(c.ExplorationEnd >= 0 && c.ExplorationEnd <= 1):
		return bad("exploration_end", "must be in [0, 1], got %v", c.ExplorationEnd)
	case c.ExplorationSteps < 0:
		return bad("exploration_steps", "must be ≥ 0, got %d", c.ExplorationSteps)
	case c.EvalEvery < 0:
		return bad("eval_every", "must be ≥ 0, got %d", c.EvalEvery)
	case c.EvalEvery > 0 && c.EvalEpisodes < 1:
		return bad("eval_episodes", "must be at least 1 when eval_every is set, got %d", c.EvalEpisodes)
	case c.FinalEvalEpisodes < 0:
		return bad("final_eval_episodes", "must be ≥ 0, got %d", c.FinalEvalEpisodes)
	}
	if _, err := net.LossByName(c.Loss, c.HuberDelta); err != nil {
		return bad("loss", "%v", err)
	}
	if _, ok := net.Initializers[c.initName()]; !ok {
		return bad("init", "%q is not an initializer", c.Init)
	}
	return nil
}

func (c *Config) initName() string {
	if c.Init == "" {
		return "torch"
	}
	return c.Init
}

// learningRate returns the scheduled learning rate after step environment steps.
func (c *Config) learningRate(step int64) float64 {
	if c.LRSchedule != "linear" {
		return c.LearningRate
	}
	f := min(float64(step)/float64(c.TotalSteps), 1)
	return c.LearningRate + f*(c.LearningRateEnd-c.LearningRate)
}
