package agent

import (
	"fmt"
	"math"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// distWork holds the workspaces of the distributional updates, allocated
// once by initDist.
type distWork struct {
	support net.Support
	n       int // atoms, or quantiles per sample (N)
	actions []int
	// next holds the bootstrap action's row of the target network's output
	// on s′: probabilities (C51, B×N) or quantiles (QR B×N, IQN B×N′); m is
	// the target (C51's projected distribution, or r + γⁿ·θ′ for quantiles).
	next, m       []float32
	rows, g, loss []float32 // the taken action's rows (B×N), ∂L/∂rows, ℓ_b
	qa, ya        []float32 // Q(s, a) and the target's mean, (B)
	probs, qn     []float32 // probabilities (B×A×N) and Q (B×A) for the bootstrap action
	dout          *net.Tensor[float32]
	tau, tauT     *net.Tensor[float32] // IQN's τ (B, N) and τ′ (B, N′)
	tauSel        *net.Tensor[float32] // IQN's K fractions to choose a′
}

func (d *DQN) initDist() {
	c, b, A := &d.cfg, d.cfg.BatchSize, d.numActions
	w := &distWork{actions: make([]int, b), qa: make([]float32, b), ya: make([]float32, b),
		loss: make([]float32, b), qn: make([]float32, b*A)}
	nt := 0 // target samples per transition
	switch c.Distributional {
	case C51:
		w.support, w.n, nt = c.support(), c.Atoms, c.Atoms
		w.probs = make([]float32, b*A*w.n)
		w.dout = net.New[float32](b, A, w.n)
	case QR:
		w.n, nt = c.Quantiles, c.Quantiles
		w.dout = net.New[float32](b, A, w.n)
	case IQN:
		w.n, nt = c.Quantiles, c.IQNTargetQuantiles
		w.tau, w.tauT = net.New[float32](b, w.n), net.New[float32](b, nt)
		w.dout = net.New[float32](b*w.n, A)
	}
	w.next, w.m = make([]float32, b*nt), make([]float32, b*nt)
	w.rows, w.g = make([]float32, b*w.n), make([]float32, b*w.n)
	d.dist = w
}

// updateDist takes one gradient step of a distributional learner (see
// Update). It writes each sample's loss ℓ_b into tdErrors: the priority of
// prioritized replay, as in Rainbow (Hessel et al. 2018), where the
// cross-entropy (the KL divergence up to a constant) replaces |δ|.
func (d *DQN) updateDist(batch *replay.Batch, tdErrors []float32) UpdateStats {
	c, w := &d.cfg, d.dist
	b, n := c.BatchSize, w.n
	for i, a := range batch.Actions {
		w.actions[i] = int(a)
	}

	// The bootstrap action a′ = argmax_a Q(s′, a), chosen on the online
	// network's expected Q with Double DQN, else on the target's; then the
	// target network's distribution (or quantiles) of a′ on s′. No gradient
	// flows through any of it: computed before the online pass on s, whose
	// activations Backward needs.
	sel := d.Target
	if c.DoubleDQN {
		sel = d.Online
	}
	var nt int
	switch c.Distributional {
	case C51:
		if c.DoubleDQN {
			// Only a′'s row of the target needs its softmax.
			net.CategoricalQ(w.support, d.Online.Forward(d.next).Data, nil, w.qn)
			d.greedyRows(w.qn)
			net.GatherAction(d.Target.Forward(d.next).Data, d.bestNext, w.rows)
			net.CategoricalQ(w.support, w.rows, w.next, w.ya)
		} else {
			net.CategoricalQ(w.support, d.Target.Forward(d.next).Data, w.probs, w.qn)
			d.greedyRows(w.qn)
			net.GatherAction(w.probs, d.bestNext, w.next)
		}
		// m = Φ(r + γⁿ·z) with p(s′, a′): the projection of Algorithm 1;
		// Discounts is 0 after a termination, so m is then clip(r)'s.
		net.ProjectCategorical(w.support, w.next, batch.Rewards, batch.Discounts, w.m)
		nt = n
	case QR:
		if c.DoubleDQN {
			net.QuantileQ(d.Online.Forward(d.next).Data, w.qn)
			d.greedyRows(w.qn)
		}
		theta := d.Target.Forward(d.next).Data
		if !c.DoubleDQN {
			net.QuantileQ(theta, w.qn)
			d.greedyRows(w.qn)
		}
		net.GatherAction(theta, d.bestNext, w.next)
		nt = n
	case IQN:
		// a′ from the mean of K quantiles at fresh τ, then N′ target
		// quantiles at fresh τ′.
		w.tauSel = net.IQNQValues(sel, d.next, c.IQNActQuantiles, d.rng.Rand, w.tauSel, w.qn)
		d.greedyRows(w.qn)
		net.SampleTau(d.rng.Rand, w.tauT)
		d.Target.SetTau(w.tauT)
		net.GatherQuantiles(d.Target.Forward(d.next).Data, d.bestNext, w.next)
		nt = c.IQNTargetQuantiles
	default:
		panic(fmt.Sprintf("agent: distributional %v has no update", c.Distributional))
	}
	if c.Distributional != C51 {
		// Target samples θ′ⱼ ← r + γⁿ·θ′ⱼ (0·θ′ after a termination).
		for i := range b {
			r, g := batch.Rewards[i], batch.Discounts[i]
			for j := range nt {
				w.m[i*nt+j] = r + g*w.next[i*nt+j]
			}
		}
	}

	// The online network on s, the taken actions' rows, the loss and δ at
	// the output.
	st := UpdateStats{MaxQ: math.Inf(-1), LR: d.Opt.LR()}
	switch c.Distributional {
	case C51:
		logits := d.Online.Forward(d.obs).Data
		net.GatherAction(logits, w.actions, w.rows)
		st.Loss = net.CategoricalCrossEntropy(w.rows, w.m, n, batch.Weights, w.g, w.loss)
		net.CategoricalQ(w.support, w.rows, nil, w.qa)
		z := w.support.Values()
		for i := range b {
			y := 0.0
			for j, p := range w.m[i*n : (i+1)*n] {
				y += z[j] * float64(p)
			}
			w.ya[i] = float32(y)
		}
		net.ScatterAction(w.g, w.actions, w.dout.Data)
	case QR:
		theta := d.Online.Forward(d.obs).Data
		net.GatherAction(theta, w.actions, w.rows)
		st.Loss = net.QuantileHuberLoss(w.rows, nil, w.m, b, c.HuberDelta, batch.Weights, w.g, w.loss)
		net.ScatterAction(w.g, w.actions, w.dout.Data)
	case IQN:
		net.SampleTau(d.rng.Rand, w.tau)
		d.Online.SetTau(w.tau)
		net.GatherQuantiles(d.Online.Forward(d.obs).Data, w.actions, w.rows)
		st.Loss = net.QuantileHuberLoss(w.rows, w.tau.Data, w.m, b, c.HuberDelta, batch.Weights, w.g, w.loss)
		net.ScatterQuantiles(w.g, w.actions, w.dout.Data)
	}
	if c.Distributional != C51 {
		rowMeans(w.rows, w.qa)
		rowMeans(w.m, w.ya)
	}
	for i := range b {
		st.MeanQ += float64(w.qa[i])
		st.MaxQ = max(st.MaxQ, float64(w.qa[i]))
		st.TDError += math.Abs(float64(w.qa[i] - w.ya[i]))
	}
	st.MeanQ /= float64(b)
	st.TDError /= float64(b)
	if tdErrors != nil {
		copy(tdErrors, w.loss)
	}
	st.DeadReLU = d.Online.DeadReLUFraction()
	d.backwardStep(w.dout, &st)
	return st
}

// greedyRows sets bestNext to the greedy action of each row of q (B, A).
func (d *DQN) greedyRows(q []float32) {
	A := d.numActions
	for i := range d.bestNext {
		d.bestNext[i] = policy.Greedy(q[i*A : (i+1)*A])
	}
}

// rowMeans writes the mean of each row of x into mean (one per row).
func rowMeans(x, mean []float32) {
	n := len(x) / len(mean)
	for i := range mean {
		s := 0.0
		for _, v := range x[i*n : (i+1)*n] {
			s += float64(v)
		}
		mean[i] = float32(s / float64(n))
	}
}

// backwardStep backpropagates δ = ∂L/∂output through the online network,
// clips the gradient norm and steps the optimizer.
func (d *DQN) backwardStep(dout *net.Tensor[float32], st *UpdateStats) {
	d.Opt.ZeroGrad()
	d.Online.BackwardParams(dout)
	if d.cfg.MaxGradNorm > 0 {
		st.GradNorm = net.ClipGradNorm(d.Online.Params(), d.cfg.MaxGradNorm)
	} else {
		st.GradNorm = net.GradNorm(d.Online.Params())
	}
	d.Opt.Step()
	d.updates++
}
