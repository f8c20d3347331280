package net

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLayerNormDefinition checks LayerNorm over the last two dimensions
// against the definition written out, with γ, β of the normalised shape.
func TestLayerNormDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	m, err := Build[float64]([]int{2, 3, 4}, []LayerSpec{LayerNorm(-2)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := m.Layers[0].(*LayerNormLayer[float64])
	if !slices.Equal(ln.W.Value.Shape, []int{3, 4}) || ln.W.Name != "0.weight" {
		t.Fatalf("γ %s %v, want 0.weight (3,4)", ln.W.Name, ln.W.Value.Shape)
	}
	for i := range ln.W.Value.Data {
		ln.W.Value.Data[i] = rng.NormFloat64()
		ln.B.Value.Data[i] = rng.NormFloat64()
	}
	x := randTensor(rng, 3, 2, 3, 4)
	y := m.Forward(x)
	for g := range 6 {
		xs := x.Data[g*12 : (g+1)*12]
		mean, ss := 0.0, 0.0
		for _, v := range xs {
			mean += v / 12
		}
		for _, v := range xs {
			ss += (v - mean) * (v - mean)
		}
		for i, v := range xs {
			want := (v-mean)/math.Sqrt(ss/12+1e-5)*ln.W.Value.Data[i] + ln.B.Value.Data[i]
			if math.Abs(y.Data[g*12+i]-want) > 1e-12 {
				t.Fatalf("y[%d] = %v, want %v", g*12+i, y.Data[g*12+i], want)
			}
		}
	}
	if _, err := CountParams([]int{4}, []LayerSpec{LayerNorm(0)}); err == nil {
		t.Error("layer norm over the batch dimension accepted")
	}
}
