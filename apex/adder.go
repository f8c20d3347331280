package apex

import (
	"fmt"
	"math"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// Nets is an actor's copy of the learner's networks and their version.
type Nets struct {
	Online, Target *net.Sequential[float32]
	Version        int64
	obsShape       []int
}

// QValues returns Q(obs, ·) of the online network (policy.QFunc).
func (n *Nets) QValues(obs []float32) []float32 {
	in := &net.Tensor[float32]{Shape: n.inShape(1), Data: obs}
	return n.Online.Forward(in).Data
}

// inShape returns (b, obs...).
func (n *Nets) inShape(b int) []int { return append([]int{b}, n.obsShape...) }

var _ policy.QFunc = (*Nets)(nil)

// Adder is the actor's agent.Adder: it turns steps into n-step transitions,
// gives each the initial priority |δ| its actor's copy of the networks
// assigns it, and hands them in order, Steps at a time, to Send as a Batch.
//
// The transition from step t of an episode is
//
//	R = Σ_{j<m} γʲ r_{t+j},   s′ = s_{t+m},   discount = γᵐ (0 if s′ is terminal)
//
// with m = n, or fewer where the episode ends, exactly as the learner's replay
// builds it, and
//
//	δ = R + discount · Q_target(s′, argmax_a Q(s′, a)) − Q(s_t, a_t)   (Double DQN)
//	δ = R + discount · max_a Q_target(s′, a) − Q(s_t, a_t)
//
// A step goes out once its window is complete (n − 1 steps later, or at the
// episode's end), so the learner receives every step before the steps that
// complete its window. The priorities of a batch are computed in one
// forward pass of each network when it is sealed.
type Adder struct {
	// Steps is the number of steps per batch.
	Steps int
	// Send receives each sealed batch; the adder reuses it after Send returns.
	Send func(*Batch) error
	// Nets are the networks the priorities come from; the actor swaps them
	// when it takes newer parameters.
	Nets *Nets

	gamma     float64
	n         int
	double    bool
	obsSize   int
	frameSize int
	nActions  int

	pend    []pendStep // steps whose n-step windows are open, oldest first
	free    []pendStep // recycled
	started bool       // the next Add continues an episode

	batch    Batch
	obs      []float32 // (B, obsSize) s_t of the batch's steps
	boot     []float32 // (B, obsSize) s′ of their transitions
	returns  []float32 // R
	discount []float32
	err      error
}

type pendStep struct {
	obs, next   []float32
	action      int
	r           float64
	term, trunc bool
	start       bool // the first step of its episode
}

// NewAdder returns an adder for the learner's config cfg, observations of
// obsShape and frames of frameSize elements in storage, sending batches of
// steps steps for actor index actor of incarnation inc.
func NewAdder(cfg *agent.Config, obsShape []int, numActions, frameSize int, storage replay.Storage, actor int, inc uint64, steps int, send func(*Batch) error) *Adder {
	d := 1
	for _, s := range obsShape {
		d *= s
	}
	return &Adder{
		Steps: steps, Send: send,
		gamma: cfg.Gamma, n: cfg.NStep, double: cfg.DoubleDQN,
		obsSize: d, frameSize: frameSize, nActions: numActions,
		batch: Batch{Actor: actor, Incarnation: inc, Storage: storage, FrameSize: frameSize},
	}
}

// Add records one step (agent.Adder).
func (a *Adder) Add(obs []float32, action int, r float64, next []float32, terminated, truncated bool) {
	p := a.newPend()
	copy(p.obs, obs)
	copy(p.next, next)
	p.action, p.r, p.term, p.trunc, p.start = action, r, terminated, truncated, !a.started
	a.pend = append(a.pend, p)
	a.started = !(terminated || truncated)
	switch {
	case terminated || truncated:
		for len(a.pend) > 0 {
			a.emit()
		}
	case len(a.pend) >= a.n:
		a.emit()
	}
}

// Err returns the first error Send returned since the last call, and clears it.
func (a *Adder) Err() error {
	err := a.err
	a.err = nil
	return err
}

// Abandon drops the open episode's steps whose windows are not complete:
// call it when the actor stops mid-episode. The next Add starts an episode.
func (a *Adder) Abandon() {
	for _, p := range a.pend {
		a.free = append(a.free, p)
	}
	a.pend = a.pend[:0]
	a.started = false
}

func (a *Adder) newPend() pendStep {
	if k := len(a.free); k > 0 {
		p := a.free[k-1]
		a.free = a.free[:k-1]
		return p
	}
	return pendStep{obs: make([]float32, a.obsSize), next: make([]float32, a.obsSize)}
}

// emit moves the oldest pending step, whose window is complete, into the
// batch, and seals the batch when it is full.
func (a *Adder) emit() {
	p := a.pend[0]
	var R float64
	γj := 1.0
	m := 0
	term := false
	for j := 0; j < a.n && j < len(a.pend); j++ {
		q := &a.pend[j]
		R += γj * float64(float32(q.r)) // the replay keeps rewards as float32
		γj *= a.gamma
		m = j + 1
		if q.term || q.trunc {
			term = q.term
			break
		}
	}
	disc := float32(γj)
	if term {
		disc = 0
	}
	b := &a.batch
	var fl uint8
	if b.Len() == 0 || p.start {
		fl |= StepObs
		b.Frames = append(b.Frames, p.obs[a.obsSize-a.frameSize:]...)
	}
	if p.start {
		fl |= StepEpisodeStart
	}
	if p.term {
		fl |= StepTerminated
	}
	if p.trunc {
		fl |= StepTruncated
	}
	b.Flags = append(b.Flags, fl)
	b.Actions = append(b.Actions, int32(p.action))
	b.Rewards = append(b.Rewards, float32(p.r))
	b.Frames = append(b.Frames, p.next[a.obsSize-a.frameSize:]...)
	a.obs = append(a.obs, p.obs...)
	a.boot = append(a.boot, a.pend[m-1].next...)
	a.returns = append(a.returns, float32(R))
	a.discount = append(a.discount, disc)

	copy(a.pend, a.pend[1:])
	a.pend = a.pend[:len(a.pend)-1]
	a.free = append(a.free, p)
	if b.Len() >= a.Steps {
		a.seal()
	}
}

// seal computes the batch's priorities and sends it.
func (a *Adder) seal() {
	b := &a.batch
	B := b.Len()
	if B == 0 {
		return
	}
	b.Priorities = append(b.Priorities[:0], make([]float32, B)...)
	a.priorities(b.Priorities, B)
	b.Version = a.Nets.Version
	if err := a.Send(b); err != nil && a.err == nil {
		a.err = err
	}
	b.Seq++
	b.Reset()
	a.obs, a.boot, a.returns, a.discount = a.obs[:0], a.boot[:0], a.returns[:0], a.discount[:0]
}

// priorities writes |δ| of the batch's B transitions into dst.
func (a *Adder) priorities(dst []float32, B int) {
	A := a.nActions
	nets := a.Nets
	shape := nets.inShape(B)
	// Bootstrap values first: each Forward's output is reused by the next.
	boot := &net.Tensor[float32]{Shape: shape, Data: a.boot}
	v := make([]float32, B)
	agent.BootstrapValues(nets.Online, nets.Target, boot, a.double, v, make([]int, B))
	q := nets.Online.Forward(&net.Tensor[float32]{Shape: shape, Data: a.obs}).Data
	for i := range B {
		y := a.returns[i] + a.discount[i]*v[i]
		δ := q[i*A+int(a.batch.Actions[i])] - y
		dst[i] = float32(math.Abs(float64(δ)))
		if !finite(dst[i]) {
			dst[i] = 0 // a diverged copy: the learner's first update sets it
		}
	}
}

// validateNets checks that online and target have the shapes of cfg's
// Q-network for obsShape and numActions.
func validateNets(online, target *net.Sequential[float32], ref *net.Sequential[float32]) error {
	for _, m := range []*net.Sequential[float32]{online, target} {
		mp, rp := m.Params(), ref.Params()
		if len(mp) != len(rp) || len(m.Buffers()) != len(ref.Buffers()) {
			return fmt.Errorf("the network has %d parameter tensors, want %d: the learner runs another architecture", len(mp), len(rp))
		}
		for i, p := range mp {
			if !sameShape(p.Value.Shape, rp[i].Value.Shape) {
				return fmt.Errorf("parameter %s has shape %v, want %v", p.Name, p.Value.Shape, rp[i].Value.Shape)
			}
		}
		for i, bf := range m.Buffers() {
			if !sameShape(bf.Value.Shape, ref.Buffers()[i].Value.Shape) {
				return fmt.Errorf("buffer %s has shape %v, want %v", bf.Name, bf.Value.Shape, ref.Buffers()[i].Value.Shape)
			}
		}
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tensor wraps one observation as a (1, obs...) tensor.
func (n *Nets) tensor(obs []float32) *net.Tensor[float32] {
	return &net.Tensor[float32]{Shape: n.inShape(1), Data: obs}
}
