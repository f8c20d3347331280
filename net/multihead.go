package net

import (
	"fmt"
	"math/rand/v2"
)

// MultiHeadLayer is the K heads of Bootstrapped DQN (Osband et al. 2016) on a
// shared torso: from the same features x (B, In…) each head k computes its
// own Q-values Qₖ (B, Actions), and the layer outputs them side by side,
//
//	y (B, Heads, Actions),   y[b, k, ·] = Qₖ(x_b)
//
// Each head is Linear(In, Actions), or Linear(In, Hidden) → ReLU →
// Linear(Hidden, Actions) with Hidden > 0 (the paper's heads of 512 units on
// the Nature trunk). Heads share nothing but their input, so Backward, given
// δ = ∂L/∂y (B, Heads, Actions), backpropagates each head's slice δ[:, k, :]
// through its own layers and returns ∂L/∂x = Σₖ ∂L/∂x through head k: a
// head whose slice of δ is 0 gets no gradient, which is how the learner
// trains each head only on the transitions its bootstrap mask includes.
//
// Parameters are named as a PyTorch ModuleList of heads: "4.k.weight"
// (Hidden = 0) or "4.k.0.weight", "4.k.2.bias" (Hidden > 0), head 0 first.
type MultiHeadLayer[T Float] struct {
	In, Heads, Actions, Hidden int
	// Stream holds each head's layers, in order.
	Stream [][]Layer[T]

	spec      LayerSpec
	hidden    []*ReLULayer[T]
	y, dyk    *Tensor[T]
	dx        *Tensor[T]
	lastBatch int
}

// MultiHead returns the spec of heads heads of actions Q-values each on the
// same (flattened) features, each with a hidden layer of the given width (0:
// one linear layer); the output is (B, heads, actions).
func MultiHead(heads, actions, hidden int) LayerSpec {
	return LayerSpec{Kind: "multi_head", Heads: heads, Units: actions, Hidden: hidden}
}

func newMultiHead[T Float](prefix string, s LayerSpec, in int) *MultiHeadLayer[T] {
	m := &MultiHeadLayer[T]{In: in, Heads: s.Heads, Actions: s.Units, Hidden: s.Hidden, spec: s}
	linear := func(prefix string, in, out int) Layer[T] {
		l := newDense[T](prefix, in, out)
		l.init = s.Init
		return l
	}
	for k := range s.Heads {
		p := fmt.Sprintf("%s%d.", prefix, k)
		if s.Hidden == 0 {
			m.Stream = append(m.Stream, []Layer[T]{linear(p, in, s.Units)})
			continue
		}
		r := &ReLULayer[T]{}
		m.hidden = append(m.hidden, r)
		m.Stream = append(m.Stream, []Layer[T]{linear(p+"0.", in, s.Hidden), r, linear(p+"2.", s.Hidden, s.Units)})
	}
	return m
}

// initWeights initialises the heads' linear layers from rng, head 0 first; a
// nil rng leaves them at zero.
func (m *MultiHeadLayer[T]) initWeights(rng *rand.Rand) {
	for _, st := range m.Stream {
		for _, l := range st {
			if d, ok := l.(*DenseLayer[T]); ok {
				d.initWeights(rng)
			}
		}
	}
}

// Forward computes y (B, Heads, Actions) from x (B, In…). Each head keeps
// its own activations for Backward.
func (m *MultiHeadLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, K, A := x.Shape[0], m.Heads, m.Actions
	m.lastBatch = bs
	m.y = reuse(m.y, bs, K, A)
	for k, st := range m.Stream {
		q := x
		for _, l := range st {
			q = l.Forward(q)
		}
		for b := range bs {
			copy(m.y.Data[(b*K+k)*A:(b*K+k+1)*A], q.Data[b*A:(b+1)*A])
		}
	}
	return m.y
}

// headGrad copies head k's slice δ[:, k, :] of dy into a (B, Actions) tensor.
func (m *MultiHeadLayer[T]) headGrad(dy *Tensor[T], k int) *Tensor[T] {
	bs, K, A := m.lastBatch, m.Heads, m.Actions
	m.dyk = reuse(m.dyk, bs, A)
	for b := range bs {
		copy(m.dyk.Data[b*A:(b+1)*A], dy.Data[(b*K+k)*A:(b*K+k+1)*A])
	}
	return m.dyk
}

func (m *MultiHeadLayer[T]) checkGrad(dy *Tensor[T]) {
	if m.y == nil {
		panic("net: multi_head: Backward before Forward")
	}
	mustLen("multi_head", dy, m.lastBatch*m.Heads*m.Actions)
}

// Backward accumulates every head's gradients and returns ∂L/∂x, the sum of
// the heads' input gradients.
func (m *MultiHeadLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	m.checkGrad(dy)
	for k, st := range m.Stream {
		g := m.headGrad(dy, k)
		for i := len(st) - 1; i >= 0; i-- {
			g = st[i].Backward(g)
		}
		if k == 0 {
			m.dx = reuse(m.dx, g.Shape...)
			copy(m.dx.Data, g.Data)
			continue
		}
		for i, v := range g.Data {
			m.dx.Data[i] += v
		}
	}
	return m.dx
}

// backwardParams accumulates the heads' gradients without ∂L/∂x.
func (m *MultiHeadLayer[T]) backwardParams(dy *Tensor[T]) {
	m.checkGrad(dy)
	for k, st := range m.Stream {
		streamParamsOf(st, m.headGrad(dy, k))
	}
}

// Params returns the heads' parameters, head 0 first.
func (m *MultiHeadLayer[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, st := range m.Stream {
		for _, l := range st {
			ps = append(ps, l.Params()...)
		}
	}
	return ps
}

// relus returns the heads' hidden ReLUs.
func (m *MultiHeadLayer[T]) relus() []*ReLULayer[T] { return m.hidden }

// Spec describes the layer.
func (m *MultiHeadLayer[T]) Spec() LayerSpec { return m.spec }

// inferMultiHead checks a multi_head spec for fanIn input features.
func (s LayerSpec) inferMultiHead(fanIn int) (layerSize, error) {
	if s.Heads < 1 || s.Heads > maxWidth {
		return layerSize{}, fmt.Errorf("heads must be in [1, %d], got %d", maxWidth, s.Heads)
	}
	if s.Units < 1 || s.Units > maxWidth {
		return layerSize{}, fmt.Errorf("units (actions) must be in [1, %d], got %d", maxWidth, s.Units)
	}
	if s.Hidden < 0 || s.Hidden > maxWidth {
		return layerSize{}, fmt.Errorf("hidden must be in [0, %d], got %d", maxWidth, s.Hidden)
	}
	if _, err := initializer(s.Init); err != nil {
		return layerSize{}, err
	}
	var per int
	var ok bool
	if s.Hidden == 0 {
		per, ok = mulBounded(fanIn+1, s.Units)
	} else {
		per, ok = mulBounded(fanIn+1, s.Hidden)
		if m, ok2 := mulBounded(s.Hidden+1, s.Units); ok && ok2 {
			per += m
		} else {
			ok = false
		}
	}
	n, ok2 := mulBounded(per, s.Heads)
	if !ok || !ok2 || n > maxParams {
		return layerSize{}, fmt.Errorf("%d heads on %d features with hidden %d have too many weights", s.Heads, fanIn, s.Hidden)
	}
	if _, ok := mulBounded(s.Heads, s.Units); !ok {
		return layerSize{}, fmt.Errorf("%d heads × %d actions are too many outputs", s.Heads, s.Units)
	}
	return layerSize{out: []int{s.Heads, s.Units}, params: n}, nil
}
