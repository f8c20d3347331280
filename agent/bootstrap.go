package agent

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// This file holds Bootstrapped DQN (Osband et al. 2016, Config.BootstrapHeads):
// the learner's update of K heads on masked transitions, the reading of the
// heads' Q-values, and the actor's Q-function of one head drawn per episode.

// bootWork holds the workspaces of updateBootstrap, (B·K) each, sample-major:
// element i·K + k is sample i's value for head k.
type bootWork struct {
	bestNext           []int // a′ per sample and head (Double DQN)
	v                  []float32
	pred, y, dpred, wt []float32
	dq                 *net.Tensor[float32] // ∂L/∂Q (B, K, A)
}

func (d *DQN) initBootstrap() {
	n := d.cfg.BatchSize * d.cfg.BootstrapHeads
	d.boot = &bootWork{bestNext: make([]int, n), v: make([]float32, n),
		pred: make([]float32, n), y: make([]float32, n), dpred: make([]float32, n), wt: make([]float32, n),
		dq: net.New[float32](d.cfg.BatchSize, d.cfg.BootstrapHeads, d.numActions)}
}

// updateBootstrap takes one gradient step of Bootstrapped DQN's K heads on
// batch. Each head k has its own TD target, from its own target head,
//
//	y_ik = r_i + Discount_i · Q_target,k(s′_i, argmax_a Q_k(s′_i, a))   (Double DQN), or
//	y_ik = r_i + Discount_i · max_a Q_target,k(s′_i, a)
//
// and the loss counts head k on sample i only if bit k of the sample's
// bootstrap mask m_i is set:
//
//	L = (1/K) Σ_k (1/B) Σ_i w_i · m_ik · ℓ(Q_k(s_i, a_i) − y_ik)
//
// A head thus learns only from the transitions its mask includes, and the
// shared body receives the mean of the heads' gradients (the paper's 1/K
// normalisation of the torso's gradient). The heads' own gradients carry the
// same 1/K, which Adam and RMSProp, invariant to a constant scale of a
// parameter's gradient, cancel (up to their ε). tdErrors gets each sample's
// mean δ over the heads that train on it (0 if none).
func (d *DQN) updateBootstrap(batch *replay.Batch, tdErrors []float32) UpdateStats {
	w := d.boot
	b, K, A := d.cfg.BatchSize, d.cfg.BootstrapHeads, d.numActions
	if len(batch.Masks) != b {
		panic(fmt.Sprintf("agent: a Bootstrapped DQN batch needs a mask per transition, got %d masks for %d transitions", len(batch.Masks), b))
	}

	// The heads' TD targets, with no gradient: before the online pass on s,
	// whose activations Backward needs. Rows of (B, K, A) are (sample, head).
	// The heads' outputs (B, K, A) are B·K rows of A: BootstrapValues gives
	// v[i·K+k], head k's value of s′_i from its own target head.
	BootstrapValues(d.Online, d.Target, d.next, d.cfg.DoubleDQN, w.v, w.bestNext)
	for i := range b {
		for k := range K {
			w.y[i*K+k] = batch.Rewards[i] + batch.Discounts[i]*w.v[i*K+k]
		}
	}

	q := d.Online.Forward(d.obs).Data
	st := UpdateStats{MaxQ: math.Inf(-1), LR: d.Opt.LR()}
	counted := 0
	for i := range b {
		a, m := int(batch.Actions[i]), batch.Masks[i]
		sum := 0.0
		for k := range K {
			j := i*K + k
			w.pred[j] = q[j*A+a]
			w.wt[j] = 0
			if m&(1<<k) == 0 {
				continue
			}
			w.wt[j] = batch.Weights[i]
			δ := float64(w.pred[j] - w.y[j])
			sum += δ
			st.MeanQ += float64(w.pred[j])
			st.MaxQ = max(st.MaxQ, float64(w.pred[j]))
			st.TDError += math.Abs(δ)
			counted++
		}
		if tdErrors != nil {
			tdErrors[i] = 0
			if n := bits.OnesCount64(m); n > 0 {
				tdErrors[i] = float32(sum / float64(n))
			}
		}
	}
	if counted > 0 {
		st.MeanQ /= float64(counted)
		st.TDError /= float64(counted)
	} else {
		st.MaxQ = 0
	}
	// ReduceMean over the B·K pairs is (1/K)·Σ_k (1/B)·Σ_i; a masked-out
	// pair has weight 0 and so no loss and no gradient.
	st.Loss = net.EvalLoss(d.loss, net.ReduceMean, w.pred, w.y, w.wt, w.dpred, nil)
	st.DeadReLU = d.Online.DeadReLUFraction()

	// δ at the output: nonzero only for the action taken, in each head.
	w.dq.Zero()
	for i := range b {
		a := int(batch.Actions[i])
		for k := range K {
			w.dq.Data[(i*K+k)*A+a] = w.dpred[i*K+k]
		}
	}
	d.backwardStep(w.dq, &st)
	return st
}

// headValues reads the output out (B, K, A) of K heads of A actions into q
// (B, A): head active's Q-values, or with active < 0 their mean
// (1/K) Σ_k Q_k, summed in float64.
func headValues(out []float32, K, A, active int, q []float32) {
	for i := range len(q) / A {
		dst := q[i*A : (i+1)*A]
		if active >= 0 {
			copy(dst, out[(i*K+active)*A:(i*K+active+1)*A])
			continue
		}
		for a := range A {
			s := 0.0
			for k := range K {
				s += float64(out[(i*K+k)*A+a])
			}
			dst[a] = float32(s / float64(K))
		}
	}
}

// HeadQ is the Q-function Bootstrapped DQN's actor acts with: the Q-values
// of one head of the network, drawn uniformly at the start of each episode
// (Osband et al. 2016, Algorithm 1) from a stream of its own, so that the
// agent commits to one plausible value function for a whole episode (deep
// exploration). The actor's policy acts on that head's Q-values.
type HeadQ struct {
	*QNet
	rng stream
}

// newHeadQ returns the actor's head Q-function of m, a network of cfg's
// architecture with cfg.BootstrapHeads heads, its draws from stream s.
func newHeadQ(cfg *Config, m *net.Sequential[float32], s stream) *HeadQ {
	h := &HeadQ{QNet: &QNet{Net: m, head: newQHead(cfg, nil)}, rng: s}
	h.head.active = 0
	return h
}

// Head returns the head the actor acts with.
func (h *HeadQ) Head() int { return h.head.active }

// StartEpisode draws the head of the next episode.
func (h *HeadQ) StartEpisode() { h.head.active = h.rng.IntN(h.head.heads) }

// episodeStarter is a Q-function that changes at the start of each episode
// (HeadQ); the actor tells it.
type episodeStarter interface{ StartEpisode() }

var (
	_ policy.QFunc      = (*HeadQ)(nil)
	_ policy.BatchQFunc = (*HeadQ)(nil)
	_ episodeStarter    = (*HeadQ)(nil)
)
