package net

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// CosineEmbeddingLayer is the quantile embedding of IQN (Dabney et al. 2018b,
// eq. 4) merged with the torso's features by an elementwise product. For the
// fractions τ (B, N) given to SetTau before Forward, and features
// ψ = x (B, D) (flattened):
//
//	c_bi,k = cos(π·k·τ_bi)                  k = 0 … n−1     c (B·N, n)
//	φ(τ_bi) = ReLU(c_bi · Wᵀ + b)           W (D, n), b (D) φ (B·N, D)
//	h[b·N + i] = ψ(x_b) ⊙ φ(τ_bi)           -> h (B·N, D)
//
// so the layer multiplies the batch by N: the layers after it see B·N rows,
// row b·N + i for sample b at fraction τ_bi, and a head Dense(A) on top gives
// Z_τ (B·N, A), read as (B, N, A) (GatherQuantiles, IQNQValues). n = Cosines
// (64 in the paper). Backward, given δ = ∂L/∂h (B·N, D):
//
//	∂L/∂x_b = Σᵢ δ[b·N+i] ⊙ φ(τ_bi)
//	g = (δ ⊙ ψ) ⊙ 1{φ > 0}                   (B·N, D)
//	∂L/∂W += gᵀ·c,  ∂L/∂b += Σ_rows g
//
// τ is an input, not a parameter: no gradient flows to it. Forward keeps x, c
// and φ for Backward. W and b are named as a Linear: "2.weight", "2.bias".
type CosineEmbeddingLayer[T Float] struct {
	// Features is D, the width of the torso's features; Cosines is n.
	Features, Cosines int
	// W (D, n) row-major and B (D) are the embedding's linear layer.
	W, B *Param[T]

	init      string
	tau       *Tensor[T] // (B, N), set by SetTau
	x         *Tensor[T]
	c, phi    *Tensor[T] // (B·N, n), (B·N, D)
	h, dx, dz *Tensor[T]
}

// CosineEmbedding returns the spec of IQN's quantile embedding with n cosines
// (64 in the paper), merged into the features by a product; its output width
// is its input's.
func CosineEmbedding(n int) LayerSpec { return LayerSpec{Kind: "cosine_embedding", Units: n} }

func newCosineEmbedding[T Float](prefix string, s LayerSpec, d int) *CosineEmbeddingLayer[T] {
	return &CosineEmbeddingLayer[T]{
		Features: d, Cosines: s.Units, init: s.Init,
		W: newParam[T](prefix+"weight", d, s.Units),
		B: newParam[T](prefix+"bias", d),
	}
}

// initWeights draws W and b from the initialiser (fanIn = n, fanOut = D); a
// nil rng leaves them at zero.
func (e *CosineEmbeddingLayer[T]) initWeights(rng *rand.Rand) {
	if rng == nil {
		return
	}
	init, _ := initializer(e.init)
	init.initDense(e.W.Value.Data, e.B.Value.Data, e.Cosines, e.Features, rng)
}

// SetTau sets the fractions τ (B, N) of the next Forward, whose input must
// have B rows. The layer keeps the tensor (not a copy) until the next SetTau.
func (e *CosineEmbeddingLayer[T]) SetTau(tau *Tensor[T]) {
	if len(tau.Shape) != 2 {
		panic(fmt.Sprintf("net: cosine embedding: τ %v is not (B, N)", tau.Shape))
	}
	e.tau = tau
}

// Forward computes h (B·N, D) from x (B, D…) and the τ of SetTau.
func (e *CosineEmbeddingLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, d := batchOf(x)
	if d != e.Features {
		panic(fmt.Sprintf("net: cosine embedding %s: input %v has %d features per sample, want %d", e.W.Name, x.Shape, d, e.Features))
	}
	if e.tau == nil || e.tau.Shape[0] != bs {
		panic(fmt.Sprintf("net: cosine embedding %s: input of %d samples, but τ is %v (call SetTau with (B, N) fractions first)", e.W.Name, bs, shapeOf(e.tau)))
	}
	e.x = x
	rows, n := len(e.tau.Data), e.Cosines
	e.c = reuse(e.c, rows, n)
	for r, t := range e.tau.Data {
		for k := range n {
			e.c.Data[r*n+k] = T(math.Cos(math.Pi * float64(k) * float64(t)))
		}
	}
	e.phi = reuse(e.phi, rows, d)
	for r := range rows {
		copy(e.phi.Data[r*d:(r+1)*d], e.B.Value.Data)
	}
	gemm(false, true, rows, d, n, 1, e.c.Data, n, e.W.Value.Data, n, 1, e.phi.Data, d)
	e.h = reuse(e.h, rows, d)
	per := rows / max(bs, 1)
	for r := range rows {
		xs := x.Data[(r/per)*d : (r/per+1)*d]
		for j := range d {
			p := max(e.phi.Data[r*d+j], 0)
			e.phi.Data[r*d+j] = p
			e.h.Data[r*d+j] = xs[j] * p
		}
	}
	return e.h
}

func shapeOf[T Float](t *Tensor[T]) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// backwardParams accumulates ∂L/∂W and ∂L/∂b only.
func (e *CosineEmbeddingLayer[T]) backwardParams(dy *Tensor[T]) {
	if e.x == nil {
		panic("net: cosine embedding " + e.W.Name + ": Backward before Forward")
	}
	rows, d, n := e.phi.Shape[0], e.Features, e.Cosines
	mustLen("cosine embedding", dy, rows*d)
	bs := e.x.Shape[0]
	per := rows / max(bs, 1)
	e.dz = reuse(e.dz, rows, d)
	for r := range rows {
		xs := e.x.Data[(r/per)*d : (r/per+1)*d]
		for j := range d {
			g := dy.Data[r*d+j] * xs[j]
			if e.phi.Data[r*d+j] <= 0 {
				g = 0
			}
			e.dz.Data[r*d+j] = g
			e.B.Grad.Data[j] += g
		}
	}
	gemm(true, false, d, n, rows, 1, e.dz.Data, d, e.c.Data, n, 1, e.W.Grad.Data, n)
}

// Backward accumulates ∂L/∂W and ∂L/∂b and returns ∂L/∂x in the input's shape.
func (e *CosineEmbeddingLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	e.backwardParams(dy)
	rows, d := e.phi.Shape[0], e.Features
	bs := e.x.Shape[0]
	per := rows / max(bs, 1)
	e.dx = reuse(e.dx, e.x.Shape...)
	clear(e.dx.Data)
	for r := range rows {
		dx := e.dx.Data[(r/per)*d : (r/per+1)*d]
		for j := range d {
			dx[j] += dy.Data[r*d+j] * e.phi.Data[r*d+j]
		}
	}
	return e.dx
}

// Params returns W and b.
func (e *CosineEmbeddingLayer[T]) Params() []*Param[T] { return []*Param[T]{e.W, e.B} }

// Spec describes the layer.
func (e *CosineEmbeddingLayer[T]) Spec() LayerSpec {
	return LayerSpec{Kind: "cosine_embedding", Units: e.Cosines, Init: e.init}
}

// inferCosineEmbedding checks a cosine_embedding spec for fanIn features.
func (s LayerSpec) inferCosineEmbedding(fanIn int) (layerSize, error) {
	if s.Units < 1 || s.Units > 1<<12 {
		return layerSize{}, fmt.Errorf("units (cosines) must be in [1, 4096] (IQN uses 64), got %d", s.Units)
	}
	if _, err := initializer(s.Init); err != nil {
		return layerSize{}, err
	}
	n, ok := mulBounded(s.Units+1, fanIn)
	if !ok {
		return layerSize{}, fmt.Errorf("%d×%d weights are too many", fanIn, s.Units)
	}
	return layerSize{out: []int{fanIn}, params: n}, nil
}

// SetTau gives the fractions τ (B, N) of the next Forward to the model's
// cosine embedding. It panics if the model has none.
func (m *Sequential[T]) SetTau(tau *Tensor[T]) {
	for _, l := range m.Layers {
		if e, ok := l.(*CosineEmbeddingLayer[T]); ok {
			e.SetTau(tau)
			return
		}
	}
	panic("net: SetTau: the model has no cosine_embedding layer")
}

// SampleTau fills tau (B, N) with fractions τ ~ U(0, 1) from rng, in
// row-major order.
func SampleTau[T Float](rng *rand.Rand, tau *Tensor[T]) {
	for i := range tau.Data {
		tau.Data[i] = T(rng.Float64())
	}
}

// GatherQuantiles picks the chosen actions' quantiles out of an IQN output z
// (B·N, A), read as (B, N, A):
//
//	theta[b, i] = z[b·N + i, actions[b]]  -> theta (B, N)
//
// N = len(theta)/B.
func GatherQuantiles[T Float](z []T, actions []int, theta []T) {
	bs := len(actions)
	if bs == 0 {
		return
	}
	n := len(theta) / bs
	if n == 0 || len(theta) != bs*n || len(z)%(bs*n) != 0 {
		panic(fmt.Sprintf("net: GatherQuantiles: z %d, theta %d elements for %d actions", len(z), len(theta), bs))
	}
	na := len(z) / (bs * n)
	for b, a := range actions {
		if a < 0 || a >= na {
			panic(fmt.Sprintf("net: GatherQuantiles: action %d of sample %d is not in [0, %d)", a, b, na))
		}
		for i := range n {
			theta[b*n+i] = z[(b*n+i)*na+a]
		}
	}
}

// ScatterQuantiles is GatherQuantiles's backward: it zeroes dz (B·N, A) and
// puts g[b, i] (B, N) at dz[b·N + i, actions[b]].
func ScatterQuantiles[T Float](g []T, actions []int, dz []T) {
	clear(dz)
	bs := len(actions)
	if bs == 0 {
		return
	}
	n := len(g) / bs
	if n == 0 || len(g) != bs*n || len(dz)%(bs*n) != 0 {
		panic(fmt.Sprintf("net: ScatterQuantiles: g %d, dz %d elements for %d actions", len(g), len(dz), bs))
	}
	na := len(dz) / (bs * n)
	for b, a := range actions {
		if a < 0 || a >= na {
			panic(fmt.Sprintf("net: ScatterQuantiles: action %d of sample %d is not in [0, %d)", a, b, na))
		}
		for i := range n {
			dz[(b*n+i)*na+a] = g[b*n+i]
		}
	}
}

// IQNQValues computes IQN's risk-neutral action values (Dabney et al. 2018b,
// eq. 5 with β the identity):
//
//	Q(s_b, a) = (1/K) Σₖ Z_τₖ(s_b, a),  τₖ ~ U(0, 1)
//
// drawing K fractions per sample from rng into tau (B, K) (reused if it has
// that shape, else replaced; pass nil the first time), running m on x (B, …),
// and writing q (B, A). It returns tau, to be passed again. It runs
// m.Forward and sets m's τ: a Forward whose Backward is still to come must
// follow it, not precede it (e.g. pick a′ on s′ with the online network, then
// run it on s with the loss's τ).
func IQNQValues[T Float](m *Sequential[T], x *Tensor[T], k int, rng *rand.Rand, tau *Tensor[T], q []T) *Tensor[T] {
	bs := x.Shape[0]
	if k < 1 {
		panic(fmt.Sprintf("net: IQNQValues: K = %d, need ≥ 1", k))
	}
	tau = reuse(tau, bs, k)
	SampleTau(rng, tau)
	m.SetTau(tau)
	z := m.Forward(x)
	if bs == 0 {
		return tau
	}
	na := len(z.Data) / (bs * k)
	if len(q) != bs*na {
		panic(fmt.Sprintf("net: IQNQValues: q has %d elements, want (%d, %d)", len(q), bs, na))
	}
	for b := range bs {
		for a := range na {
			s := 0.0
			for i := range k {
				s += float64(z.Data[(b*k+i)*na+a])
			}
			q[b*na+a] = T(s / float64(k))
		}
	}
	return tau
}
