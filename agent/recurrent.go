package agent

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// This file holds the recurrent agent of R2D2 (Kapturowski et al. 2019,
// "Recurrent Experience Replay in Distributed Reinforcement Learning"),
// built from the same parts as DQN: an actor that carries the LSTM state
// (h, c) through each episode, an adder that cuts its steps into sequences
// with the state at their start (replay.SequenceBuffer), and a learner that
// burns the state in from the stored one and learns from n-step targets
// inside each sequence (RecurrentDQN, SequenceLearner).

// validateRecurrent checks the recurrent fields: in range with Recurrent,
// absent without it, and no option the recurrent learner lacks.
func (c *Config) validateRecurrent(bad func(field, format string, args ...any) error) error {
	if !c.Recurrent {
		switch {
		case c.LSTMSize != 0:
			return bad("lstm_size", "needs recurrent: true")
		case c.SeqLength != 0:
			return bad("seq_length", "needs recurrent: true")
		case c.SeqBurnIn != 0:
			return bad("seq_burn_in", "needs recurrent: true")
		case c.SeqOverlap != 0:
			return bad("seq_overlap", "needs recurrent: true")
		case c.PriorityEta != 0:
			return bad("priority_eta", "needs recurrent: true")
		}
		return nil
	}
	switch {
	case c.LSTMSize < 1 || c.LSTMSize > 4096:
		return bad("lstm_size", "must be in [1, 4096] for a recurrent agent, got %d", c.LSTMSize)
	case c.SeqLength < 1 || c.SeqLength > 10_000:
		return bad("seq_length", "must be in [1, 10000] for a recurrent agent, got %d", c.SeqLength)
	case c.SeqBurnIn < 0 || c.SeqBurnIn > 10_000:
		return bad("seq_burn_in", "must be in [0, 10000], got %d", c.SeqBurnIn)
	case c.SeqOverlap < 0 || c.SeqOverlap >= c.SeqLength:
		return bad("seq_overlap", "must be in [0, seq_length − 1 = %d] (a new sequence every seq_length − seq_overlap steps), got %d", c.SeqLength-1, c.SeqOverlap)
	case !(c.PriorityEta >= 0 && c.PriorityEta <= 1):
		return bad("priority_eta", "must be in [0, 1], got %v", c.PriorityEta)
	case c.Distributional != NoDist:
		return bad("distributional", "must be none for a recurrent agent, got %v", c.Distributional)
	case c.Noisy:
		return bad("noisy", "is not available for a recurrent agent")
	case c.ReplayStorage != replay.StorageSpec{Storage: replay.Float32}:
		return bad("replay_storage", "must be float32 in memory for a recurrent agent (sequences are stored as float32), got %v", c.ReplayStorage)
	case c.BufferSize/c.seqPeriod() < 1:
		return bad("buffer_size", "(%d steps) must hold at least one sequence of seq_length − seq_overlap = %d steps", c.BufferSize, c.seqPeriod())
	case c.NStep > c.SeqLength:
		return bad("n_step", "(%d) must be at most seq_length (%d): the targets are taken inside a sequence", c.NStep, c.SeqLength)
	}
	return nil
}

// seqPeriod is the distance between the starts of consecutive sequences.
func (c *Config) seqPeriod() int { return c.SeqLength - c.SeqOverlap }

// SequenceReplayConfig returns the sequence replay of a recurrent cfg for
// observations of obsSize elements: BufferSize/(SeqLength − SeqOverlap)
// sequences, priorities with PERAlpha and the fixed PERBeta0 when
// Prioritized, else uniform sampling (α = β = 0).
func SequenceReplayConfig(cfg *Config, obsSize int) replay.SequenceConfig {
	rc := replay.DefaultSequenceConfig(obsSize, cfg.LSTMSize)
	rc.Capacity = cfg.BufferSize / cfg.seqPeriod()
	rc.Length, rc.BurnIn, rc.Period = cfg.SeqLength, cfg.SeqBurnIn, cfg.seqPeriod()
	rc.Eta, rc.Alpha, rc.Beta = cfg.PriorityEta, 0, 0
	if cfg.Prioritized {
		rc.Alpha, rc.Beta, rc.Eps = cfg.PERAlpha, cfg.PERBeta0, cfg.PEREps
	}
	return rc
}

// RecurrentQNetwork returns the layer specs of a recurrent cfg's Q-network
// for numActions actions: its body (Network) as the torso, an LSTM of
// LSTMSize units, then a dense output layer or a dueling head, with cfg's
// initialiser on every layer that has weights. A conv torso keeps its dense
// layer of Head units (with ReLU) before the LSTM, which then reads 128
// features rather than the 1,600 of MinAtar's conv layer: the LSTM's input
// product, run at every step of every sequence, costs a twelfth as much.
func RecurrentQNetwork(cfg *Config, numActions int) []net.LayerSpec {
	body, stream := trunk(cfg)
	if stream > 0 {
		body = append(body, net.Dense(stream), net.ReLU())
	}
	body = append(body, net.LSTM(cfg.LSTMSize))
	body = append(body, headSpecs(cfg, numActions, 0)...)
	return net.WithInit(body, cfg.Init)
}

// RecurrentDQN is R2D2's learner: an online and a target recurrent
// Q-network trained on sequences. For each sampled sequence both networks
// start from the stored state (h₀, c₀) and run over its burn-in steps
// without gradient, then over its trained steps t = 0…L−1 and the
// observation after the last one (row L), where
//
//	y_t = Σ_{j<k} γʲ r_{t+j} + γᵏ·Q_target(s_{t+k}, argmax_a Q(s_{t+k}, a))   (Double DQN), k = min(n, L_real − t)
//	L   = Σ_{i,t} w_i·m_it·ℓ(Q(s_it, a_it) − y_it) / Σ_{i,t} m_it
//
// with the bootstrap term dropped when the episode terminated within the k
// steps (a truncated one still bootstraps), m the mask of trained real
// steps and w the importance-sampling weights. A sequence whose burn-in is
// shorter than SeqBurnIn starts at its episode's start, from a zero state.
type RecurrentDQN struct {
	cfg            Config
	numActions     int
	Online, Target *net.Recurrent[float32]
	Opt            net.Optimizer[float32]
	loss           net.Loss
	updates        int64

	// Workspaces, allocated once: B sequences, R burn-in rows, L trained
	// rows, A actions.
	inShape      []int
	obsSize      int
	burn, train  []float32            // right-aligned inputs (B,R,obs…) and (B,L+1,obs…)
	h0, c0       *net.Tensor[float32] // the stored states (B,H)
	feat         []float32            // a burn-in segment's features (B,≤R,F)
	offset       []int                // rows of padding before each sequence's first real row
	dq           *net.Tensor[float32] // ∂L/∂Q (B,L+1,A)
	pred, y, w   []float32            // (B·L)
	dpred, boot  []float32            // (B·L)
	bootTD       []float32            // δ laid out as the batch (B,T), for priorities
	tIn, tB, tFt net.Tensor[float32]  // views
}

// NewRecurrentDQN builds the networks and the optimizer of a recurrent cfg
// for observations of shape obsShape and numActions actions, initialising
// the weights from rng.
func NewRecurrentDQN(cfg Config, obsShape []int, numActions int, rng *rand.Rand) (*RecurrentDQN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Recurrent {
		return nil, fmt.Errorf("agent: NewRecurrentDQN needs a config with recurrent: true")
	}
	online, err := net.BuildRecurrent[float32](obsShape, RecurrentQNetwork(&cfg, numActions), rng)
	if err != nil {
		return nil, err
	}
	d := &RecurrentDQN{cfg: cfg, numActions: numActions, Online: online, Target: online.Clone()}
	d.Opt = cfg.newOptimizer(online.Params())
	if d.loss, err = net.LossByName(cfg.Loss.String(), cfg.HuberDelta); err != nil {
		return nil, err
	}
	B, R, L, H, A := cfg.BatchSize, cfg.SeqBurnIn, cfg.SeqLength, cfg.LSTMSize, numActions
	d.inShape = append([]int(nil), obsShape...)
	d.obsSize = 1
	for _, s := range obsShape {
		d.obsSize *= s
	}
	d.burn, d.train = make([]float32, B*R*d.obsSize), make([]float32, B*(L+1)*d.obsSize)
	d.h0, d.c0 = net.New[float32](B, H), net.New[float32](B, H)
	d.feat = make([]float32, B*R*online.LSTM.In)
	d.offset = make([]int, B)
	d.dq = net.New[float32](B, L+1, A)
	d.pred, d.y, d.w, d.dpred, d.boot = make([]float32, B*L), make([]float32, B*L), make([]float32, B*L), make([]float32, B*L), make([]float32, B*L)
	d.bootTD = make([]float32, B*(R+L))
	return d, nil
}

// Updates returns the number of gradient steps taken.
func (d *RecurrentDQN) Updates() int64 { return d.updates }

// TargetDue reports whether the target network is due for an update after
// the last gradient step.
func (d *RecurrentDQN) TargetDue() bool { return d.updates%int64(d.cfg.TargetUpdateInterval) == 0 }

// UpdateTarget copies the online weights into the target network (τ = 1)
// or moves them towards it by τ.
func (d *RecurrentDQN) UpdateTarget() {
	if d.cfg.Tau >= 1 {
		d.Target.CopyFrom(d.Online)
	} else {
		d.Target.SoftUpdate(d.Online, d.cfg.Tau)
	}
}

// align copies the batch's left-aligned sequences into the right-aligned
// inputs: sequence i's trained part starts at row R of every sequence, its
// offset R − BurnIn[i] rows before its first real row are zeros.
func (d *RecurrentDQN) align(b *replay.SequenceBatch) {
	B, R, L, n := d.cfg.BatchSize, d.cfg.SeqBurnIn, d.cfg.SeqLength, d.obsSize
	T := b.T
	for i := range B {
		o := R - b.BurnIn[i]
		d.offset[i] = o
		src := b.Obs[i*(T+1)*n : (i+1)*(T+1)*n]
		burn := d.burn[i*R*n : (i+1)*R*n]
		clear(burn[:o*n])
		copy(burn[o*n:], src[:(R-o)*n])
		copy(d.train[i*(L+1)*n:(i+1)*(L+1)*n], src[(R-o)*n:(R-o+L+1)*n])
	}
}

// unroll runs m from the batch's stored states over the burn-in rows (no
// gradient: the next call starts from the state they leave) and returns its
// Q-values over the trained rows and the one after, (B,L+1,A). A sequence
// with padding before its first real row starts that row from a zero state
// (it starts an episode), so the burn-in runs in segments, each as one
// multi-step pass, cut at the rows where some sequence starts.
func (d *RecurrentDQN) unroll(m *net.Recurrent[float32]) []float32 {
	B, R, L := d.cfg.BatchSize, d.cfg.SeqBurnIn, d.cfg.SeqLength
	m.SetState(d.h0, d.c0)
	if R > 0 {
		f := d.burn
		F := m.LSTM.In
		if m.Torso != nil {
			d.tIn.Shape = append(append(d.tIn.Shape[:0], B*R), d.inShape...)
			d.tIn.Data = d.burn
			f = m.Torso.Forward(&d.tIn).Data
		}
		// Rows whose episode starts at r0 restart from zeros; r0 = R resets
		// those with no burn-in at all before the trained rows.
		for r0 := 0; ; {
			r1 := R
			for i, o := range d.offset {
				if o == r0 && o > 0 {
					m.ResetRows(i)
				}
				if o > r0 && o < r1 {
					r1 = o
				}
			}
			if r0 == R {
				break
			}
			n := r1 - r0
			for i := range B {
				copy(d.feat[i*n*F:(i+1)*n*F], f[(i*R+r0)*F:(i*R+r1)*F])
			}
			d.tFt.Shape = append(d.tFt.Shape[:0], B, n, F)
			d.tFt.Data = d.feat[:B*n*F]
			m.LSTM.Forward(&d.tFt)
			r0 = r1
		}
	}
	d.tB.Shape = append(append(d.tB.Shape[:0], B, L+1), d.inShape...)
	d.tB.Data = d.train
	return m.Forward(&d.tB).Data
}

// Update takes one gradient step on the sequences of b (see RecurrentDQN)
// and writes each step's TD error δ = Q(s, a) − y into tdErrors, laid out
// as the batch (B,T), zero where Mask is 0 (may be nil).
func (d *RecurrentDQN) Update(b *replay.SequenceBatch, tdErrors []float32) UpdateStats {
	B, R, L, A := d.cfg.BatchSize, d.cfg.SeqBurnIn, d.cfg.SeqLength, d.numActions
	if b.Size() != B || b.T != R+L {
		panic(fmt.Sprintf("agent: sequence batch of %d × %d rows, configured for %d × %d", b.Size(), b.T, B, R+L))
	}
	T := b.T
	copy(d.h0.Data, b.H)
	copy(d.c0.Data, b.C)
	d.align(b)
	// The online network's pass is the one Backward differentiates; the
	// target's, over the same rows from the same stored state, gives the
	// bootstrap values.
	qt := d.unroll(d.Target)
	q := d.unroll(d.Online)
	gamma := d.cfg.Gamma
	st := UpdateStats{MaxQ: math.Inf(-1), LR: d.Opt.LR()}
	steps := 0.0
	for i := range B {
		base := i*T + b.BurnIn[i] // the batch's row of trained step 0
		nReal := 0                // trained steps that are real (not padding)
		for t := range L {
			if b.Valid[base+t] != 0 {
				nReal = t + 1
			}
		}
		for t := range L {
			j := i*L + t
			if b.Mask[base+t] == 0 {
				d.pred[j], d.y[j], d.w[j] = 0, 0, 0
				continue
			}
			// k-step return, cut at the sequence's end; no bootstrap past a
			// terminal step (it can only be the last real one).
			k := min(d.cfg.NStep, nReal-t)
			g, disc := 0.0, 1.0
			for s := range k {
				g += disc * float64(b.Rewards[base+t+s])
				disc *= gamma
			}
			if b.Terminated[base+t+k-1] != 0 {
				disc = 0
			}
			row := (i*(L+1) + t + k) * A // s_{t+k}
			var a int
			if d.cfg.DoubleDQN {
				a = policy.Greedy(q[row : row+A])
			} else {
				a = policy.Greedy(qt[row : row+A])
			}
			d.y[j] = float32(g + disc*float64(qt[row+a]))
			d.pred[j] = q[(i*(L+1)+t)*A+int(b.Actions[base+t])]
			d.w[j] = b.Weights[i]
			steps++
			st.MeanQ += float64(d.pred[j])
			st.MaxQ = max(st.MaxQ, float64(d.pred[j]))
			st.TDError += math.Abs(float64(d.pred[j] - d.y[j]))
		}
	}
	if steps == 0 {
		panic("agent: a sequence batch without a trained step")
	}
	for j := range d.w {
		d.w[j] /= float32(steps)
	}
	st.MeanQ /= steps
	st.TDError /= steps
	st.Loss = net.EvalLoss(d.loss, net.ReduceSum, d.pred, d.y, d.w, d.dpred, nil)
	st.DeadReLU = d.Online.DeadReLUFraction()
	if tdErrors != nil {
		clear(tdErrors)
		for i := range B {
			base := i*T + b.BurnIn[i]
			for t := range L {
				if b.Mask[base+t] != 0 {
					tdErrors[base+t] = d.pred[i*L+t] - d.y[i*L+t]
				}
			}
		}
	}

	// δ at the output: ∂L/∂Q(s_t, a) is nonzero only for the action taken at
	// a trained step (not on row L, which only bootstraps).
	d.dq.Zero()
	for i := range B {
		base := i*T + b.BurnIn[i]
		for t := range L {
			if b.Mask[base+t] != 0 {
				d.dq.Data[(i*(L+1)+t)*A+int(b.Actions[base+t])] = d.dpred[i*L+t]
			}
		}
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

// SequenceLearner learns from a sequence replay as Learner does from a
// transition replay: each Step samples B sequences, takes one gradient step
// of its RecurrentDQN, feeds the sequences' priorities back (with
// prioritized replay) and updates the target network when it is due.
type SequenceLearner struct {
	DQN    *RecurrentDQN
	Replay *replay.SequenceBuffer

	rng   stream // batch sampling
	batch *replay.SequenceBatch
	td    []float32
}

// NewSequenceLearner returns a learner of d on buf whose batches are drawn
// from stream seed.
func NewSequenceLearner(d *RecurrentDQN, buf *replay.SequenceBuffer, seed uint64) *SequenceLearner {
	bt := replay.NewSequenceBatch(d.cfg.BatchSize, buf.Config())
	return &SequenceLearner{DQN: d, Replay: buf, rng: newStream(seed, streamSample),
		batch: bt, td: make([]float32, len(bt.Mask))}
}

// SetLR sets the learning rate of the next gradient steps.
func (l *SequenceLearner) SetLR(lr float64) { l.DQN.Opt.SetLR(lr) }

// Step takes one gradient step on a batch of sequences and reports it, and
// whether it was followed by a target-network update (see Learner.Step).
func (l *SequenceLearner) Step() (ev UpdateEvent, targetUpdated bool, err error) {
	t0 := time.Now()
	l.Replay.Sample(l.rng.Rand, l.batch)
	ev.UpdateStats = l.DQN.Update(l.batch, l.td)
	if l.DQN.cfg.Prioritized {
		if err := l.Replay.UpdatePriorities(l.batch.Indices, l.td, l.batch.Mask); err != nil {
			return ev, false, fmt.Errorf("%w (the loss diverged; lower the learning rate)", err)
		}
	}
	ev.Duration = time.Since(t0)
	ev.Updates = l.DQN.Updates()
	if l.DQN.TargetDue() {
		l.DQN.UpdateTarget()
		targetUpdated = true
	}
	return ev, targetUpdated, nil
}

// Memory is a Q-function with a state for each row it is asked about, which
// every call carries forward one step: a recurrent network's (RecurrentQ).
// EvaluateQ and deepq play reset it at the start of episodes and keep the
// rows of the episodes still running.
type Memory interface {
	// ResetMemory makes the next call start every row from a zero state
	// (new episodes), for any number of rows.
	ResetMemory()
	// KeepRows keeps the state of the rows listed (ascending), in that
	// order, and drops the others (their episodes ended).
	KeepRows(rows []int)
}

// RecurrentQ adapts a recurrent Q-network to policy's QFunc and BatchQFunc
// for acting: each call is one time step of every row, from the state the
// row's previous call left (zeros after ResetMemory), so each row must be
// asked about exactly once per step of its episode. The network is shared:
// the state lives here and is set into the network for each call. The slice
// returned is reused by the next call.
type RecurrentQ struct {
	Net  *net.Recurrent[float32]
	h, c *net.Tensor[float32] // (n,H): each row's state; nil: zeros
	x    net.Tensor[float32]
}

// NewRecurrentQ adapts m, starting from a zero state.
func NewRecurrentQ(m *net.Recurrent[float32]) *RecurrentQ { return &RecurrentQ{Net: m} }

// QValues returns Q(obs, ·) of one row and moves its state on.
func (q *RecurrentQ) QValues(obs []float32) []float32 { return q.QValuesBatch(obs, 1) }

// QValuesBatch returns Q(obsᵢ, ·) of n observations laid end to end, (n, A)
// row-major, each from its row's state, and moves the states on.
func (q *RecurrentQ) QValuesBatch(obs []float32, n int) []float32 {
	if q.h == nil {
		q.Net.ResetState()
	} else {
		if q.h.Shape[0] != n {
			panic(fmt.Sprintf("agent: recurrent Q-function with the state of %d rows asked about %d", q.h.Shape[0], n))
		}
		q.Net.SetState(q.h, q.c)
	}
	q.x.Shape = append(append(q.x.Shape[:0], n), q.Net.InShape...)
	q.x.Data = obs
	out := q.Net.Step(&q.x).Data
	h, c := q.Net.State()
	if q.h == nil {
		q.h, q.c = net.New[float32](h.Shape...), net.New[float32](c.Shape...)
	}
	copy(q.h.Data, h.Data)
	copy(q.c.Data, c.Data)
	return out
}

// ResetMemory starts every row from a zero state.
func (q *RecurrentQ) ResetMemory() { q.h, q.c = nil, nil }

// KeepRows keeps the states of rows, in order.
func (q *RecurrentQ) KeepRows(rows []int) {
	if q.h == nil {
		return
	}
	H := q.Net.LSTM.Hidden
	for k, r := range rows {
		copy(q.h.Data[k*H:(k+1)*H], q.h.Data[r*H:(r+1)*H])
		copy(q.c.Data[k*H:(k+1)*H], q.c.Data[r*H:(r+1)*H])
	}
	n := len(rows)
	q.h.Shape[0], q.c.Shape[0] = n, n
	q.h.Data, q.c.Data = q.h.Data[:n*H], q.c.Data[:n*H]
}

// state returns the state of a single row, (h, c), or nils when it is zero
// after ResetMemory.
func (q *RecurrentQ) state() (h, c []float32) {
	if q.h == nil {
		return nil, nil
	}
	return q.h.Data, q.c.Data
}

// setState sets the state of a single row; empty slices reset it.
func (q *RecurrentQ) setState(h, c []float32) error {
	H := q.Net.LSTM.Hidden
	if len(h) == 0 && len(c) == 0 {
		q.ResetMemory()
		return nil
	}
	if len(h) != H || len(c) != H {
		return fmt.Errorf("the actor's recurrent state has %d and %d elements, the LSTM has %d", len(h), len(c), H)
	}
	q.h, q.c = net.New[float32](1, H), net.New[float32](1, H)
	copy(q.h.Data, h)
	copy(q.c.Data, c)
	return nil
}

var (
	_ policy.QFunc      = (*RecurrentQ)(nil)
	_ policy.BatchQFunc = (*RecurrentQ)(nil)
	_ Memory            = (*RecurrentQ)(nil)
)

// actorMemory is the Q-function of an actor with a recurrent state: Advance
// feeds each observation in once, whether or not the policy then looks at
// the Q-values, and QValues returns those of the last Advance.
type actorMemory interface {
	policy.QFunc
	ResetMemory()
	Advance(obs []float32) []float32
}

// RecurrentActing is an actor's recurrent Q-function (actorMemory): one
// row, advanced once per step, which also keeps the state it had before the
// last step for the adder (the state a sequence starts from).
type RecurrentActing struct {
	Q            *RecurrentQ
	last         []float32
	prevH, prevC []float32 // the state before the last Advance
}

// NewRecurrentActing returns the actor's Q-function of m, from a zero state.
func NewRecurrentActing(m *net.Recurrent[float32]) *RecurrentActing {
	H := m.LSTM.Hidden
	return &RecurrentActing{Q: NewRecurrentQ(m), prevH: make([]float32, H), prevC: make([]float32, H)}
}

// ResetMemory starts a new episode from a zero state.
func (r *RecurrentActing) ResetMemory() { r.Q.ResetMemory() }

// Advance feeds obs in: it keeps the state before it and returns Q(obs, ·).
func (r *RecurrentActing) Advance(obs []float32) []float32 {
	if h, c := r.Q.state(); h != nil {
		copy(r.prevH, h)
		copy(r.prevC, c)
	} else {
		clear(r.prevH)
		clear(r.prevC)
	}
	r.last = r.Q.QValues(obs)
	return r.last
}

// QValues returns the Q-values of the last Advance (obs is that
// observation).
func (r *RecurrentActing) QValues(obs []float32) []float32 { return r.last }

var _ actorMemory = (*RecurrentActing)(nil)

// SequenceAdder adds an actor's steps to a sequence replay with the state
// the actor's recurrent Q-function had before each step.
type SequenceAdder struct {
	Replay *replay.SequenceBuffer
	Q      *RecurrentActing
}

// Add records the step as stream 0's.
func (s *SequenceAdder) Add(obs []float32, action int, r float64, next []float32, terminated, truncated bool) {
	s.Replay.Add(0, replay.SequenceStep{Obs: obs, H: s.Q.prevH, C: s.Q.prevC, Action: action, Reward: r,
		Next: next, Terminated: terminated, Truncated: truncated})
}

var _ Adder = (*SequenceAdder)(nil)
