package agent

import (
	"fmt"
	"strings"

	"github.com/deepq/deepq/net"
)

// The typed choices of a Config. Each is a small integer with a name: it is
// written to config.json and checkpoints by name (MarshalText) and read back
// by name (UnmarshalText), which refuses names it does not know. The zero
// value is "not set", which Validate refuses, so a Config built in Go cannot
// silently fall back to a default.

// NetworkKind is the body of the Q-network.
type NetworkKind uint8

const (
	// MLP is dense ReLU layers of the widths in Config.Hidden.
	MLP NetworkKind = iota + 1
	// MinAtarNet is MinAtar's conv layer of 16 3×3 filters, then Config.Head units.
	MinAtarNet
	// NatureNet is the Nature DQN's three conv layers, then Config.Head units.
	NatureNet
)

var networkNames = []string{MLP: "mlp", MinAtarNet: "minatar", NatureNet: "nature"}

func (k NetworkKind) String() string               { return choiceString(k, networkNames) }
func (k NetworkKind) MarshalText() ([]byte, error) { return choiceText(k, "network", networkNames) }
func (k *NetworkKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "network", networkNames, b)
}

// OptimizerKind is the optimizer of the online network's parameters.
type OptimizerKind uint8

const (
	// Adam is PyTorch's Adam.
	Adam OptimizerKind = iota + 1
	// RMSProp is PyTorch's RMSprop (centered or not, with optional momentum).
	RMSProp
	// DeepMindRMSProp is the Nature DQN's: centered, ε inside the square root.
	DeepMindRMSProp
)

var optimizerNames = []string{Adam: "adam", RMSProp: "rmsprop", DeepMindRMSProp: "deepmind_rmsprop"}

func (k OptimizerKind) String() string { return choiceString(k, optimizerNames) }
func (k OptimizerKind) MarshalText() ([]byte, error) {
	return choiceText(k, "optimizer", optimizerNames)
}
func (k *OptimizerKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "optimizer", optimizerNames, b)
}

// newOptimizer returns the optimizer cfg names for params.
func (c *Config) newOptimizer(params []*net.Param[float32]) net.Optimizer[float32] {
	switch c.Optimizer {
	case Adam:
		a := net.DefaultAdam()
		a.LR, a.Eps = c.LearningRate, c.OptimizerEps
		return net.NewAdam(params, a)
	case RMSProp:
		return net.NewRMSProp(params, net.RMSPropConfig{
			LR: c.LearningRate, Alpha: c.RMSPropAlpha, Eps: c.OptimizerEps, Centered: c.RMSPropCentered,
			Momentum: c.RMSPropMomentum})
	case DeepMindRMSProp:
		return net.NewDeepMindRMSProp(params, net.DeepMindRMSPropConfig{
			LR: c.LearningRate, Alpha: c.RMSPropAlpha, Eps: c.OptimizerEps})
	default:
		panic(fmt.Sprintf("agent: optimizer %v: the config was not validated", c.Optimizer))
	}
}

// LossKind is the regression loss on the TD error.
type LossKind uint8

const (
	// Huber is the Huber loss with threshold δ = Config.HuberDelta.
	Huber LossKind = iota + 1
	// SmoothL1 is PyTorch's smooth-L1 loss with β = Config.HuberDelta.
	SmoothL1
	// MSE is the squared error.
	MSE
)

var lossNames = []string{Huber: "huber", SmoothL1: "smooth_l1", MSE: "mse"}

func (k LossKind) String() string               { return choiceString(k, lossNames) }
func (k LossKind) MarshalText() ([]byte, error) { return choiceText(k, "loss", lossNames) }
func (k *LossKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "loss", lossNames, b)
}

// ExplorationKind is how the actor explores after its warm-up.
type ExplorationKind uint8

const (
	// EpsilonGreedy takes a uniformly random action with probability ε,
	// else the greedy one.
	EpsilonGreedy ExplorationKind = iota + 1
	// Boltzmann draws actions from softmax(Q/T) with temperature T.
	Boltzmann
)

var explorationNames = []string{EpsilonGreedy: "epsilon_greedy", Boltzmann: "boltzmann"}

func (k ExplorationKind) String() string { return choiceString(k, explorationNames) }
func (k ExplorationKind) MarshalText() ([]byte, error) {
	return choiceText(k, "exploration", explorationNames)
}
func (k *ExplorationKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "exploration", explorationNames, b)
}

// ScheduleKind is the shape of a decaying schedule (ε, temperature or
// learning rate).
type ScheduleKind uint8

const (
	// Constant keeps the start value.
	Constant ScheduleKind = iota + 1
	// Linear moves linearly from the start to the end value.
	Linear
	// Exponential moves exponentially towards the end value.
	Exponential
)

var scheduleNames = []string{Constant: "constant", Linear: "linear", Exponential: "exponential"}

func (k ScheduleKind) String() string { return choiceString(k, scheduleNames) }
func (k ScheduleKind) MarshalText() ([]byte, error) {
	return choiceText(k, "schedule", scheduleNames)
}
func (k *ScheduleKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "schedule", scheduleNames, b)
}

func choiceString[T ~uint8](v T, names []string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	if v == 0 {
		return "unset"
	}
	return fmt.Sprintf("%T(%d)", v, uint8(v))
}

func choiceText[T ~uint8](v T, what string, names []string) ([]byte, error) {
	if int(v) < len(names) && names[v] != "" {
		return []byte(names[v]), nil
	}
	return nil, fmt.Errorf("%s %s has no name", what, choiceString(v, names))
}

func parseChoice[T ~uint8](v *T, what string, names []string, b []byte) error {
	for i, n := range names {
		if n != "" && n == string(b) {
			*v = T(i)
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q (want %s)", what, b, choiceList(names))
}

// choiceList lists names as "a, b or c".
func choiceList(names []string) string {
	var ns []string
	for _, n := range names {
		if n != "" {
			ns = append(ns, n)
		}
	}
	if len(ns) < 2 {
		return strings.Join(ns, "")
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " or " + ns[len(ns)-1]
}

// DistKind is what the Q-network learns of the return Z(s, a) and how.
type DistKind uint8

const (
	// NoDist learns only its expectation Q(s, a), as DQN.
	NoDist DistKind = iota + 1
	// C51 learns a categorical distribution over a fixed support of
	// Config.Atoms atoms on [Config.VMin, Config.VMax] (Bellemare et al.
	// 2017), by cross-entropy against the projected target.
	C51
	// QR learns Config.Quantiles quantiles at the fixed fractions
	// τᵢ = (i + ½)/N (QR-DQN, Dabney et al. 2018a), by the quantile Huber loss.
	QR
	// IQN learns the quantile function at fractions τ ~ U(0, 1) drawn anew
	// for each update and each action (Dabney et al. 2018b).
	IQN
)

var distNames = []string{NoDist: "none", C51: "c51", QR: "qr", IQN: "iqn"}

func (k DistKind) String() string { return choiceString(k, distNames) }
func (k DistKind) MarshalText() ([]byte, error) {
	return choiceText(k, "distributional", distNames)
}
func (k *DistKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "distributional", distNames, b)
}

// PrecisionKind is the arithmetic of the Q-network's matrix multiplies
// (net.Precision); weights, gradients, optimizer state and losses stay
// float32 either way.
type PrecisionKind uint8

const (
	// FP32 multiplies in float32.
	FP32 PrecisionKind = iota + 1
	// BF16 is mixed precision: the operands of every dense, convolution and
	// dueling multiply (forward, ∂L/∂x and ∂L/∂W) rounded to bfloat16 and
	// the products summed in float32, on the bf16 kernel the CPU has
	// (net.BF16Kernel: AMX, AVX512-BF16 or float32 on rounded operands).
	// The float32 master weights take the updates.
	BF16
)

var precisionNames = []string{FP32: "float32", BF16: "bf16"}

func (k PrecisionKind) String() string { return choiceString(k, precisionNames) }
func (k PrecisionKind) MarshalText() ([]byte, error) {
	return choiceText(k, "precision", precisionNames)
}
func (k *PrecisionKind) UnmarshalText(b []byte) error {
	return parseChoice(k, "precision", precisionNames, b)
}

// net returns the net package's precision of k.
func (k PrecisionKind) net() net.Precision {
	switch k {
	case FP32:
		return net.Float32
	case BF16:
		return net.BF16
	default:
		panic(fmt.Sprintf("agent: precision %v: the config was not validated", k))
	}
}
