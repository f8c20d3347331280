package net

import (
	"fmt"
	"math"
	"slices"
)

// BatchNormLayer is batch normalisation (Ioffe & Szegedy 2015) over dimension
// 1, as PyTorch's BatchNorm1d/2d/3d: for x (B, C) or (B, C, S…) each channel c
// is normalised over the n = B·|S| elements it has in the batch.
//
// Training mode uses the batch's statistics and updates the running ones with
// momentum m (PyTorch's convention, m = 0.1 by default):
//
//	μ = Σ x / n,  σ² = Σ (x−μ)² / n                      (biased, to normalise)
//	running_mean ← (1−m)·running_mean + m·μ
//	running_var  ← (1−m)·running_var  + m·σ²·n/(n−1)     (unbiased)
//	x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
//
// Evaluation mode uses running_mean and running_var in place of μ and σ², and
// changes nothing. γ and β have shape (C), start at 1 and 0, and are absent
// with NoAffine; the running statistics start at 0 and 1 and are buffers
// (saved and copied, never trained). Backward, per channel:
//
//	∂L/∂γ += Σ δ·x̂,  ∂L/∂β += Σ δ
//	training:   ∂L/∂x = (γ/√(σ²+ε)) · (δ − mean(δ) − x̂·mean(δ·x̂))
//	evaluation: ∂L/∂x = γ·δ/√(running_var+ε)
//
// Forward keeps x̂ and 1/√(σ²+ε) for Backward. Statistics are computed in
// float64. Training on a batch with one element per channel panics, as in
// PyTorch: its variance is undefined.
type BatchNormLayer[T Float] struct {
	C int
	// W and B are γ and β, shape (C) (nil with NoAffine).
	W, B *Param[T]
	// RunningMean and RunningVar are the running statistics, shape (C).
	RunningMean, RunningVar *Buffer[T]

	spec     LayerSpec
	in       []int // per-sample input shape
	training bool
	batch    bool // the last Forward used batch statistics
	xhat     []T
	invstd   []float64 // per channel
	y, dx    *Tensor[T]
}

func newBatchNorm[T Float](prefix string, s LayerSpec, in []int) *BatchNormLayer[T] {
	c := in[0]
	l := &BatchNormLayer[T]{C: c, spec: s, in: slices.Clone(in), training: true,
		RunningMean: &Buffer[T]{Name: prefix + "running_mean", Value: New[T](c)},
		RunningVar:  &Buffer[T]{Name: prefix + "running_var", Value: New[T](c)},
		invstd:      make([]float64, c),
	}
	for i := range c {
		l.RunningVar.Value.Data[i] = 1
	}
	if !s.NoAffine {
		l.W = newParam[T](prefix+"weight", c)
		l.B = newParam[T](prefix+"bias", c)
		for i := range c {
			l.W.Value.Data[i] = 1
		}
	}
	return l
}

func (l *BatchNormLayer[T]) setTraining(on bool) { l.training = on }

// Forward normalises x (B, C, …) per channel.
func (l *BatchNormLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	if len(x.Shape) != len(l.in)+1 || !slices.Equal(x.Shape[1:], l.in) {
		panic(fmt.Sprintf("net: batch_norm: input %v, want (B, %v)", x.Shape, l.in))
	}
	bs, C := x.Shape[0], l.C
	S := numel(l.in[1:])
	n := bs * S
	l.y = reuse(l.y, x.Shape...)
	l.xhat = grow(l.xhat, len(x.Data))
	l.batch = l.training
	if l.training && n <= 1 {
		panic(fmt.Sprintf("net: batch_norm: training needs more than one value per channel, got input %v", x.Shape))
	}
	m, eps := l.spec.Momentum, l.spec.Eps
	rm, rv := l.RunningMean.Value.Data, l.RunningVar.Value.Data
	for c := range C {
		var mean, inv float64
		if l.training {
			for b := range bs {
				for _, v := range x.Data[(b*C+c)*S : (b*C+c+1)*S] {
					mean += float64(v)
				}
			}
			mean /= float64(n)
			v2 := 0.0
			for b := range bs {
				for _, v := range x.Data[(b*C+c)*S : (b*C+c+1)*S] {
					d := float64(v) - mean
					v2 += d * d
				}
			}
			inv = 1 / math.Sqrt(v2/float64(n)+eps)
			rm[c] = T((1-m)*float64(rm[c]) + m*mean)
			rv[c] = T((1-m)*float64(rv[c]) + m*v2/float64(n-1))
		} else {
			mean = float64(rm[c])
			inv = 1 / math.Sqrt(float64(rv[c])+eps)
		}
		l.invstd[c] = inv
		gamma, beta := 1.0, 0.0
		if l.W != nil {
			gamma, beta = float64(l.W.Value.Data[c]), float64(l.B.Value.Data[c])
		}
		for b := range bs {
			lo, hi := (b*C+c)*S, (b*C+c+1)*S
			xh, ys := l.xhat[lo:hi], l.y.Data[lo:hi]
			for i, v := range x.Data[lo:hi] {
				h := (float64(v) - mean) * inv
				xh[i] = T(h)
				ys[i] = T(gamma*h + beta)
			}
		}
	}
	return l.y
}

// Backward accumulates ∂L/∂γ and ∂L/∂β and returns ∂L/∂x.
func (l *BatchNormLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	mustLen("batch_norm", dy, len(l.xhat))
	C := l.C
	S := numel(l.in[1:])
	bs := len(l.xhat) / (C * S)
	n := float64(bs * S)
	l.dx = reuse(l.dx, l.y.Shape...)
	for c := range C {
		sumD, sumDX := 0.0, 0.0
		for b := range bs {
			lo, hi := (b*C+c)*S, (b*C+c+1)*S
			xh := l.xhat[lo:hi]
			for i, d := range dy.Data[lo:hi] {
				sumD += float64(d)
				sumDX += float64(d) * float64(xh[i])
			}
		}
		gamma := 1.0
		if l.W != nil {
			l.W.Grad.Data[c] += T(sumDX)
			l.B.Grad.Data[c] += T(sumD)
			gamma = float64(l.W.Value.Data[c])
		}
		k := gamma * l.invstd[c]
		mD, mDX := sumD/n, sumDX/n
		for b := range bs {
			lo, hi := (b*C+c)*S, (b*C+c+1)*S
			xh, dx := l.xhat[lo:hi], l.dx.Data[lo:hi]
			for i, d := range dy.Data[lo:hi] {
				if l.batch {
					dx[i] = T(k * (float64(d) - mD - float64(xh[i])*mDX))
				} else {
					dx[i] = T(k * float64(d))
				}
			}
		}
	}
	return l.dx
}

// Params returns γ and β (nil with NoAffine).
func (l *BatchNormLayer[T]) Params() []*Param[T] {
	if l.W == nil {
		return nil
	}
	return []*Param[T]{l.W, l.B}
}

// Buffers returns the running mean and variance.
func (l *BatchNormLayer[T]) Buffers() []*Buffer[T] { return []*Buffer[T]{l.RunningMean, l.RunningVar} }

// Spec describes the layer.
func (l *BatchNormLayer[T]) Spec() LayerSpec { return l.spec }
