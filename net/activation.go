package net

import (
	"math"

	kernels "github.com/deepq/deepq/internal/gemm"
	"github.com/deepq/deepq/internal/vec"
)

// This file holds the elementwise activations. Each works on any shape and
// returns an output of the input's shape.

// ReLULayer is the rectifier y = max(0, x). Backward passes δ where y > 0 and
// 0 elsewhere (the derivative at 0 is taken as 0, as PyTorch does). Forward
// keeps its output for Backward.
type ReLULayer[T Float] struct {
	y, dx *Tensor[T]
	pass  reluPass // float32, split between threads by kernels.For
}

// reluPass runs vec.Relu (x → y) or vec.ReluGrad (δ = dy masked by y) over
// ranges of elements.
type reluPass struct {
	dst, src, y []float32 // y is nil for the forward pass
}

func (p *reluPass) Run(lo, hi int) {
	if p.y == nil {
		vec.Relu(p.dst[lo:hi], p.src[lo:hi])
		return
	}
	vec.ReluGrad(p.dst[lo:hi], p.src[lo:hi], p.y[lo:hi])
}

// reluGrain is the least number of elements worth a second thread (the
// Nature DQN's first two feature maps, not the dense layers).
const reluGrain = 1 << 16

// run runs the pass over n elements and drops its references.
func (p *reluPass) run(n int) {
	kernels.For(n, reluGrain, p)
	*p = reluPass{}
}

// Forward computes max(0, x).
func (r *ReLULayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	r.y = reuse(r.y, x.Shape...)
	y := r.y.Data
	if y32, ok := any(y).([]float32); ok {
		// AVX-512 where the CPU has it
		r.pass = reluPass{dst: y32, src: any(x.Data).([]float32)}
		r.pass.run(len(y32))
		return r.y
	}
	for i, v := range x.Data {
		y[i] = max(v, 0)
	}
	return r.y
}

// Backward returns δ masked by y > 0.
func (r *ReLULayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	r.dx = reuse(r.dx, r.y.Shape...)
	dx, y := r.dx.Data, r.y.Data
	mustLen("relu", dy, len(y))
	if dx32, ok := any(dx).([]float32); ok {
		r.pass = reluPass{dst: dx32, src: any(dy.Data).([]float32), y: any(y).([]float32)}
		r.pass.run(len(dx32))
		return r.dx
	}
	for i, g := range dy.Data {
		if y[i] > 0 {
			dx[i] = g
		} else {
			dx[i] = 0
		}
	}
	return r.dx
}

// DeadFraction returns the fraction of units whose output was 0 for every
// sample of the last Forward batch: units that pass no gradient on that batch.
func (r *ReLULayer[T]) DeadFraction() float64 {
	dead, units := r.deadUnits()
	if units == 0 {
		return 0
	}
	return float64(dead) / float64(units)
}

// deadUnits counts the units (elements of one sample) that were 0 for every
// sample of the last batch, and the units.
func (r *ReLULayer[T]) deadUnits() (dead, units int) {
	if r.y == nil || len(r.y.Shape) == 0 || r.y.Shape[0] == 0 {
		return 0, 0
	}
	bs, per := batchOf(r.y)
	for u := 0; u < per; u++ {
		alive := false
		for b := 0; b < bs; b++ {
			if r.y.Data[b*per+u] > 0 {
				alive = true
				break
			}
		}
		if !alive {
			dead++
		}
	}
	return dead, per
}

// Params returns nil: a ReLU has no parameters.
func (r *ReLULayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (r *ReLULayer[T]) Spec() LayerSpec { return ReLU() }

// LeakyReLULayer is y = x for x > 0 and Slope·x otherwise (PyTorch's
// LeakyReLU; its derivative at 0 is Slope). Forward keeps a reference to x.
type LeakyReLULayer[T Float] struct {
	Slope float64
	x     *Tensor[T]
	y, dx *Tensor[T]
}

// Forward computes max(x, 0) + Slope·min(x, 0).
func (l *LeakyReLULayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	l.x = x
	l.y = reuse(l.y, x.Shape...)
	a := T(l.Slope)
	for i, v := range x.Data {
		if v > 0 {
			l.y.Data[i] = v
		} else {
			l.y.Data[i] = a * v
		}
	}
	return l.y
}

// Backward returns δ where x > 0 and Slope·δ elsewhere.
func (l *LeakyReLULayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	l.dx = reuse(l.dx, l.x.Shape...)
	mustLen("leaky_relu", dy, len(l.x.Data))
	a := T(l.Slope)
	for i, v := range l.x.Data {
		if v > 0 {
			l.dx.Data[i] = dy.Data[i]
		} else {
			l.dx.Data[i] = a * dy.Data[i]
		}
	}
	return l.dx
}

// Params returns nil.
func (l *LeakyReLULayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (l *LeakyReLULayer[T]) Spec() LayerSpec { return LeakyReLU(l.Slope) }

// SigmoidLayer is the logistic function y = 1/(1+e⁻ˣ). Backward uses
// ∂y/∂x = y(1−y) from the kept output.
type SigmoidLayer[T Float] struct {
	y, dx *Tensor[T]
}

// Forward computes σ(x), in a form that does not overflow for large |x|.
func (s *SigmoidLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	s.y = reuse(s.y, x.Shape...)
	for i, v := range x.Data {
		if v >= 0 {
			s.y.Data[i] = T(1 / (1 + math.Exp(-float64(v))))
		} else {
			e := math.Exp(float64(v))
			s.y.Data[i] = T(e / (1 + e))
		}
	}
	return s.y
}

// Backward returns δ·y(1−y).
func (s *SigmoidLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	s.dx = reuse(s.dx, s.y.Shape...)
	mustLen("sigmoid", dy, len(s.y.Data))
	for i, y := range s.y.Data {
		s.dx.Data[i] = dy.Data[i] * y * (1 - y)
	}
	return s.dx
}

// Params returns nil.
func (s *SigmoidLayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (s *SigmoidLayer[T]) Spec() LayerSpec { return Sigmoid() }

// TanhLayer is y = tanh(x). Backward uses ∂y/∂x = 1 − y² from the kept output.
type TanhLayer[T Float] struct {
	y, dx *Tensor[T]
}

// Forward computes tanh(x).
func (t *TanhLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	t.y = reuse(t.y, x.Shape...)
	for i, v := range x.Data {
		t.y.Data[i] = T(math.Tanh(float64(v)))
	}
	return t.y
}

// Backward returns δ·(1 − y²).
func (t *TanhLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	t.dx = reuse(t.dx, t.y.Shape...)
	mustLen("tanh", dy, len(t.y.Data))
	for i, y := range t.y.Data {
		t.dx.Data[i] = dy.Data[i] * (1 - y*y)
	}
	return t.dx
}

// Params returns nil.
func (t *TanhLayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (t *TanhLayer[T]) Spec() LayerSpec { return Tanh() }

func (r *ReLULayer[T]) output() *Tensor[T]    { return r.y }
func (s *SigmoidLayer[T]) output() *Tensor[T] { return s.y }

// mustLen panics unless the gradient dy has n elements.
func mustLen[T Float](layer string, dy *Tensor[T], n int) {
	if len(dy.Data) != n {
		panic("net: " + layer + ": gradient " + dy.String() + " does not match the output of the last Forward")
	}
}
