package agent

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
	"github.com/deepq/deepq/schedule"
)

// Config holds every hyperparameter of a DQN training run. Start from a preset
// (Preset, e.g. Preset("cartpole")) or DefaultConfig and change fields;
// Validate before use. A Config
// is a plain value: copying it copies everything but the Hidden slice and
// ReplayStorage.Disk, which the agent never modifies.
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
	Network NetworkKind `json:"network"`
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

	// Distributional is what the network learns of the return Z(s, a):
	// "none" (its mean Q, as DQN), "c51" (a categorical distribution on
	// Atoms atoms zᵢ evenly spaced on [VMin, VMax]), "qr" (Quantiles
	// quantiles at the fixed fractions (i + ½)/N) or "iqn" (quantiles at
	// fractions τ ~ U(0, 1): Quantiles of them for the online network,
	// IQNTargetQuantiles N′ for the target and IQNActQuantiles K to act, fed
	// through a cosine embedding of IQNEmbedding cosines placed between the
	// body and the head). Every kind acts on the expected Q: Σᵢ zᵢ·pᵢ, the
	// mean of the quantiles, or the mean over K sampled τ. The quantile
	// losses take HuberDelta as their κ; Loss is then not used.
	Distributional     DistKind `json:"distributional"`
	Atoms              int      `json:"atoms,omitempty"`
	VMin               float64  `json:"v_min,omitempty"`
	VMax               float64  `json:"v_max,omitempty"`
	Quantiles          int      `json:"quantiles,omitempty"`
	IQNTargetQuantiles int      `json:"iqn_n_prime,omitempty"`
	IQNActQuantiles    int      `json:"iqn_k,omitempty"`
	IQNEmbedding       int      `json:"iqn_embedding,omitempty"`
	// Noisy makes the head's linear layers factorised-Gaussian NoisyNet
	// layers (Fortunato et al. 2018) with initial σ = NoisySigma0/√fanIn
	// (0.5 in the paper). The noise is the exploration: the online and target
	// networks draw new noise before each gradient step and the actor before
	// each action, evaluation acts on the mean weights, and ε must be 0
	// (exploration_start and exploration_end 0; the learning_starts random
	// steps still fill the replay first).
	Noisy       bool    `json:"noisy,omitempty"`
	NoisySigma0 float64 `json:"noisy_sigma0,omitempty"`
	// BootstrapHeads K > 0 makes the agent Bootstrapped DQN (Osband et al.
	// 2016): the network ends in K heads of Q-values on the shared body
	// (one linear layer each on an mlp, Head units then the output on a
	// conv body), each with its own target head. Every transition is
	// stored with a mask of K bits, each set with probability BootstrapP,
	// and head k trains only on the transitions whose bit k is set. The
	// actor draws a head uniformly at the start of each episode and acts
	// with it (by its policy: set ε to 0 for the paper's pure Thompson-style
	// exploration); evaluation, play and the HUD act on the mean of the
	// heads' Q-values. 0: one head, plain DQN.
	BootstrapHeads int     `json:"bootstrap_heads,omitempty"`
	BootstrapP     float64 `json:"bootstrap_p,omitempty"`

	// Optimizer is "adam", "rmsprop" (PyTorch's) or "deepmind_rmsprop" (the
	// Nature DQN's: centered, OptimizerEps inside the square root).
	Optimizer OptimizerKind `json:"optimizer"`
	// LearningRate is the optimizer's step size at the start.
	LearningRate float64 `json:"learning_rate"`
	// LRSchedule is "constant", or "linear" to decay the learning rate to
	// LearningRateEnd at TotalSteps.
	LRSchedule      ScheduleKind `json:"lr_schedule"`
	LearningRateEnd float64      `json:"learning_rate_end"`
	// OptimizerEps is Adam's or RMSProp's ε.
	OptimizerEps float64 `json:"optimizer_eps"`
	// RMSPropAlpha is RMSProp's smoothing constant α (ignored by Adam).
	RMSPropAlpha float64 `json:"rmsprop_alpha"`
	// RMSPropCentered selects centered RMSProp (ignored by Adam).
	RMSPropCentered bool `json:"rmsprop_centered"`
	// RMSPropMomentum is the momentum μ of PyTorch's RMSProp (0: none):
	// b ← μ·b + g/avg, θ ← θ − lr·b.
	RMSPropMomentum float64 `json:"rmsprop_momentum,omitempty"`

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
	// NStep n ≥ 1 learns from n-step returns Σₖ γᵏ rₖ + γⁿ max Q_target,
	// cut short at the end of an episode (no bootstrap after termination).
	NStep int `json:"n_step"`
	// Prioritized turns on proportional prioritized replay (Schaul et al.
	// 2016) with priority exponent PERAlpha, importance-sampling exponent
	// annealed from PERBeta0 to 1 over TotalSteps, and PEREps added to |δ|.
	Prioritized bool    `json:"prioritized"`
	PERAlpha    float64 `json:"per_alpha,omitempty"`
	PERBeta0    float64 `json:"per_beta0,omitempty"`
	PEREps      float64 `json:"per_eps,omitempty"`
	// ReplayStorage is how the replay stores observations: the encoding
	// "float32", "uint8" (integers 0–255, e.g. Atari frames) or "bits" (0/1
	// planes, e.g. MinAtar), which hold their values exactly, or "float16"
	// or "bf16", which round float observations to half float32's memory
	// (within 2⁻¹¹ or 2⁻⁸ relative: replay.Float16, replay.BF16; the agent
	// learns from the rounded values), in memory, or on disk with
	// "disk:DIR" (frames in DIR/frames.dat behind a cache of 256 MiB;
	// "disk@1GiB:DIR" sets the cache), or both, e.g.
	// "bits+disk:/data/replay" (replay.StorageSpec spells them). Setting
	// only one part keeps the other: --set replay_storage=disk:DIR on the
	// minatar preset keeps its bits. A frame-stacked env (option
	// frame-stack=K) has each frame stored once. On disk the process holds
	// the cache, the slots' scalars (10 bytes each) and the priority trees,
	// whatever BufferSize; a checkpoint records the buffer's position in its
	// file instead of copying it (see Trainer.SaveReplay), and the run is
	// bit for bit the one in memory.
	ReplayStorage replay.StorageSpec `json:"replay_storage"`
	// ClipReward clips the rewards the agent learns from: "none", "sign"
	// (DQN's Atari setting) or "unit" (to [−1, 1]). Returns are reported
	// unclipped.
	ClipReward env.ClipMode `json:"clip_reward"`
	// DoubleDQN takes the bootstrap action from the online network and its
	// value from the target network (van Hasselt et al. 2016).
	DoubleDQN bool `json:"double_dqn"`
	// Loss is "huber", "smooth_l1" or "mse"; HuberDelta is the threshold.
	Loss       LossKind `json:"loss"`
	HuberDelta float64  `json:"huber_delta"`
	// MaxGradNorm clips the global gradient norm; 0 disables clipping.
	MaxGradNorm float64 `json:"max_grad_norm"`
	// Precision is the arithmetic of the online and target networks'
	// matrix multiplies: "float32", or "bf16" for mixed precision (operands
	// rounded to bfloat16, products summed in float32, float32 master
	// weights; see net.Precision for the error bound). Multiplies of fewer
	// than 4 rows, as acting on one observation, stay float32.
	Precision PrecisionKind `json:"precision"`

	// Exploration is "epsilon_greedy" (a uniformly random action with
	// probability ε, else the greedy one) or "boltzmann" (actions drawn from
	// softmax(Q/T) with temperature T; ExplorationStart and ExplorationEnd
	// are then T's start and end).
	Exploration ExplorationKind `json:"exploration"`
	// ExplorationStart and ExplorationEnd bound ε, which decays from the
	// first towards the second, starting at step ExplorationDelay (0 in SB3
	// and CleanRL; MinAtar waits for its replay to fill): linearly over
	// ExplorationSteps steps (ExplorationSchedule "linear"), or exponentially
	// with time constant ExplorationSteps ("exponential").
	ExplorationStart    float64      `json:"exploration_start"`
	ExplorationEnd      float64      `json:"exploration_end"`
	ExplorationSteps    int64        `json:"exploration_steps"`
	ExplorationSchedule ScheduleKind `json:"exploration_schedule"`
	ExplorationDelay    int64        `json:"exploration_delay,omitempty"`

	// Recurrent makes the agent R2D2's (Kapturowski et al. 2019): the body
	// (Network, Hidden) feeds an LSTM of LSTMSize units whose h_t feeds the
	// head; the actor carries the LSTM state (h, c) through each episode
	// (zeros at its start), the replay keeps sequences of SeqLength trained
	// steps with the state the actor had at their start, each after up to
	// SeqBurnIn earlier steps that only warm the state up (no gradient), a
	// new sequence every SeqLength − SeqOverlap steps. BufferSize counts
	// steps: the replay holds BufferSize/(SeqLength − SeqOverlap) sequences;
	// BatchSize counts sequences. The learner's targets are NStep-step Double
	// DQN (or max) targets inside each sequence, cut at its end; with
	// Prioritized, a sequence's priority is PriorityEta·max|δ| +
	// (1−PriorityEta)·mean|δ| over its trained steps, drawn with exponent
	// PERAlpha and importance weights of the fixed exponent PERBeta0.
	Recurrent   bool    `json:"recurrent,omitempty"`
	LSTMSize    int     `json:"lstm_size,omitempty"`
	SeqLength   int     `json:"seq_length,omitempty"`
	SeqBurnIn   int     `json:"seq_burn_in,omitempty"`
	SeqOverlap  int     `json:"seq_overlap,omitempty"`
	PriorityEta float64 `json:"priority_eta,omitempty"`

	// EvalEvery is the interval in environment steps between greedy
	// evaluations on a separately seeded env (0: none during training).
	EvalEvery int64 `json:"eval_every"`
	// EvalEpisodes is the number of episodes of each periodic evaluation.
	EvalEpisodes int `json:"eval_episodes"`
	// FinalEvalEpisodes is the number of episodes of the evaluation at the end.
	FinalEvalEpisodes int `json:"final_eval_episodes"`
	// EvalEpsilon is the ε of evaluation episodes: 0 is greedy; MinAtar and
	// the Atari literature evaluate with small ε such as 0.01 or 0.05.
	EvalEpsilon float64 `json:"eval_epsilon"`
}

// DefaultConfig returns a general DQN configuration for small envs with
// vector observations: an MLP of 64-64 ReLUs, Double DQN, Adam 1e-3, a
// gradient step every environment step on batches of 64 from a 50k replay
// after 1,000 random steps, a hard target copy every 250 gradient steps,
// smooth-L1 loss, ε 1→0.05 over the first 10,000 steps, γ 0.99, 50,000
// steps in all, a greedy evaluation of 10 episodes every 5,000 steps and of
// 100 at the end. Env is empty: New takes the env's ID, NewTrainer needs a
// registered name. The presets (Preset) are tuned for their envs.
func DefaultConfig() Config {
	return Config{
		Seed: 1, TotalSteps: 50_000,
		Network: MLP, Hidden: []int{64, 64}, Init: "torch",
		Optimizer: Adam, LearningRate: 1e-3, LRSchedule: Constant, OptimizerEps: 1e-8,
		BufferSize: 50_000, BatchSize: 64, Gamma: 0.99,
		LearningStarts: 1000, TrainFreq: 1, GradientSteps: 1,
		TargetUpdateInterval: 250, Tau: 1, DoubleDQN: true, NStep: 1,
		ReplayStorage: replay.StorageSpec{Storage: replay.Float32}, ClipReward: env.ClipNone,
		Loss: SmoothL1, HuberDelta: 1, MaxGradNorm: 10,
		Exploration: EpsilonGreedy, ExplorationSchedule: Linear,
		ExplorationStart: 1, ExplorationEnd: 0.05, ExplorationSteps: 10_000,
		Distributional: NoDist, Precision: FP32,
		EvalEvery: 5000, EvalEpisodes: 10, FinalEvalEpisodes: 100,
	}
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
	case !c.Network.valid():
		return bad("network", "must be %s, got %v", choiceList(networkNames), c.Network)
	case slices.ContainsFunc(c.Hidden, func(h int) bool { return h < 1 }):
		return bad("hidden", "widths must be at least 1, got %v", c.Hidden)
	case c.Network != MLP && len(c.Hidden) > 0:
		return bad("hidden", "is for the mlp network; a %s network takes head", c.Network)
	case c.Network != MLP && c.Head < 1:
		return bad("head", "must be at least 1 for a %s network, got %d", c.Network, c.Head)
	case c.Network == MLP && c.Head != 0:
		return bad("head", "is for conv networks; an mlp takes hidden")
	case !c.Optimizer.valid():
		return bad("optimizer", "must be %s, got %v", choiceList(optimizerNames), c.Optimizer)
	case !finitePos(c.LearningRate):
		return bad("learning_rate", "must be > 0, got %v", c.LearningRate)
	case c.LRSchedule != Constant && c.LRSchedule != Linear:
		return bad("lr_schedule", "must be constant or linear, got %v", c.LRSchedule)
	case c.LRSchedule == Linear && !(c.LearningRateEnd >= 0 && c.LearningRateEnd <= c.LearningRate):
		return bad("learning_rate_end", "must be in [0, learning_rate], got %v", c.LearningRateEnd)
	case !finitePos(c.OptimizerEps):
		return bad("optimizer_eps", "must be > 0, got %v", c.OptimizerEps)
	case !(c.RMSPropMomentum >= 0 && c.RMSPropMomentum < 1):
		return bad("rmsprop_momentum", "must be in [0, 1), got %v", c.RMSPropMomentum)
	case c.RMSPropMomentum != 0 && c.Optimizer != RMSProp:
		return bad("rmsprop_momentum", "is for optimizer rmsprop, not %s", c.Optimizer)
	case c.Optimizer != Adam && !(c.RMSPropAlpha > 0 && c.RMSPropAlpha < 1):
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
	case !c.Exploration.valid():
		return bad("exploration", "must be %s, got %v", choiceList(explorationNames), c.Exploration)
	case c.Exploration == EpsilonGreedy && !(c.ExplorationStart >= 0 && c.ExplorationStart <= 1):
		return bad("exploration_start", "is a probability ε and must be in [0, 1], got %v", c.ExplorationStart)
	case c.Exploration == EpsilonGreedy && !(c.ExplorationEnd >= 0 && c.ExplorationEnd <= 1):
		return bad("exploration_end", "is a probability ε and must be in [0, 1], got %v", c.ExplorationEnd)
	case c.Exploration == Boltzmann && !(c.ExplorationStart > 0 && c.ExplorationStart < 1e6):
		return bad("exploration_start", "is a temperature and must be in (0, 1e6), got %v", c.ExplorationStart)
	case c.Exploration == Boltzmann && !(c.ExplorationEnd > 0 && c.ExplorationEnd < 1e6):
		return bad("exploration_end", "is a temperature and must be in (0, 1e6), got %v", c.ExplorationEnd)
	case c.ExplorationSteps < 0:
		return bad("exploration_steps", "must be ≥ 0, got %d", c.ExplorationSteps)
	case c.ExplorationSchedule != Linear && c.ExplorationSchedule != Exponential:
		return bad("exploration_schedule", "must be linear or exponential, got %v", c.ExplorationSchedule)
	case c.ExplorationSchedule == Exponential && c.ExplorationSteps < 1:
		return bad("exploration_steps", "is the time constant of the exponential schedule and must be at least 1, got %d", c.ExplorationSteps)
	case c.ExplorationDelay < 0:
		return bad("exploration_delay", "must be ≥ 0, got %d", c.ExplorationDelay)
	case c.EvalEvery < 0:
		return bad("eval_every", "must be ≥ 0, got %d", c.EvalEvery)
	case c.EvalEvery > 0 && c.EvalEpisodes < 1:
		return bad("eval_episodes", "must be at least 1 when eval_every is set, got %d", c.EvalEpisodes)
	case c.FinalEvalEpisodes < 0:
		return bad("final_eval_episodes", "must be ≥ 0, got %d", c.FinalEvalEpisodes)
	case !(c.EvalEpsilon >= 0 && c.EvalEpsilon <= 1):
		return bad("eval_epsilon", "must be in [0, 1], got %v", c.EvalEpsilon)
	case c.NStep < 1 || c.NStep > 1000:
		return bad("n_step", "must be in [1, 1000], got %d", c.NStep)
	case c.Prioritized && !(c.PERAlpha >= 0 && c.PERAlpha <= 10):
		return bad("per_alpha", "must be in [0, 10], got %v", c.PERAlpha)
	case c.Prioritized && !(c.PERBeta0 >= 0 && c.PERBeta0 <= 1):
		return bad("per_beta0", "must be in [0, 1], got %v", c.PERBeta0)
	case c.Prioritized && !(c.PEREps > 0 && c.PEREps < 1e6):
		return bad("per_eps", "must be in (0, 1e6), got %v", c.PEREps)
	case !c.Prioritized && (c.PERAlpha != 0 || c.PERBeta0 != 0 || c.PEREps != 0):
		return bad("per_alpha", "per_alpha, per_beta0 and per_eps need prioritized: true")
	case !c.Loss.valid():
		return bad("loss", "must be %s, got %v", choiceList(lossNames), c.Loss)
	case !c.Precision.valid():
		return bad("precision", "must be %s, got %v", choiceList(precisionNames), c.Precision)
	}
	if err := c.validateHead(bad); err != nil {
		return err
	}
	if err := c.validateRecurrent(bad); err != nil {
		return err
	}
	if _, err := c.ReplayStorage.MarshalText(); err != nil {
		return bad("replay_storage", "%v", err)
	}
	if d := c.ReplayStorage.Disk; d != nil {
		switch {
		case strings.TrimSpace(d.Dir) == "":
			return bad("replay_storage", "puts the replay on disk but names no directory: want disk:DIR")
		case d.CacheBytes < 1:
			return bad("replay_storage", "has a disk cache of %d bytes: want disk@SIZE:DIR with SIZE > 0, or disk:DIR for 256MiB", d.CacheBytes)
		case d.SegmentBytes != 0:
			return bad("replay_storage", "sets the disk segment size to %d, which the config's spelling (%s) does not keep: leave it 0", d.SegmentBytes, c.ReplayStorage)
		}
	}
	if _, err := c.ClipReward.MarshalText(); err != nil {
		return bad("clip_reward", "%v", err)
	}
	if _, err := net.LossByName(c.Loss.String(), c.HuberDelta); err != nil {
		return bad("huber_delta", "%v", err)
	}
	if _, ok := net.Initializers[c.initName()]; !ok {
		return bad("init", "%q is not an initializer", c.Init)
	}
	return nil
}

func (k NetworkKind) valid() bool     { return k > 0 && int(k) < len(networkNames) }
func (k OptimizerKind) valid() bool   { return k > 0 && int(k) < len(optimizerNames) }
func (k LossKind) valid() bool        { return k > 0 && int(k) < len(lossNames) }
func (k ExplorationKind) valid() bool { return k > 0 && int(k) < len(explorationNames) }
func (k DistKind) valid() bool        { return k > 0 && int(k) < len(distNames) }
func (k PrecisionKind) valid() bool   { return k > 0 && int(k) < len(precisionNames) }

func (c *Config) initName() string {
	if c.Init == "" {
		return "torch"
	}
	return c.Init
}

// learningRate returns the scheduled learning rate after step environment steps.
func (c *Config) learningRate(step int64) float64 {
	if c.LRSchedule != Linear {
		return c.LearningRate
	}
	f := min(float64(step)/float64(c.TotalSteps), 1)
	return c.LearningRate + f*(c.LearningRateEnd-c.LearningRate)
}

// epsilon returns the exploration schedule ε(t) over environment steps.
func (c *Config) epsilon() schedule.Schedule {
	var s schedule.Schedule = schedule.Linear{Start: c.ExplorationStart, End: c.ExplorationEnd, Steps: c.ExplorationSteps}
	if c.ExplorationSchedule == Exponential {
		s = schedule.Exponential{Start: c.ExplorationStart, End: c.ExplorationEnd, Tau: float64(c.ExplorationSteps)}
	}
	if c.ExplorationDelay > 0 {
		s = schedule.Delayed{Schedule: s, Delay: c.ExplorationDelay}
	}
	return s
}

// policy returns the actor's exploration policy over numActions actions:
// ε-greedy, or Boltzmann with the temperature on ε's schedule.
func (c *Config) policy(numActions int) policy.Policy {
	switch c.Exploration {
	case EpsilonGreedy:
		return policy.EpsilonGreedy{Epsilon: c.epsilon(), NumActions: numActions}
	case Boltzmann:
		return policy.Boltzmann{Temperature: c.epsilon(), NumActions: numActions}
	default:
		panic(fmt.Sprintf("agent: exploration %v: the config was not validated", c.Exploration))
	}
}
