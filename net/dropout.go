package net

import "math/rand/v2"

// DropoutLayer is inverted dropout (Srivastava et al. 2014, as PyTorch's
// Dropout). In training mode each element is zeroed with probability p = Rate
// and the survivors are scaled by 1/(1−p), so that E[y] = x:
//
//	y = x ⊙ m,   mᵢ = 1/(1−p) with probability 1−p, else 0
//	∂L/∂x = δ ⊙ m
//
// In evaluation mode it is the identity (y is x itself). Forward keeps the
// mask m for Backward. The layer owns its random generator, seeded when the
// model is built (see Sequential.Reseed), so runs are reproducible.
type DropoutLayer[T Float] struct {
	Rate float64

	training bool
	masked   bool // the last Forward applied a mask
	rng      *rand.Rand
	mask     []T
	y, dx    *Tensor[T]
}

func newDropout[T Float](rate float64, seed uint64) *DropoutLayer[T] {
	return &DropoutLayer[T]{Rate: rate, training: true, rng: rand.New(rand.NewPCG(seed, seed^0xda3e39cb94b95bdb))}
}

// Reseed restarts the layer's generator from seed.
func (d *DropoutLayer[T]) Reseed(seed uint64) {
	d.rng = rand.New(rand.NewPCG(seed, seed^0xda3e39cb94b95bdb))
}

func (d *DropoutLayer[T]) setTraining(on bool) { d.training = on }

// Forward draws a new mask and returns x ⊙ m in training mode, and x in
// evaluation mode.
func (d *DropoutLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	d.masked = d.training && d.Rate > 0
	if !d.masked {
		return x
	}
	d.y = reuse(d.y, x.Shape...)
	d.mask = grow(d.mask, len(x.Data))
	scale := T(1 / (1 - d.Rate))
	for i, v := range x.Data {
		if d.rng.Float64() < d.Rate {
			d.mask[i] = 0
		} else {
			d.mask[i] = scale
		}
		d.y.Data[i] = v * d.mask[i]
	}
	return d.y
}

// Backward returns δ ⊙ m, or δ itself after an evaluation-mode Forward.
func (d *DropoutLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	if !d.masked {
		return dy
	}
	mustLen("dropout", dy, len(d.mask))
	d.dx = reuse(d.dx, d.y.Shape...)
	for i, g := range dy.Data {
		d.dx.Data[i] = g * d.mask[i]
	}
	return d.dx
}

// Params returns nil.
func (d *DropoutLayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (d *DropoutLayer[T]) Spec() LayerSpec { return Dropout(d.Rate) }
