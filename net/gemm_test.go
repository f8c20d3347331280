package net

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestThreadsBitwise trains the Nature and MinAtar nets for two steps with
// one and with two threads per multiply and conv pass: outputs, input
// gradients and updated weights must agree to the bit (SetThreads promises
// that the thread count never changes a result).
func TestThreadsBitwise(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int
		specs []LayerSpec
		batch int
	}{
		{"nature", []int{4, 84, 84}, NatureDQN(6), 4},
		{"minatar", []int{4, 10, 10}, MinAtarDQN(6), 32},
		{"mlp", []int{4}, MLP([]int{256, 256}, 2), 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(threads int) [][]float32 {
				prev := SetThreads(threads)
				defer SetThreads(prev)
				rng := rand.New(rand.NewPCG(1, 2))
				m, err := Build[float32](tc.in, tc.specs, rng)
				if err != nil {
					t.Fatal(err)
				}
				opt := NewAdam(m.Params(), DefaultAdam())
				x := New[float32](append([]int{tc.batch}, tc.in...)...)
				for i := range x.Data {
					x.Data[i] = float32(rng.NormFloat64())
				}
				var out [][]float32
				for range 2 {
					y := m.Forward(x)
					out = append(out, append([]float32(nil), y.Data...))
					dy := New[float32](y.Shape...)
					for i := range dy.Data {
						dy.Data[i] = float32(rng.NormFloat64())
					}
					opt.ZeroGrad()
					dx := m.Backward(dy)
					out = append(out, append([]float32(nil), dx.Data...))
					opt.Step()
				}
				for _, p := range m.Params() {
					out = append(out, append([]float32(nil), p.Value.Data...))
				}
				return out
			}
			one, two := run(1), run(2)
			for i := range one {
				for j := range one[i] {
					if math.Float32bits(one[i][j]) != math.Float32bits(two[i][j]) {
						t.Fatalf("output %d element %d: %v with 1 thread, %v with 2", i, j, one[i][j], two[i][j])
					}
				}
			}
		})
	}
}
