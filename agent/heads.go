package agent

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// This file holds what depends on the Q-network's head (Config.Distributional
// and Config.Noisy): its validation, the layer specs of its output, and the
// reading of its output as expected Q-values for acting.

// maxQuantiles bounds the atom and quantile counts a config may ask for.
const maxQuantiles = 10_000

// validateHead checks the distributional and noisy options.
func (c *Config) validateHead(bad func(field, format string, args ...any) error) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	count := func(n int) bool { return n >= 1 && n <= maxQuantiles }
	d := c.Distributional
	switch {
	case !d.valid():
		return bad("distributional", "must be %s, got %v", choiceList(distNames), d)
	case d == C51 && !(c.Atoms >= 2 && c.Atoms <= maxQuantiles):
		return bad("atoms", "must be in [2, %d] for distributional c51 (51 in the paper), got %d", maxQuantiles, c.Atoms)
	case d == C51 && !(finite(c.VMin) && finite(c.VMax) && c.VMin < c.VMax):
		return bad("v_min", "and v_max must be finite with v_min < v_max, got %v and %v", c.VMin, c.VMax)
	case d != C51 && (c.Atoms != 0 || c.VMin != 0 || c.VMax != 0):
		return bad("atoms", "atoms, v_min and v_max are for distributional c51, not %v", d)
	case (d == QR || d == IQN) && !count(c.Quantiles):
		return bad("quantiles", "must be in [1, %d] for distributional %v (QR-DQN 200, IQN 64), got %d", maxQuantiles, d, c.Quantiles)
	case d != QR && d != IQN && c.Quantiles != 0:
		return bad("quantiles", "is for distributional qr or iqn, not %v", d)
	case d == IQN && !count(c.IQNTargetQuantiles):
		return bad("iqn_n_prime", "must be in [1, %d] (N′, 64 in the paper), got %d", maxQuantiles, c.IQNTargetQuantiles)
	case d == IQN && !count(c.IQNActQuantiles):
		return bad("iqn_k", "must be in [1, %d] (K, 32 in the paper), got %d", maxQuantiles, c.IQNActQuantiles)
	case d == IQN && !count(c.IQNEmbedding):
		return bad("iqn_embedding", "must be in [1, %d] (64 cosines in the paper), got %d", maxQuantiles, c.IQNEmbedding)
	case d != IQN && (c.IQNTargetQuantiles != 0 || c.IQNActQuantiles != 0 || c.IQNEmbedding != 0):
		return bad("iqn_n_prime", "iqn_n_prime, iqn_k and iqn_embedding are for distributional iqn, not %v", d)
	case (d == QR || d == IQN) && !(c.HuberDelta > 0 && finite(c.HuberDelta)):
		return bad("huber_delta", "is κ of the quantile Huber loss and must be > 0, got %v", c.HuberDelta)
	case c.Noisy && !(c.NoisySigma0 > 0 && c.NoisySigma0 <= 1e6):
		return bad("noisy_sigma0", "must be in (0, 1e6] with noisy (0.5 in the paper), got %v", c.NoisySigma0)
	case !c.Noisy && c.NoisySigma0 != 0:
		return bad("noisy_sigma0", "needs noisy: true")
	case c.Noisy && (c.Exploration != EpsilonGreedy || c.ExplorationStart != 0 || c.ExplorationEnd != 0):
		return bad("noisy", "networks explore by their noise: set exploration epsilon_greedy with exploration_start and exploration_end 0, got %v from %v to %v",
			c.Exploration, c.ExplorationStart, c.ExplorationEnd)
	case c.Noisy && c.Dueling && (d == NoDist || d == IQN):
		return bad("noisy", "a noisy dueling head needs distributional c51 or qr (a dueling head of Q-values has no noisy form)")
	case c.BootstrapHeads < 0 || c.BootstrapHeads > replay.MaxHeads:
		return bad("bootstrap_heads", "must be in [0, %d] (0: plain DQN; Osband et al. use 10), got %d", replay.MaxHeads, c.BootstrapHeads)
	case c.BootstrapHeads == 0 && c.BootstrapP != 0:
		return bad("bootstrap_p", "needs bootstrap_heads ≥ 1")
	case c.BootstrapHeads > 0 && !(c.BootstrapP > 0 && c.BootstrapP <= 1):
		return bad("bootstrap_p", "is the probability that a head trains on a transition and must be in (0, 1] with bootstrap_heads (Osband et al. use 0.5 or 1), got %v", c.BootstrapP)
	case c.BootstrapHeads > 0 && d != NoDist:
		return bad("bootstrap_heads", "heads of Q-values cannot be combined with distributional %v", d)
	case c.BootstrapHeads > 0 && (c.Noisy || c.Dueling):
		return bad("bootstrap_heads", "heads are plain dense layers: not with noisy or dueling")
	case c.BootstrapHeads > 0 && c.Prioritized:
		return bad("bootstrap_heads", "is not combined with prioritized replay (a transition's priority would differ per head)")
	}
	return nil
}

// outShape is the output shape of a sample of the network of QNetwork(c,
// numActions): (A) for Q-values and IQN's quantiles (one row per τ), (A, N)
// for C51's logits and QR-DQN's quantiles.
func (c *Config) outShape(numActions int) []int {
	if c.BootstrapHeads > 0 {
		return []int{c.BootstrapHeads, numActions}
	}
	switch c.Distributional {
	case C51:
		return []int{numActions, c.Atoms}
	case QR:
		return []int{numActions, c.Quantiles}
	default:
		return []int{numActions}
	}
}

// support returns C51's support.
func (c *Config) support() net.Support {
	return net.Support{VMin: c.VMin, VMax: c.VMax, Atoms: c.Atoms}
}

// usesLearnRNG reports whether the learner draws random numbers (noise or
// IQN's τ) and the actor's Q-function too.
func (c *Config) usesLearnRNG() bool { return c.Noisy || c.Distributional == IQN }

// qHead turns the outputs of a network built by QNetwork into expected
// Q-values (B, A): the output itself ("none"); Σᵢ zᵢ·softmax(logits)ᵢ (C51);
// the mean of the N quantiles (QR); or, for IQN, the mean of Z_τ over K
// fractions τ drawn from rng for each sample. With noise set, the network's
// noisy layers draw new noise from it before each call (the actor's
// exploration).
type qHead struct {
	dist DistKind
	// heads is Bootstrapped DQN's K (0 for one head), active the head whose
	// Q-values are read, or −1 for their mean.
	heads, active int
	support       net.Support
	k             int
	rng           *rand.Rand
	noise         *rand.Rand

	na  int // A, found on the first call
	tau *net.Tensor[float32]
	q   []float32
}

func newQHead(c *Config, rng *rand.Rand) *qHead {
	h := &qHead{dist: c.Distributional, k: c.IQNActQuantiles, rng: rng, heads: c.BootstrapHeads, active: -1}
	if c.Distributional == C51 {
		h.support = c.support()
	}
	return h
}

func (h *qHead) values(m *net.Sequential[float32], x *net.Tensor[float32]) []float32 {
	if h.noise != nil {
		m.ResampleNoise(h.noise)
	}
	if h.na == 0 {
		h.na = m.OutShape()[0]
		if h.heads > 0 {
			h.na = m.OutShape()[1]
		}
	}
	bs, na := x.Shape[0], h.na
	if cap(h.q) < bs*na {
		h.q = make([]float32, bs*na)
	}
	q := h.q[:bs*na]
	if h.heads > 0 {
		headValues(m.Forward(x).Data, h.heads, na, h.active, q)
		return q
	}
	switch h.dist {
	case IQN:
		h.tau = net.IQNQValues(m, x, h.k, h.rng, h.tau, q)
		return q
	case C51:
		net.CategoricalQ(h.support, m.Forward(x).Data, nil, q)
		return q
	case QR:
		net.QuantileQ(m.Forward(x).Data, q)
		return q
	default:
		return m.Forward(x).Data
	}
}

// NewQNetFor adapts q, a network of cfg's architecture (QNetwork), to
// policy's QFunc and BatchQFunc: its outputs become expected Q-values (see
// Config.Distributional), the mean of Bootstrapped DQN's heads. rng draws
// IQN's τ and may be nil for other heads.
// Noisy layers act with whatever noise they hold: switch it off
// (q.SetNoise(false)) to act on the mean weights, as evaluation does.
func NewQNetFor(cfg *Config, q *net.Sequential[float32], rng *rand.Rand) *QNet {
	if cfg.Distributional == NoDist && cfg.BootstrapHeads == 0 {
		return NewQNet(q)
	}
	if cfg.Distributional == IQN && rng == nil {
		panic("agent: NewQNetFor: an IQN network needs a random source for its τ")
	}
	return &QNet{Net: q, head: newQHead(cfg, rng)}
}

// headSpecs returns the output layers for a body whose dense hidden width
// for the head is stream (0: a linear output on the body's features).
func headSpecs(cfg *Config, numActions, stream int) []net.LayerSpec {
	var s []net.LayerSpec
	if cfg.BootstrapHeads > 0 {
		return append(s, net.MultiHead(cfg.BootstrapHeads, numActions, stream))
	}
	switch cfg.Distributional {
	case C51, QR:
		n := cfg.Atoms
		if cfg.Distributional == QR {
			n = cfg.Quantiles
		}
		h := net.Categorical(numActions, n, stream)
		if cfg.Dueling {
			h = net.DuelingCategorical(numActions, n, stream)
		}
		if cfg.Noisy {
			h.Sigma0 = cfg.NoisySigma0
		}
		return append(s, h)
	case IQN:
		// The embedding sits between the body and the head (Dabney et al.
		// 2018b: between the conv torso and the dense layers).
		s = append(s, net.CosineEmbedding(cfg.IQNEmbedding))
	}
	noisy := func(units int) net.LayerSpec {
		l := net.NoisyDense(units)
		l.Sigma0 = cfg.NoisySigma0
		return l
	}
	switch {
	case cfg.Dueling:
		return append(s, net.Dueling(numActions, stream))
	case cfg.Noisy && stream > 0:
		return append(s, noisy(stream), net.ReLU(), noisy(numActions))
	case cfg.Noisy:
		return append(s, noisy(numActions))
	case stream > 0:
		return append(s, net.Dense(stream), net.ReLU(), net.Dense(numActions))
	default:
		return append(s, net.Dense(numActions))
	}
}

// checkOutShape reports whether a loaded network fits cfg and numActions.
func checkOutShape(cfg *Config, m *net.Sequential[float32], numActions int) error {
	want := cfg.outShape(numActions)
	got := m.OutShape()
	if len(got) != len(want) {
		return fmt.Errorf("network outputs %v per sample, a %v head for %d actions gives %v", got, cfg.Distributional, numActions, want)
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("network outputs %v per sample, a %v head for %d actions gives %v", got, cfg.Distributional, numActions, want)
		}
	}
	return nil
}

// NewActingQNet returns an actor's Q-function of m, a network of cfg's
// architecture: expected Q with IQN's τ drawn from rng and, with Noisy, new
// noise drawn from rng into m before each action (the exploration of noisy
// networks). The Trainer's actor uses it on the learner's network; an actor
// in another goroutine uses it on its own copy.
func NewActingQNet(cfg *Config, m *net.Sequential[float32], rng *rand.Rand) *QNet {
	h := newQHead(cfg, rng)
	if cfg.Noisy {
		h.noise = rng
	}
	return &QNet{Net: m, head: h}
}
