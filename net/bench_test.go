package net

import (
	"math/rand/v2"
	"testing"
)

// macs returns the multiply-accumulates of one sample's forward pass through
// the layers that multiply matrices (dense, conv, dueling).
func macs[T Float](l Layer[T]) float64 {
	switch l := l.(type) {
	case *DenseLayer[T]:
		return float64(l.In * l.Out)
	case *ConvLayer[T]:
		return float64(l.OutC * l.kernelSize() * l.positions())
	case *DuelingLayer[T]:
		s := 0.0
		for _, x := range append(l.Value[:len(l.Value):len(l.Value)], l.Advantage...) {
			s += macs(x)
		}
		return s
	}
	return 0
}

// benchTrainStep measures one DQN training step at the given batch size:
// the target network's forward pass on s′, the online network's forward pass
// on s, its backward pass (no input gradient) and the optimizer step. The
// GFLOP/s figure counts 2 flops per multiply-accumulate of the matrix
// products: forward F twice, ∂W F, ∂x F minus the first layer's.
func benchTrainStep(b *testing.B, in []int, specs []LayerSpec, batch int, mkOpt func([]*Param[float32]) Optimizer[float32], prec Precision) {
	rng := rand.New(rand.NewPCG(1, 2))
	online, err := Build[float32](in, specs, rng)
	if err != nil {
		b.Fatal(err)
	}
	if err := online.SetPrecision(prec); err != nil {
		b.Fatal(err)
	}
	target := online.Clone()
	opt := mkOpt(online.Params())
	randT := func(shape ...int) *Tensor[float32] {
		t := New[float32](shape...)
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64())
		}
		return t
	}
	x, xn := randT(append([]int{batch}, in...)...), randT(append([]int{batch}, in...)...)
	dq := randT(append([]int{batch}, online.OutShape()...)...)
	f, first := 0.0, -1.0
	for _, l := range online.Layers {
		if m := macs(l); m > 0 {
			f += m
			if first < 0 {
				first = m
			}
		}
	}
	flops := 2 * float64(batch) * (4*f - first)
	step := func() {
		target.Forward(xn)
		online.Forward(x)
		opt.ZeroGrad()
		online.BackwardParams(dq)
		opt.Step()
	}
	step() // size the workspaces
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1e3, "ms/step")
	b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	b.ReportMetric(0, "ns/op")
}

func deepMind(p []*Param[float32]) Optimizer[float32] {
	return NewDeepMindRMSProp(p, DefaultDeepMindRMSProp())
}

// BenchmarkTrainStep: the MinAtar DQN (Conv 4→16 3×3 → 128 → 6 on 4×10×10) and
// the Nature DQN (4×84×84, 3 convs, 3136→512→6) at batch 32 with RMSProp, and
// the CartPole MLP 4-256-256-2 at batch 64 with Adam, in float32 and (suffix
// -bf16) with the matrix multiplies in bf16. PyTorch 1.13 on this machine:
// 1.7 ms (MinAtar), 25 ms (Nature).
func BenchmarkTrainStep(b *testing.B) {
	for _, prec := range []Precision{Float32, BF16} {
		sfx := ""
		if prec != Float32 {
			sfx = "-" + prec.String()
		}
		b.Run("minatar-b32"+sfx, func(b *testing.B) {
			benchTrainStep(b, []int{4, 10, 10}, MinAtarDQN(6), 32, deepMind, prec)
		})
		b.Run("nature-b32"+sfx, func(b *testing.B) {
			benchTrainStep(b, []int{4, 84, 84}, NatureDQN(6), 32, deepMind, prec)
		})
		b.Run("cartpole-b64"+sfx, func(b *testing.B) {
			benchTrainStep(b, []int{4}, MLP([]int{256, 256}, 2), 64, func(p []*Param[float32]) Optimizer[float32] {
				return NewAdam(p, DefaultAdam())
			}, prec)
		})
	}
}

// BenchmarkAct measures the forward pass for one observation (acting).
func BenchmarkAct(b *testing.B) {
	for _, c := range []struct {
		name  string
		in    []int
		specs []LayerSpec
	}{
		{"minatar", []int{4, 10, 10}, MinAtarDQN(6)},
		{"nature", []int{4, 84, 84}, NatureDQN(6)},
		{"cartpole", []int{4}, MLP([]int{256, 256}, 2)},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, _ := Build[float32](c.in, c.specs, rand.New(rand.NewPCG(1, 2)))
			x := New[float32](append([]int{1}, c.in...)...)
			m.Forward(x)
			b.ReportAllocs()
			for b.Loop() {
				m.Forward(x)
			}
		})
	}
}
