package net

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInitializers checks each initialiser's weight distribution on a dense
// and a conv layer: the bound of the uniform ones, the variance of all, with
// fans computed as PyTorch does (conv: channels × kernel volume).
func TestInitializers(t *testing.T) {
	for _, c := range []struct {
		in    []int
		spec  LayerSpec
		fanIn float64
		fanO  float64
	}{
		{[]int{300}, Dense(200), 300, 200},
		{[]int{16, 12, 12}, Conv2D(64, 3, 1, 1), 16 * 9, 64 * 9},
		{[]int{4, 6, 6, 6}, Conv3D(32, 3, 1, 1), 4 * 27, 32 * 27},
	} {
		for name, in := range Initializers {
			spec := c.spec
			spec.Init = name
			m, err := Build[float64](c.in, []LayerSpec{spec}, rand.New(rand.NewPCG(81, 82)))
			if err != nil {
				t.Fatal(err)
			}
			w, b := m.Params()[0].Value.Data, m.Params()[1].Value.Data
			var bound, variance float64
			switch name {
			case "torch":
				bound = 1 / math.Sqrt(c.fanIn)
			case "xavier_uniform":
				bound = math.Sqrt(6 / (c.fanIn + c.fanO))
			case "he_uniform":
				bound = math.Sqrt(6 / c.fanIn)
			case "xavier_normal":
				variance = 2 / (c.fanIn + c.fanO)
			case "he_normal":
				variance = 2 / c.fanIn
			default:
				t.Fatalf("untested initializer %s (%s)", name, in.Doc)
			}
			if bound > 0 {
				variance = bound * bound / 3
				for _, v := range w {
					if math.Abs(v) > bound {
						t.Fatalf("%s %s: weight %v beyond ±%v", spec.Kind, name, v, bound)
					}
				}
			}
			mean, s2 := 0.0, 0.0
			for _, v := range w {
				mean += v / float64(len(w))
				s2 += v * v / float64(len(w))
			}
			// With ≥ 9216 draws the sample variance is within 5% (≈ 3.4σ for
			// the normal, more for the uniform).
			if math.Abs(s2/variance-1) > 0.05 || math.Abs(mean) > 4*math.Sqrt(variance/float64(len(w))) {
				t.Errorf("%s %s: mean %.3g, variance %.4g, want 0, %.4g", spec.Kind, name, mean, s2, variance)
			}
			biasNonzero := false
			for _, v := range b {
				biasNonzero = biasNonzero || v != 0
				if name == "torch" && math.Abs(v) > bound {
					t.Fatalf("%s torch: bias %v beyond ±%v", spec.Kind, v, bound)
				}
			}
			if biasNonzero != (name == "torch") {
				t.Errorf("%s %s: biases nonzero = %v", spec.Kind, name, biasNonzero)
			}
		}
	}
}
