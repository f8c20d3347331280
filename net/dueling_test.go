package net

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDuelingCombines checks Q = V + A − mean(A) against the two streams run
// as separate models with the same weights, and the PyTorch-style names.
func TestDuelingCombines(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	m, err := Build[float64]([]int{2, 6, 6}, append(MinAtarTrunk(), Dueling(4, 8)), rng)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	want := []string{"0.weight", "0.bias",
		"3.value.0.weight", "3.value.0.bias", "3.value.2.weight", "3.value.2.bias",
		"3.advantage.0.weight", "3.advantage.0.bias", "3.advantage.2.weight", "3.advantage.2.bias"}
	if !slices.Equal(names, want) {
		t.Fatalf("parameter names %v, want %v", names, want)
	}
	d := m.Layers[3].(*DuelingLayer[float64])
	stream := func(ls []Layer[float64], out int) *Sequential[float64] {
		s, _ := Build[float64]([]int{d.In}, []LayerSpec{Dense(8), ReLU(), Dense(out)}, nil)
		for i, p := range s.Params() {
			copy(p.Value.Data, append(ls[0].Params(), ls[2].Params()...)[i].Value.Data)
		}
		return s
	}
	vNet, aNet := stream(d.Value, 1), stream(d.Advantage, 4)
	x := randTensor(rng, 3, 2, 6, 6)
	q := m.Forward(x).Clone()
	feat := FromSlice(slices.Clone(m.Layers[2].(*FlattenLayer[float64]).y.Data), 3, d.In)
	v := vNet.Forward(feat).Clone()
	a := aNet.Forward(feat)
	for b := range 3 {
		mean := 0.0
		for j := range 4 {
			mean += a.Data[b*4+j] / 4
		}
		for j := range 4 {
			want := v.Data[b] + a.Data[b*4+j] - mean
			if math.Abs(q.Data[b*4+j]-want) > 1e-12 {
				t.Fatalf("Q[%d,%d] = %v, want %v", b, j, q.Data[b*4+j], want)
			}
		}
	}
	// The advantages of each row are identified only up to a constant: Q's
	// mean over actions is V.
	for b := range 3 {
		mean := 0.0
		for j := range 4 {
			mean += q.Data[b*4+j] / 4
		}
		if math.Abs(mean-v.Data[b]) > 1e-12 {
			t.Fatalf("mean_a Q = %v, V = %v", mean, v.Data[b])
		}
	}
	// Hidden 0: single linear streams named value.weight, advantage.weight.
	m0, _ := Build[float64]([]int{5}, []LayerSpec{Dueling(3, 0)}, rng)
	if n := m0.Params()[0].Name; n != "0.value.weight" || m0.NumParams() != 6+18 {
		t.Fatalf("hidden 0: first parameter %s, %d parameters", n, m0.NumParams())
	}
}
