package net

import (
	"fmt"
	"math"
)

// SoftmaxLayer is softmax or, with Log, log-softmax along one dimension,
// as PyTorch's Softmax(dim) and LogSoftmax(dim). For each slice x along Dim,
// with m = max x:
//
//	softmax:     yᵢ = e^(xᵢ−m) / Σⱼ e^(xⱼ−m)
//	log_softmax: yᵢ = xᵢ − m − log Σⱼ e^(xⱼ−m)
//
// Subtracting m keeps every exponent ≤ 0, so inputs such as [1000, 1001, 1002]
// or [−1e300, 0, 1] neither overflow nor lose the large terms. Backward, with
// δ = ∂L/∂y and the kept output y:
//
//	softmax:     ∂L/∂xᵢ = yᵢ·(δᵢ − Σⱼ δⱼyⱼ)
//	log_softmax: ∂L/∂xᵢ = δᵢ − e^(yᵢ)·Σⱼ δⱼ
//
// Sums and exponentials are computed in float64 for either element type.
type SoftmaxLayer[T Float] struct {
	// Dim is the dimension as given (PyTorch's convention: 0 is the batch,
	// negative counts from the end).
	Dim int
	// Log selects log-softmax.
	Log bool

	dim   int // Dim resolved to an index of the (B, …) shape
	y, dx *Tensor[T]
}

// geometry returns the number of slices, their length n and their stride for a
// tensor of shape: element j of slice (o, i) is at (o·n + j)·inner + i.
func (s *SoftmaxLayer[T]) geometry(shape []int) (outer, n, inner int) {
	if s.dim >= len(shape) {
		panic(fmt.Sprintf("net: softmax along dim %d of a %v tensor", s.Dim, shape))
	}
	outer, inner = 1, 1
	for _, d := range shape[:s.dim] {
		outer *= d
	}
	for _, d := range shape[s.dim+1:] {
		inner *= d
	}
	return outer, shape[s.dim], inner
}

// Forward computes the (log-)softmax of every slice along Dim.
func (s *SoftmaxLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	s.y = reuse(s.y, x.Shape...)
	outer, n, inner := s.geometry(x.Shape)
	xs, ys := x.Data, s.y.Data
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			m := math.Inf(-1)
			for j := range n {
				m = max(m, float64(xs[base+j*inner]))
			}
			sum := 0.0
			for j := range n {
				sum += math.Exp(float64(xs[base+j*inner]) - m)
			}
			if s.Log {
				logSum := math.Log(sum)
				for j := range n {
					k := base + j*inner
					ys[k] = T(float64(xs[k]) - m - logSum)
				}
			} else {
				for j := range n {
					k := base + j*inner
					ys[k] = T(math.Exp(float64(xs[k])-m) / sum)
				}
			}
		}
	}
	return s.y
}

// Backward returns ∂L/∂x from δ and the kept output.
func (s *SoftmaxLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	s.dx = reuse(s.dx, s.y.Shape...)
	mustLen("softmax", dy, len(s.y.Data))
	outer, n, inner := s.geometry(s.y.Shape)
	ys, ds, dx := s.y.Data, dy.Data, s.dx.Data
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			sum := 0.0
			if s.Log {
				for j := range n {
					sum += float64(ds[base+j*inner])
				}
				for j := range n {
					k := base + j*inner
					dx[k] = T(float64(ds[k]) - math.Exp(float64(ys[k]))*sum)
				}
				continue
			}
			for j := range n {
				k := base + j*inner
				sum += float64(ds[k]) * float64(ys[k])
			}
			for j := range n {
				k := base + j*inner
				dx[k] = T(float64(ys[k]) * (float64(ds[k]) - sum))
			}
		}
	}
	return s.dx
}

// Params returns nil.
func (s *SoftmaxLayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (s *SoftmaxLayer[T]) Spec() LayerSpec {
	if s.Log {
		return LogSoftmax(s.Dim)
	}
	return Softmax(s.Dim)
}
