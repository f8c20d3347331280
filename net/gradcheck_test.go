package net

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// gradCheck compares the analytic gradients of L = Σᵢ rᵢ·yᵢ (r random, so
// that every output matters) with central differences, for every parameter of
// m and for the input x, and returns the worst relative error.
func gradCheck(t *testing.T, m *Sequential[float64], x *Tensor[float64], rng *rand.Rand) float64 {
	t.Helper()
	y := m.Forward(x)
	r := New[float64](y.Shape...)
	for i := range r.Data {
		r.Data[i] = rng.NormFloat64()
	}
	loss := func() float64 {
		y := m.Forward(x)
		s := 0.0
		for i, v := range y.Data {
			s += r.Data[i] * v
		}
		return s
	}
	loss()
	m.ZeroGrad()
	dx := m.Backward(r).Clone()

	worst := 0.0
	check := func(name string, vals, analytic []float64) {
		numeric := fd.Gradient(nil, func(v []float64) float64 {
			saved := append([]float64(nil), vals...)
			copy(vals, v)
			l := loss()
			copy(vals, saved)
			return l
		}, append([]float64(nil), vals...), &fd.Settings{Formula: fd.Central, Step: 1e-6})
		for i := range numeric {
			e := math.Abs(numeric[i]-analytic[i]) / math.Max(math.Abs(numeric[i])+math.Abs(analytic[i]), 1e-8)
			if e > 1e-6 {
				t.Errorf("%s[%d]: analytic %.10g, numeric %.10g (rel err %.3g)", name, i, analytic[i], numeric[i], e)
			}
			worst = max(worst, e)
		}
	}
	for _, p := range m.Params() {
		check(p.Name, p.Value.Data, p.Grad.Data)
	}
	check("input", x.Data, dx.Data)
	return worst
}

func randTensor(rng *rand.Rand, shape ...int) *Tensor[float64] {
	t := New[float64](shape...)
	for i := range t.Data {
		t.Data[i] = rng.NormFloat64()
	}
	return t
}

func TestGradients(t *testing.T) {
	cases := []struct {
		name  string
		in    []int
		batch int
		specs []LayerSpec
	}{
		{"dense", []int{5}, 3, []LayerSpec{Dense(4)}},
		{"dense-flatten", []int{2, 3}, 2, []LayerSpec{Dense(3)}},
		{"relu-mlp", []int{4}, 8, MLP([]int{16, 8}, 2)},
		{"sigmoid-mlp", []int{5}, 3, []LayerSpec{Dense(4), Sigmoid(), Dense(4), Sigmoid(), Dense(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m, err := Build[float64](c.in, c.specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			x := randTensor(rng, append([]int{c.batch}, c.in...)...)
			t.Logf("worst relative error %.3g", gradCheck(t, m, x, rng))
		})
	}
}

// TestGradientsAccumulate checks that Backward adds to the gradients.
func TestGradientsAccumulate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, _ := Build[float64]([]int{3}, MLP([]int{5}, 2), rng)
	x := randTensor(rng, 4, 3)
	dy := randTensor(rng, 4, 2)
	m.Forward(x)
	m.Backward(dy)
	once := m.Params()[0].Grad.Clone()
	m.Forward(x)
	m.Backward(dy)
	for i, g := range m.Params()[0].Grad.Data {
		if math.Abs(g-2*once.Data[i]) > 1e-12 {
			t.Fatalf("grad[%d] = %v after two backward passes, want 2×%v", i, g, once.Data[i])
		}
	}
	m.ZeroGrad()
	if GradNorm(m.Params()) != 0 {
		t.Fatal("ZeroGrad left gradients")
	}
}
