package agent

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// DQN is the learner of Mnih et al. (2015): an online Q-network trained by
// regression on TD targets computed with a periodically updated target network.
type DQN struct {
	cfg        Config
	numActions int
	obsSize    int
	Online     *net.Sequential[float32]
	Target     *net.Sequential[float32]
	Opt        net.Optimizer[float32]
	loss       net.Loss
	updates    int64 // gradient steps taken

	// Workspaces, allocated once.
	act                  *net.Tensor[float32] // (1, obs...) for acting
	obs, next            *net.Tensor[float32] // (B, obs...) views of a batch
	dq                   *net.Tensor[float32] // ∂L/∂Q (B, A)
	pred, y, dpred, elem []float32
	bestNext             []int
	bootV                []float32 // the next states' bootstrap values

	// Distributional and noisy learners: the workspaces of updateDist (nil
	// for "none"), the generator of the noise and of IQN's τ (streamLearn),
	// and the adapter behind QValues.
	dist *distWork
	rng  stream
	view *QNet
	// boot holds Bootstrapped DQN's workspaces (nil with one head).
	boot *bootWork
}

// UpdateStats describes one gradient step.
type UpdateStats struct {
	// Loss is the (weighted) mean loss of the batch.
	Loss float64
	// MeanQ and MaxQ summarise Q(s, a) of the batch's actions.
	MeanQ, MaxQ float64
	// TDError is the mean |Q(s,a) − y|.
	TDError float64
	// GradNorm is the global gradient norm before clipping.
	GradNorm float64
	// DeadReLU is the fraction of hidden ReLU units that were zero for the whole batch.
	DeadReLU float64
	// LR is the learning rate used.
	LR float64
}

// NewDQN builds the online and target networks and the optimizer for
// observations of shape obsShape and numActions actions, initialising the
// weights from rng.
func NewDQN(cfg Config, obsShape []int, numActions int, rng *rand.Rand) (*DQN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Recurrent {
		return nil, fmt.Errorf("agent: a recurrent config (recurrent: true) takes the recurrent learner, NewRecurrentDQN")
	}
	online, err := net.Build[float32](obsShape, QNetwork(&cfg, numActions), rng)
	if err != nil {
		return nil, err
	}
	if err := online.SetPrecision(cfg.Precision.net()); err != nil {
		return nil, err
	}
	d := &DQN{cfg: cfg, numActions: numActions, Online: online, Target: online.Clone()}
	d.Opt = cfg.newOptimizer(online.Params())
	d.loss, err = net.LossByName(cfg.Loss.String(), cfg.HuberDelta)
	if err != nil {
		return nil, err
	}
	d.init(obsShape)
	d.rng = newStream(cfg.Seed, streamLearn)
	if cfg.Distributional != NoDist {
		d.initDist()
	}
	if cfg.BootstrapHeads > 0 {
		d.initBootstrap()
	}
	if cfg.Distributional != NoDist || cfg.BootstrapHeads > 0 {
		d.view = NewQNetFor(&d.cfg, online, newRand(cfg.Seed, streamView))
	}
	return d, nil
}

// QNetwork returns the layer specs of cfg's Q-network for numActions actions:
// its body (Network), then a dense output layer or a dueling head (noisy with
// Noisy), or a categorical head of logits (A, N) for C51 and of quantiles
// (A, N) for QR-DQN, or for IQN a cosine embedding followed by the head, or
// Bootstrapped DQN's K heads of Q-values (K, A) (net.MultiHead), with cfg's
// initialiser on every layer that has weights.
func QNetwork(cfg *Config, numActions int) []net.LayerSpec {
	body, stream := trunk(cfg)
	body = append(body, headSpecs(cfg, numActions, stream)...)
	return net.WithInit(body, cfg.Init)
}

// trunk returns the layers of cfg's network before its head, and the hidden
// width of each dueling stream the head gets (cfg.Head after a conv torso,
// 0 after an MLP's hidden layers).
func trunk(cfg *Config) (body []net.LayerSpec, stream int) {
	switch cfg.Network {
	case MLP:
		return net.MLPTrunk(cfg.Hidden), 0
	case MinAtarNet:
		return net.MinAtarTrunk(), cfg.Head
	case NatureNet:
		return net.NatureTrunk(), cfg.Head
	}
	panic(fmt.Sprintf("agent: network %v: the config was not validated", cfg.Network))
}

func (d *DQN) init(obsShape []int) {
	d.obsSize = 1
	for _, s := range obsShape {
		d.obsSize *= s
	}
	b := d.cfg.BatchSize
	d.act = net.New[float32](append([]int{1}, obsShape...)...)
	d.obs = &net.Tensor[float32]{Shape: append([]int{b}, obsShape...)}
	d.next = &net.Tensor[float32]{Shape: append([]int{b}, obsShape...)}
	d.dq = net.New[float32](b, d.numActions)
	d.pred, d.y, d.dpred, d.elem = make([]float32, b), make([]float32, b), make([]float32, b), make([]float32, b)
	d.bestNext, d.bootV = make([]int, b), make([]float32, b)
}

// Updates returns the number of gradient steps taken.
func (d *DQN) Updates() int64 { return d.updates }

// QValues returns Q(obs, ·) from the online network, the expected Q of a
// distributional head (IQN's from K fractions drawn from a stream of its
// own), with the noise its noisy layers hold. The slice is reused by the
// next call.
func (d *DQN) QValues(obs []float32) []float32 {
	if d.view != nil {
		return d.view.QValues(obs)
	}
	copy(d.act.Data, obs)
	return d.Online.Forward(d.act).Data
}

// Update takes one gradient step on batch:
//
//	y   = r + Discount · Q_target(s′, argmax_a′ Q(s′, a′))   (Double DQN), or
//	y   = r + Discount · max_a′ Q_target(s′, a′)
//	L   = mean_i w_i · ℓ(Q(s_i, a_i) − y_i)
//
// where Discount is γ, or 0 for a terminated transition (a truncated one still
// bootstraps) and, with n-step returns, r is Σₖ γᵏ rₖ and Discount γᵐ. It
// writes each sample's TD error δᵢ = Q(sᵢ, aᵢ) − yᵢ into tdErrors (for
// prioritized replay; may be nil), clips the gradient norm and steps the
// optimizer. The caller updates the target network when TargetDue says so.
//
// With Noisy, both networks first draw new noise (Fortunato et al. 2018,
// Algorithm 1). A distributional learner (C51, QR-DQN, IQN) replaces the
// regression by its own loss on the bootstrap action's distribution
// (updateDist) and writes each sample's loss into tdErrors.
func (d *DQN) Update(batch *replay.Batch, tdErrors []float32) UpdateStats {
	b, A := d.cfg.BatchSize, d.numActions
	if batch.Size() != b {
		panic(fmt.Sprintf("agent: batch of %d, configured for %d", batch.Size(), b))
	}
	d.obs.Data, d.next.Data = batch.Obs, batch.NextObs
	if d.cfg.Noisy {
		d.Online.ResampleNoise(d.rng.Rand)
		d.Target.ResampleNoise(d.rng.Rand)
	}
	if d.dist != nil {
		return d.updateDist(batch, tdErrors)
	}
	if d.boot != nil {
		return d.updateBootstrap(batch, tdErrors)
	}

	// TD targets, with no gradient: computed before the online forward pass on
	// s, because Backward needs that pass's activations.
	BootstrapValues(d.Online, d.Target, d.next, d.cfg.DoubleDQN, d.bootV, d.bestNext)
	for i := range b {
		d.y[i] = batch.Rewards[i] + batch.Discounts[i]*d.bootV[i]
	}

	// Q(s, a) for the actions taken, and the loss's gradient with respect to it.
	q := d.Online.Forward(d.obs).Data
	st := UpdateStats{MaxQ: math.Inf(-1), LR: d.Opt.LR()}
	for i := range b {
		d.pred[i] = q[i*A+int(batch.Actions[i])]
		st.MeanQ += float64(d.pred[i])
		st.MaxQ = max(st.MaxQ, float64(d.pred[i]))
		st.TDError += math.Abs(float64(d.pred[i] - d.y[i]))
		if tdErrors != nil {
			tdErrors[i] = d.pred[i] - d.y[i]
		}
	}
	st.MeanQ /= float64(b)
	st.TDError /= float64(b)
	st.Loss = net.EvalLoss(d.loss, net.ReduceMean, d.pred, d.y, batch.Weights, d.dpred, nil)
	st.DeadReLU = d.Online.DeadReLUFraction()

	// δ at the output: ∂L/∂Q(s_i, a) is nonzero only for the action taken.
	d.dq.Zero()
	for i := range b {
		d.dq.Data[i*A+int(batch.Actions[i])] = d.dpred[i]
	}
	d.Opt.ZeroGrad()
	d.Online.BackwardParams(d.dq)
	if d.cfg.MaxGradNorm > 0 {
		st.GradNorm = net.ClipGradNorm(d.Online.Params(), d.cfg.MaxGradNorm)
	} else {
		st.GradNorm = net.GradNorm(d.Online.Params())
	}
	d.Opt.Step()
	d.updates++
	return st
}

// TargetDue reports whether the target network is due for an update after the
// last gradient step.
func (d *DQN) TargetDue() bool { return d.updates%int64(d.cfg.TargetUpdateInterval) == 0 }

// UpdateTarget copies the online weights into the target network (τ = 1) or
// moves them towards it by τ.
func (d *DQN) UpdateTarget() {
	if d.cfg.Tau >= 1 {
		d.Target.CopyFrom(d.Online)
	} else {
		d.Target.SoftUpdate(d.Online, d.cfg.Tau)
	}
}

// BootstrapValues writes into v the value of each of a batch's next states
// s′ (next, one row each) as DQN's TD target takes it:
//
//	v = Q_target(s′, argmax_a Q_online(s′, a))   (Double DQN: best is scratch, one int per row)
//	v = max_a Q_target(s′, a)
//
// The learner's update and an actor's initial priorities (apex) share it.
func BootstrapValues(online, target *net.Sequential[float32], next *net.Tensor[float32], double bool, v []float32, best []int) {
	b := len(v)
	if double {
		qn := online.Forward(next).Data
		A := len(qn) / b
		for i := range b {
			best[i] = policy.Greedy(qn[i*A : (i+1)*A])
		}
	}
	qt := target.Forward(next).Data
	A := len(qt) / b
	for i := range b {
		row := qt[i*A : (i+1)*A]
		if double {
			v[i] = row[best[i]]
		} else {
			v[i] = row[policy.Greedy(row)]
		}
	}
}
