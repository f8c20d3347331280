package net

import (
	"math/rand/v2"
	"testing"
)

// trainStep is one DQN-style update on a model: the target network's forward
// pass on s′, the online forward pass on s, a gradient at the output,
// Backward and an optimizer step.
type trainStep struct {
	online, target *Sequential[float32]
	opt            Optimizer[float32]
	x, next, dy    *Tensor[float32]
}

func newTrainStep(b *testing.B, in []int, specs []LayerSpec, batch int, adam bool) *trainStep {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := Build[float32](in, specs, rng)
	if err != nil {
		b.Fatal(err)
	}
	s := &trainStep{online: m, target: m.Clone()}
	if adam {
		s.opt = NewAdam(m.Params(), DefaultAdam())
	} else {
		s.opt = NewRMSProp(m.Params(), RMSPropConfig{LR: 2.5e-4, Alpha: 0.95, Eps: 0.01, Centered: true})
	}
	shape := append([]int{batch}, in...)
	s.x, s.next = New[float32](shape...), New[float32](shape...)
	for i := range s.x.Data {
		s.x.Data[i], s.next.Data[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	s.dy = New[float32](append([]int{batch}, m.OutShape()...)...)
	for i := range s.dy.Data {
		s.dy.Data[i] = float32(rng.NormFloat64()) / float32(batch)
	}
	return s
}

func (s *trainStep) run() {
	s.target.Forward(s.next)
	s.online.Forward(s.x)
	s.opt.ZeroGrad()
	s.online.Backward(s.dy)
	s.opt.Step()
}

// BenchmarkTrainStep reports ms/step for the train steps of the issue on fast
// kernels: the CartPole MLP 4-256-256-2 at batch 64 with Adam (rl-baselines3-
// zoo's preset) and CleanRL's 4-120-84-2 at batch 128 with Adam.
func BenchmarkTrainStep(b *testing.B) {
	for _, bc := range []struct {
		name  string
		in    []int
		specs []LayerSpec
		batch int
		adam  bool
	}{
		{"cartpole_mlp256x256_b64_adam", []int{4}, MLP([]int{256, 256}, 2), 64, true},
		{"cartpole_mlp120x84_b128_adam", []int{4}, MLP([]int{120, 84}, 2), 128, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newTrainStep(b, bc.in, bc.specs, bc.batch, bc.adam)
			s.run()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.run()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
		})
	}
}
