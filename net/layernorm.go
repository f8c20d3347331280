package net

import (
	"fmt"
	"math"
	"slices"
)

// LayerNormLayer is layer normalisation (Ba et al. 2016, as PyTorch's
// LayerNorm): each sample's elements over the dimensions Dim … last, a group
// of n elements, are normalised by their own mean and biased variance:
//
//	μ = Σ x / n,  σ² = Σ (x−μ)² / n,  x̂ = (x − μ)/√(σ² + ε),  y = γ ⊙ x̂ + β
//
// γ and β have the shape of the normalised dimensions (PyTorch's
// normalized_shape), start at 1 and 0, and are absent with NoAffine. Backward,
// with g = γ ⊙ δ, per group:
//
//	∂L/∂γ += Σ_groups δ ⊙ x̂,  ∂L/∂β += Σ_groups δ
//	∂L/∂x = (1/√(σ²+ε)) · (g − mean(g) − x̂ · mean(g ⊙ x̂))
//
// Forward keeps x̂ and 1/√(σ²+ε) for Backward. Statistics are computed in
// float64.
type LayerNormLayer[T Float] struct {
	// W and B are γ and β, shape the normalised dimensions (nil with NoAffine).
	W, B *Param[T]

	spec   LayerSpec
	norm   []int // normalised shape
	n      int   // elements per group
	xhat   []T
	invstd []float64 // per group
	y, dx  *Tensor[T]
}

func newLayerNorm[T Float](prefix string, s LayerSpec, in []int) *LayerNormLayer[T] {
	d, _ := sampleDim(s.Dim, len(in))
	l := &LayerNormLayer[T]{spec: s, norm: slices.Clone(in[d-1:])}
	l.n = numel(l.norm)
	if !s.NoAffine {
		l.W = newParam[T](prefix+"weight", l.norm...)
		l.B = newParam[T](prefix+"bias", l.norm...)
		for i := range l.W.Value.Data {
			l.W.Value.Data[i] = 1
		}
	}
	return l
}

// Forward normalises every group of x.
func (l *LayerNormLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	if len(x.Shape) < len(l.norm) || !slices.Equal(x.Shape[len(x.Shape)-len(l.norm):], l.norm) {
		panic(fmt.Sprintf("net: layer_norm: input %v does not end in the normalised shape %v", x.Shape, l.norm))
	}
	n := l.n
	groups := len(x.Data) / n
	l.y = reuse(l.y, x.Shape...)
	l.xhat = grow(l.xhat, len(x.Data))
	if cap(l.invstd) < groups {
		l.invstd = make([]float64, groups)
	}
	l.invstd = l.invstd[:groups]
	eps := l.spec.Eps
	for g := range groups {
		xs := x.Data[g*n : (g+1)*n]
		mean := 0.0
		for _, v := range xs {
			mean += float64(v)
		}
		mean /= float64(n)
		v2 := 0.0
		for _, v := range xs {
			d := float64(v) - mean
			v2 += d * d
		}
		inv := 1 / math.Sqrt(v2/float64(n)+eps)
		l.invstd[g] = inv
		xh, ys := l.xhat[g*n:(g+1)*n], l.y.Data[g*n:(g+1)*n]
		for i, v := range xs {
			xh[i] = T((float64(v) - mean) * inv)
			if l.W != nil {
				ys[i] = xh[i]*l.W.Value.Data[i] + l.B.Value.Data[i]
			} else {
				ys[i] = xh[i]
			}
		}
	}
	return l.y
}

// Backward accumulates ∂L/∂γ and ∂L/∂β and returns ∂L/∂x.
func (l *LayerNormLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	mustLen("layer_norm", dy, len(l.xhat))
	n := l.n
	l.dx = reuse(l.dx, l.y.Shape...)
	for g := range len(l.invstd) {
		ds, xh, dx := dy.Data[g*n:(g+1)*n], l.xhat[g*n:(g+1)*n], l.dx.Data[g*n:(g+1)*n]
		sumG, sumGX := 0.0, 0.0
		for i, d := range ds {
			gi := float64(d)
			if l.W != nil {
				l.W.Grad.Data[i] += d * xh[i]
				l.B.Grad.Data[i] += d
				gi *= float64(l.W.Value.Data[i])
			}
			sumG += gi
			sumGX += gi * float64(xh[i])
		}
		mG, mGX := sumG/float64(n), sumGX/float64(n)
		inv := l.invstd[g]
		for i, d := range ds {
			gi := float64(d)
			if l.W != nil {
				gi *= float64(l.W.Value.Data[i])
			}
			dx[i] = T(inv * (gi - mG - float64(xh[i])*mGX))
		}
	}
	return l.dx
}

// Params returns γ and β (nil with NoAffine).
func (l *LayerNormLayer[T]) Params() []*Param[T] {
	if l.W == nil {
		return nil
	}
	return []*Param[T]{l.W, l.B}
}

// Spec describes the layer.
func (l *LayerNormLayer[T]) Spec() LayerSpec { return l.spec }
