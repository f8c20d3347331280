package net

import "math"

// ReLULayer is the rectifier y = max(0, x), elementwise on any shape.
// Backward passes δ where y > 0 and 0 elsewhere (the derivative at 0 is taken
// as 0, as PyTorch does). Forward keeps its output for Backward.
type ReLULayer[T Float] struct {
	y, dx *Tensor[T]
}

// Forward computes max(0, x).
func (r *ReLULayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	r.y = reuse(r.y, x.Shape...)
	y := r.y.Data
	for i, v := range x.Data {
		y[i] = max(v, 0)
	}
	return r.y
}

// Backward returns δ masked by y > 0.
func (r *ReLULayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	r.dx = reuse(r.dx, r.y.Shape...)
	dx, y := r.dx.Data, r.y.Data
	for i, g := range dy.Data[:len(y)] {
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
	if r.y == nil || len(r.y.Shape) == 0 || r.y.Shape[0] == 0 {
		return 0
	}
	bs, per := batchOf(r.y)
	dead := 0
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
	return float64(dead) / float64(per)
}

// Params returns nil: a ReLU has no parameters.
func (r *ReLULayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (r *ReLULayer[T]) Spec() LayerSpec { return ReLU() }

// SigmoidLayer is the logistic function y = 1/(1+e⁻ˣ), elementwise. Backward
// uses ∂y/∂x = y(1−y) from the kept output.
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
	for i, y := range s.y.Data {
		s.dx.Data[i] = dy.Data[i] * y * (1 - y)
	}
	return s.dx
}

// Params returns nil.
func (s *SigmoidLayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (s *SigmoidLayer[T]) Spec() LayerSpec { return Sigmoid() }

func (r *ReLULayer[T]) output() *Tensor[T]    { return r.y }
func (s *SigmoidLayer[T]) output() *Tensor[T] { return s.y }
