package net

import (
	"math"
	"math/rand/v2"
	"testing"
)

// iqnSpecs is a small IQN network: torso, embedding of n = 8 cosines, head.
var iqnSpecs = []LayerSpec{Dense(6), ReLU(), CosineEmbedding(8), Dense(5), ReLU(), Dense(3)}

// TestIQNGradients checks the cosine embedding inside an IQN network (and
// alone, on a noisy torso) against central differences in float64, with τ
// fixed.
func TestIQNGradients(t *testing.T) {
	summary := map[string]float64{}
	for _, c := range []struct {
		name  string
		specs []LayerSpec
		n     int
	}{
		{"iqn", iqnSpecs, 4},
		{"iqn-one-quantile", iqnSpecs, 1},
		{"cosine_embedding", []LayerSpec{NoisyDense(5), Tanh(), CosineEmbedding(64)}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(41, 42))
			m, err := Build[float64]([]int{4}, c.specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			tau := New[float64](3, c.n)
			SampleTau(rng, tau)
			m.SetTau(tau)
			summary[c.name] = gradCheck(t, m, randTensor(rng, 3, 4), rng, nil)
		})
	}
	logWorst(t, "iqn", summary)
}

// TestCosineEmbeddingForward checks h[b·N+i] = x_b ⊙ ReLU(Σₖ cos(πkτ_bi)W_k + b)
// computed naively, the (B·N, A) output shape, and that τ = 0 gives the
// embedding ReLU(Σₖ W_k + b) (every cosine 1).
func TestCosineEmbeddingForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	m, err := Build[float64]([]int{3}, []LayerSpec{CosineEmbedding(5)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	e := m.Layers[0].(*CosineEmbeddingLayer[float64])
	x := randTensor(rng, 2, 3)
	tau := FromSlice([]float64{0, 0.3, 0.9, 0.5, 0.25, 1}, 2, 3)
	m.SetTau(tau)
	h := m.Forward(x)
	if h.Shape[0] != 6 || h.Shape[1] != 3 {
		t.Fatalf("output %v, want (6, 3)", h.Shape)
	}
	for b := range 2 {
		for i := range 3 {
			for j := range 3 {
				s := e.B.Value.Data[j]
				for k := range 5 {
					s += math.Cos(math.Pi*float64(k)*tau.Data[b*3+i]) * e.W.Value.Data[j*5+k]
				}
				want := x.Data[b*3+j] * max(s, 0)
				if got := h.Data[(b*3+i)*3+j]; math.Abs(got-want) > 1e-14 {
					t.Fatalf("h[%d,%d] = %v, want %v", b*3+i, j, got, want)
				}
			}
		}
	}
}

// TestIQNQValues checks risk-neutral acting: Q is the mean over the K sampled
// quantiles (recomputed from the same τ), the same seed gives the same Q, and
// a network whose output does not depend on τ gives Q = that output.
func TestIQNQValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	m, err := Build[float64]([]int{4}, iqnSpecs, rng)
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(rng, 2, 4)
	const k = 32
	q := make([]float64, 2*3)
	tau := IQNQValues(m, x, k, rand.New(rand.NewPCG(1, 1)), nil, q)
	z := m.Forward(x) // the same τ
	for b := range 2 {
		for a := range 3 {
			s := 0.0
			for i := range k {
				s += z.Data[(b*k+i)*3+a]
			}
			if math.Abs(s/k-q[b*3+a]) > 1e-14 {
				t.Fatalf("Q[%d,%d] = %v, mean of the quantiles %v", b, a, q[b*3+a], s/k)
			}
		}
	}
	q2 := make([]float64, 6)
	IQNQValues(m, x, k, rand.New(rand.NewPCG(1, 1)), tau, q2)
	if !equalBits(q, q2) {
		t.Error("the same seed gave different Q")
	}
	theta := make([]float64, 2*k)
	GatherQuantiles(z.Data, []int{2, 0}, theta)
	if theta[k+3] != z.Data[(k+3)*3+0] || theta[5] != z.Data[5*3+2] {
		t.Error("GatherQuantiles picked the wrong elements")
	}
	dz := make([]float64, len(z.Data))
	ScatterQuantiles(theta, []int{2, 0}, dz)
	nz := 0
	for i, v := range dz {
		if v != 0 {
			nz++
			if v != z.Data[i] {
				t.Fatalf("ScatterQuantiles put %v at %d, want %v", v, i, z.Data[i])
			}
		}
	}
	if nz != 2*k {
		t.Errorf("ScatterQuantiles set %d elements, want %d", nz, 2*k)
	}
}

// TestIQNLearnsQuantiles trains a one-input IQN network with the quantile
// Huber loss on samples of U(0, 4) and requires Z_τ ≈ 4τ, the quantile
// function, at τ = 0.1 … 0.9: the embedding, the loss with per-sample τ and
// their gradients working together. κ is small because the minimiser of the
// quantile Huber loss is the τ-quantile only as κ → 0 (with κ = 1 it lies
// between quantile and expectile: 0.77 instead of 0.4 at τ = 0.1 here).
func TestIQNLearnsQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	m, err := Build[float64]([]int{1}, []LayerSpec{Dense(16), ReLU(), CosineEmbedding(16), Dense(16), ReLU(), Dense(1)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdam(m.Params(), AdamConfig{LR: 3e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	const bs, n, nt, kappa = 16, 8, 8, 0.05
	x := New[float64](bs, 1)
	for i := range x.Data {
		x.Data[i] = 1
	}
	tau := New[float64](bs, n)
	target := make([]float64, bs*nt)
	grad := make([]float64, bs*n)
	for range 1500 {
		SampleTau(rng, tau)
		m.SetTau(tau)
		z := m.Forward(x) // (bs·n, 1) = theta (bs, n)
		for i := range target {
			target[i] = 4 * rng.Float64()
		}
		QuantileHuberLoss(z.Data, tau.Data, target, bs, kappa, nil, grad, nil)
		opt.ZeroGrad()
		m.BackwardParams(FromSlice(grad, bs*n, 1))
		opt.Step()
	}
	probe := FromSlice([]float64{0.1, 0.3, 0.5, 0.7, 0.9}, 1, 5)
	m.SetTau(probe)
	z := m.Forward(FromSlice([]float64{1}, 1, 1))
	worst := 0.0
	for i, tq := range probe.Data {
		worst = max(worst, math.Abs(z.Data[i]-4*tq))
	}
	t.Logf("Z_τ at τ = %v: %.3f (want 4τ), worst error %.3f", probe.Data, z.Data, worst)
	if worst > 0.25 {
		t.Errorf("quantiles off by %.3f (> 0.25) from 4τ", worst)
	}
}
