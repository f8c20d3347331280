package net

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDropout checks the drop rate, the 1/(1−p) scaling, the mask reuse in
// Backward, the identity in evaluation mode and reproducibility by seed.
func TestDropout(t *testing.T) {
	const p, n = 0.3, 100000
	run := func(seed uint64) (*Sequential[float64], *Tensor[float64]) {
		m, err := Build[float64]([]int{n}, []LayerSpec{Dropout(p)}, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		x := New[float64](1, n)
		for i := range x.Data {
			x.Data[i] = 2
		}
		return m, x
	}
	m, x := run(1)
	y := m.Forward(x)
	zeros, sum := 0, 0.0
	for _, v := range y.Data {
		if v == 0 {
			zeros++
		} else if math.Abs(v-2/(1-p)) > 1e-12 {
			t.Fatalf("kept element %v, want %v", v, 2/(1-p))
		}
		sum += v
	}
	// Binomial(n, p): standard deviation √(np(1−p)) ≈ 145; allow 5σ.
	if math.Abs(float64(zeros)-p*n) > 5*math.Sqrt(n*p*(1-p)) {
		t.Fatalf("%d of %d dropped, want about %v", zeros, n, p*n)
	}
	dy := New[float64](1, n)
	for i := range dy.Data {
		dy.Data[i] = 1
	}
	dx := m.Backward(dy)
	for i, v := range dx.Data {
		if (v == 0) != (y.Data[i] == 0) {
			t.Fatalf("Backward's mask differs from Forward's at %d", i)
		}
	}
	// Same seed, same masks; another seed, other masks.
	m2, _ := run(1)
	m3, _ := run(2)
	y2 := m2.Forward(x).Clone()
	if !equalBits(y2.Data, y.Data) {
		t.Fatal("same seed, different mask")
	}
	if equalBits(m3.Forward(x).Data, y.Data) {
		t.Fatal("different seeds, same mask")
	}
	m.SetTraining(false)
	if got := m.Forward(x); !equalBits(got.Data, x.Data) {
		t.Fatal("evaluation mode is not the identity")
	}
	if m.Backward(dy) != dy {
		t.Fatal("evaluation-mode Backward is not the identity")
	}
}
