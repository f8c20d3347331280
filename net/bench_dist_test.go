package net

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkC51Target measures the C51 loss side of one update at batch 32 of
// Rainbow's MinAtar head (A = 6, N = 51), float32: CategoricalQ on the target
// network's logits, the projection, gather, cross-entropy and scatter.
func BenchmarkC51Target(b *testing.B) {
	const bs, na, n = 32, 6, 51
	sup := Support{VMin: -10, VMax: 10, Atoms: n}
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(k int) []float32 {
		s := make([]float32, k)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	tl, ol := rnd(bs*na*n), rnd(bs*na*n)
	reward, disc := rnd(bs), make([]float32, bs)
	actions := make([]int, bs)
	for i := range bs {
		disc[i] = 0.97
		actions[i] = rng.IntN(na)
	}
	probs, q := make([]float32, bs*na*n), make([]float32, bs*na)
	next, m, chosen, g, per := make([]float32, bs*n), make([]float32, bs*n), make([]float32, bs*n), make([]float32, bs*n), make([]float32, bs)
	dx := make([]float32, bs*na*n)
	b.ReportAllocs()
	for b.Loop() {
		CategoricalQ(sup, tl, probs, q)
		GatherAction(probs, actions, next)
		ProjectCategorical(sup, next, reward, disc, m)
		GatherAction(ol, actions, chosen)
		CategoricalCrossEntropy(chosen, m, n, nil, g, per)
		ScatterAction(g, actions, dx)
	}
	b.ReportMetric(float64(b.N*bs)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkQuantileHuber measures the quantile Huber loss of IQN's setting,
// batch 32 with N = N′ = 64 (65,536 pairs), float32.
func BenchmarkQuantileHuber(b *testing.B) {
	const bs, n = 32, 64
	rng := rand.New(rand.NewPCG(3, 4))
	theta, target, tau, g := make([]float32, bs*n), make([]float32, bs*n), make([]float32, bs*n), make([]float32, bs*n)
	for i := range theta {
		theta[i], target[i], tau[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.Float64())
	}
	b.ReportAllocs()
	for b.Loop() {
		QuantileHuberLoss(theta, tau, target, bs, 1, nil, g, nil)
	}
	b.ReportMetric(float64(b.N*bs*n*n)/b.Elapsed().Seconds()/1e6, "Mpairs/s")
}

// BenchmarkNoisyDense compares a noisy layer's forward and backward pass with
// a dense layer's of the same size (batch 32, 1024 → 128, the MinAtar head),
// float32, in GFLOP/s of the three matrix products; the act/ cases are one
// forward pass of batch 1, as when acting.
func BenchmarkNoisyDense(b *testing.B) {
	const in, out = 1024, 128
	for _, bs := range []int{32, 1} {
		for _, spec := range []LayerSpec{Dense(out), NoisyDense(out)} {
			name := spec.Kind
			if bs == 1 {
				name = "act/" + name
			}
			b.Run(name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(5, 6))
				m, err := Build[float32]([]int{in}, []LayerSpec{spec}, rng)
				if err != nil {
					b.Fatal(err)
				}
				x, dy := New[float32](bs, in), New[float32](bs, out)
				for i := range x.Data {
					x.Data[i] = float32(rng.NormFloat64())
				}
				for i := range dy.Data {
					dy.Data[i] = float32(rng.NormFloat64())
				}
				passes := 3 // forward and backward; acting is forward only
				if bs == 1 {
					passes = 1
				}
				b.ReportAllocs()
				for b.Loop() {
					m.Forward(x)
					if bs > 1 {
						m.Backward(dy)
					}
				}
				b.ReportMetric(float64(b.N)*float64(passes*2*bs*in*out)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
