package env

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEnvStep measures single-env steps with random actions, resetting
// when an episode ends, for the bare envs and (suffix "/made") as Make
// returns them with their time limit and episode statistics.
func BenchmarkEnvStep(b *testing.B) {
	for _, tc := range []struct {
		name string
		mk   func() Env
	}{
		{"cartpole", func() Env { return NewCartPole() }},
		{"cartpole/made", func() Env { return must(Make("cartpole")) }},
		{"mountaincar", func() Env { return NewMountainCar() }},
		{"acrobot", func() Env { return NewAcrobot() }},
		{"gridworld/four-rooms/onehot", func() Env { return Unwrapped(must(Make("gridworld:map=four-rooms"))) }},
		{"gridworld/four-rooms/image", func() Env { return Unwrapped(must(Make("gridworld:map=four-rooms,obs=image"))) }},
		{"gridworld/four-rooms/image/made+stack4", func() Env { return must(Make("gridworld:map=four-rooms,obs=image,frame-stack=4")) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := tc.mk()
			e.Seed(1)
			e.Reset()
			n := e.Spec().Actions.N
			// Pre-drawn actions keep the generator out of the measurement.
			rng := rand.New(rand.NewPCG(1, 2))
			actions := make([]int, 4096)
			for i := range actions {
				actions[i] = rng.IntN(n)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, _, term, trunc := e.Step(actions[i&4095]); term || trunc {
					e.Reset()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "env-steps/s")
		})
	}
}
