package net

import "math/rand/v2"

// DuelingLayer is the dueling head of Wang et al. (2016): from the same
// features x (B, In) a value stream computes V (B, 1) and an advantage stream
// A (B, Actions), and
//
//	Q(s, a) = V(s) + A(s, a) − (1/|A|) Σ_a′ A(s, a′)
//
// Each stream is Linear(In, Hidden) → ReLU → Linear(Hidden, ·) when Hidden > 0
// (the paper's heads, with Hidden = 512 on the Nature trunk), or one
// Linear(In, ·) when Hidden = 0. Backward, given δ = ∂L/∂Q (B, Actions):
//
//	∂L/∂V = Σ_a δ_a,   ∂L/∂A_a = δ_a − (1/|A|) Σ_a′ δ_a′
//	∂L/∂x = ∂L/∂x through V + ∂L/∂x through A
//
// Parameters are named as the state dict of a PyTorch module with submodules
// value and advantage: "3.value.0.weight", "3.advantage.2.bias" (Hidden > 0) or
// "3.value.weight" (Hidden = 0).
type DuelingLayer[T Float] struct {
	In, Actions, Hidden int
	// Value and Advantage are the two streams' layers, in order.
	Value, Advantage []Layer[T]

	spec      LayerSpec
	hidden    []*ReLULayer[T] // the streams' ReLUs
	q, dv, da *Tensor[T]
	dx        *Tensor[T]
}

func newDueling[T Float](prefix string, s LayerSpec, in int) *DuelingLayer[T] {
	d := &DuelingLayer[T]{In: in, Actions: s.Units, Hidden: s.Hidden, spec: s}
	stream := func(name string, out int) []Layer[T] {
		if s.Hidden == 0 {
			l := newDense[T](prefix+name+".", in, out)
			l.init = s.Init
			return []Layer[T]{l}
		}
		h := newDense[T](prefix+name+".0.", in, s.Hidden)
		o := newDense[T](prefix+name+".2.", s.Hidden, out)
		h.init, o.init = s.Init, s.Init
		return []Layer[T]{h, &ReLULayer[T]{}, o}
	}
	d.Value = stream("value", 1)
	d.Advantage = stream("advantage", s.Units)
	for _, l := range append(d.Value[:len(d.Value):len(d.Value)], d.Advantage...) {
		if r, ok := l.(*ReLULayer[T]); ok {
			d.hidden = append(d.hidden, r)
		}
	}
	return d
}

// initWeights initialises the streams' dense layers from rng, value stream
// first; a nil rng leaves them at zero.
func (d *DuelingLayer[T]) initWeights(rng *rand.Rand) {
	for _, l := range append(d.Value[:len(d.Value):len(d.Value)], d.Advantage...) {
		if dl, ok := l.(*DenseLayer[T]); ok {
			dl.initWeights(rng)
		}
	}
}

// Forward computes Q (B, Actions) from x (B, In…).
func (d *DuelingLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	v, a := x, x
	for _, l := range d.Value {
		v = l.Forward(v)
	}
	for _, l := range d.Advantage {
		a = l.Forward(a)
	}
	bs, A := a.Shape[0], d.Actions
	d.q = reuse(d.q, bs, A)
	for b := range bs {
		row := a.Data[b*A : (b+1)*A]
		var mean T
		for _, v := range row {
			mean += v
		}
		mean /= T(A)
		vb := v.Data[b]
		for j, v := range row {
			d.q.Data[b*A+j] = vb + v - mean
		}
	}
	return d.q
}

// streamGrads splits δ = ∂L/∂Q into ∂L/∂V and ∂L/∂A.
func (d *DuelingLayer[T]) streamGrads(dy *Tensor[T]) {
	if d.q == nil {
		panic("net: dueling: Backward before Forward")
	}
	mustLen("dueling", dy, len(d.q.Data))
	bs, A := d.q.Shape[0], d.Actions
	d.dv = reuse(d.dv, bs, 1)
	d.da = reuse(d.da, bs, A)
	for b := range bs {
		row := dy.Data[b*A : (b+1)*A]
		var sum T
		for _, g := range row {
			sum += g
		}
		d.dv.Data[b] = sum
		mean := sum / T(A)
		for j, g := range row {
			d.da.Data[b*A+j] = g - mean
		}
	}
}

// Backward accumulates the streams' gradients and returns ∂L/∂x.
func (d *DuelingLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	d.streamGrads(dy)
	gv, ga := d.dv, d.da
	for i := len(d.Value) - 1; i >= 0; i-- {
		gv = d.Value[i].Backward(gv)
	}
	for i := len(d.Advantage) - 1; i >= 0; i-- {
		ga = d.Advantage[i].Backward(ga)
	}
	d.dx = reuse(d.dx, gv.Shape...)
	for i, g := range gv.Data {
		d.dx.Data[i] = g + ga.Data[i]
	}
	return d.dx
}

// backwardParams accumulates the streams' gradients without ∂L/∂x.
func (d *DuelingLayer[T]) backwardParams(dy *Tensor[T]) {
	d.streamGrads(dy)
	streamParams(d.Value, d.dv)
	streamParams(d.Advantage, d.da)
}

// streamParams runs Backward through the layers of a stream, down to the
// parameter gradients of its first (dense) layer.
func streamParams[T Float](layers []Layer[T], g *Tensor[T]) {
	for i := len(layers) - 1; i > 0; i-- {
		g = layers[i].Backward(g)
	}
	layers[0].(*DenseLayer[T]).backwardParams(g)
}

// Params returns the value stream's parameters, then the advantage stream's.
func (d *DuelingLayer[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, l := range append(d.Value[:len(d.Value):len(d.Value)], d.Advantage...) {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// relus returns the streams' hidden ReLUs.
func (d *DuelingLayer[T]) relus() []*ReLULayer[T] { return d.hidden }

// Spec describes the layer.
func (d *DuelingLayer[T]) Spec() LayerSpec { return d.spec }

// setPrecision sets the precision of the streams' dense layers.
func (d *DuelingLayer[T]) setPrecision(p Precision) {
	for _, stream := range [][]Layer[T]{d.Value, d.Advantage} {
		for _, l := range stream {
			if pl, ok := l.(precisioned); ok {
				pl.setPrecision(p)
			}
		}
	}
}
