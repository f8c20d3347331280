package net

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNoisyGradients checks the noisy layers and heads against central
// differences in float64, noise fixed (drawn at Build), for μ and σ of weights
// and biases and the input; and with the noise off, where every σ gradient
// must be zero.
func TestNoisyGradients(t *testing.T) {
	noisyHead := DuelingCategorical(3, 4, 5)
	noisyHead.Sigma0 = 0.5
	noisyPlain := Categorical(2, 3, 0)
	noisyPlain.Sigma0 = 0.8
	cases := []struct {
		name     string
		in       []int
		specs    []LayerSpec
		noiseOff bool
	}{
		{"noisy_dense", []int{5}, []LayerSpec{NoisyDense(4)}, false},
		{"noisy-mlp", []int{4}, []LayerSpec{NoisyDense(6), ReLU(), NoisyDense(3)}, false},
		{"noisy-flatten", []int{2, 3}, []LayerSpec{NoisyDense(3), Tanh()}, false},
		{"noisy-off", []int{4}, []LayerSpec{NoisyDense(6), Tanh(), NoisyDense(3)}, true},
		{"categorical-noisy-dueling", []int{6}, []LayerSpec{Dense(5), ReLU(), noisyHead}, false},
		{"categorical-noisy-plain", []int{6}, []LayerSpec{noisyPlain}, false},
	}
	summary := map[string]float64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			m, err := Build[float64](c.in, c.specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			// σ of the size of μ, so that the noise matters in the check.
			for _, p := range m.Params() {
				for i := range p.Value.Data {
					p.Value.Data[i] += 0.3 * rng.NormFloat64()
				}
			}
			if c.noiseOff {
				m.SetNoise(false)
			}
			x := randTensor(rng, append([]int{3}, c.in...)...)
			summary[c.name] = gradCheck(t, m, x, rng, nil)
			if c.noiseOff {
				for _, p := range m.Params() {
					for _, g := range p.Grad.Data {
						if g != 0 && (p.Name == "0.weight_sigma" || p.Name == "2.bias_sigma") {
							t.Fatalf("%s has gradient %v with the noise off", p.Name, g)
						}
					}
				}
			}
		})
	}
	logWorst(t, "noisy", summary)
}

// TestNoisyForward checks y = x·(μ_W + σ_W ⊙ ε_out⊗ε_in)ᵀ + μ_b + σ_b ⊙ ε_out
// computed naively, the mean weights with the noise off, and that
// ResampleNoise changes the output while Forward alone does not.
func TestNoisyForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, err := Build[float64]([]int{4}, []LayerSpec{NoisyDense(3)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	l := m.Layers[0].(*NoisyDenseLayer[float64])
	x := randTensor(rng, 2, 4)
	naive := func(noise bool) []float64 {
		out := make([]float64, 2*3)
		for b := range 2 {
			for o := range 3 {
				eo := l.EpsOut.Value.Data[o]
				if !noise {
					eo = 0
				}
				s := l.BMu.Value.Data[o] + l.BSigma.Value.Data[o]*eo
				for i := range 4 {
					ei := l.EpsIn.Value.Data[i]
					w := l.WMu.Value.Data[o*4+i] + l.WSigma.Value.Data[o*4+i]*eo*ei
					s += x.Data[b*4+i] * w
				}
				out[b*3+o] = s
			}
		}
		return out
	}
	y := m.Forward(x).Clone()
	closeTo(t, "noisy y", y.Data, naive(true), 1e-14)
	if again := m.Forward(x); !equalBits(again.Data, y.Data) {
		t.Error("a second Forward without ResampleNoise changed the output")
	}
	m.SetTraining(false)
	closeTo(t, "mean y (evaluation mode)", m.Forward(x).Data, naive(false), 1e-14)
	m.SetTraining(true)
	m.SetNoise(false)
	closeTo(t, "mean y (SetNoise(false))", m.Forward(x).Data, naive(false), 1e-14)
	m.SetNoise(true)
	m.ResampleNoise(rng)
	y2 := m.Forward(x)
	closeTo(t, "resampled y", y2.Data, naive(true), 1e-14)
	if equalBits(y2.Data, y.Data) {
		t.Error("ResampleNoise did not change the output")
	}
}

// TestNoisyInit checks the factorised initialisation: μ within ±1/√p, σ =
// σ₀/√p exactly, and the noise f(ε) = sgn(ε)√|ε|, whose square has mean
// E|ε| = √(2/π) ≈ 0.798 (1 without the square root), and that the same seed
// gives the same noise.
func TestNoisyInit(t *testing.T) {
	const in, out = 400, 50
	spec := NoisyDense(out)
	m, err := Build[float64]([]int{in}, []LayerSpec{spec}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	l := m.Layers[0].(*NoisyDenseLayer[float64])
	bound := 1 / math.Sqrt(in)
	for _, p := range []*Param[float64]{l.WMu, l.BMu} {
		for _, v := range p.Value.Data {
			if math.Abs(v) > bound {
				t.Fatalf("%s = %v outside ±%v", p.Name, v, bound)
			}
		}
	}
	for _, p := range []*Param[float64]{l.WSigma, l.BSigma} {
		for _, v := range p.Value.Data {
			if v != 0.5/math.Sqrt(in) {
				t.Fatalf("%s = %v, want σ₀/√p = %v", p.Name, v, 0.5/math.Sqrt(in))
			}
		}
	}
	rng := rand.New(rand.NewPCG(4, 4))
	sum, n := 0.0, 0
	for range 25 {
		l.ResampleNoise(rng)
		for _, b := range l.Buffers() {
			for _, v := range b.Value.Data {
				sum += v * v
				n++
			}
		}
	}
	if mean := sum / float64(n); math.Abs(mean-math.Sqrt(2/math.Pi)) > 0.02 {
		t.Errorf("mean ε² = %.4f over %d draws, want √(2/π) = %.4f", mean, n, math.Sqrt(2/math.Pi))
	}
	m2, _ := Build[float64]([]int{in}, []LayerSpec{spec}, rand.New(rand.NewPCG(3, 3)))
	a, b := m.Layers[0].(*NoisyDenseLayer[float64]), m2.Layers[0].(*NoisyDenseLayer[float64])
	a.ResampleNoise(rand.New(rand.NewPCG(9, 9)))
	b.ResampleNoise(rand.New(rand.NewPCG(9, 9)))
	if !equalBits(a.EpsIn.Value.Data, b.EpsIn.Value.Data) || !equalBits(a.EpsOut.Value.Data, b.EpsOut.Value.Data) {
		t.Error("the same seed drew different noise")
	}
}

// TestNoisyCheckpoint checks that a checkpoint keeps the noise (buffers
// epsilon_in, epsilon_out): the loaded model gives the same output bits, and
// after resampling both from equal generators they still agree; Clone copies
// the noise too.
func TestNoisyCheckpoint(t *testing.T) {
	head := DuelingCategorical(3, 5, 8)
	head.Sigma0 = 0.5
	specs := []LayerSpec{NoisyDense(16), ReLU(), head}
	m, err := Build[float32]([]int{4}, specs, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	m.ResampleNoise(rand.New(rand.NewPCG(7, 8)))
	p, err := MarshalModel(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := UnmarshalModel[float32](p)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m2.Buffers()), 2+4*2; got != want {
		t.Fatalf("%d buffers, want %d", got, want)
	}
	x := New[float32](2, 4)
	for i := range x.Data {
		x.Data[i] = float32(i%5) - 2
	}
	for step, c := range []*Sequential[float32]{m2, m.Clone()} {
		if !equalBits(c.Forward(x).Data, m.Forward(x).Data) {
			t.Fatalf("copy %d: output differs from the original's", step)
		}
	}
	m.ResampleNoise(rand.New(rand.NewPCG(1, 2)))
	m2.ResampleNoise(rand.New(rand.NewPCG(1, 2)))
	if !equalBits(m2.Forward(x).Data, m.Forward(x).Data) {
		t.Fatal("outputs differ after resampling from equal generators")
	}
	if !m.HasNoise() {
		t.Error("HasNoise is false for a noisy model")
	}
	// In evaluation mode every noisy layer, the head's included, uses μ: new
	// noise changes nothing.
	m.SetTraining(false)
	before := m.Forward(x).Clone()
	m.ResampleNoise(rand.New(rand.NewPCG(3, 4)))
	if !equalBits(m.Forward(x).Data, before.Data) {
		t.Error("resampling changed the output in evaluation mode")
	}
	m.SetTraining(true)
	if equalBits(m.Forward(x).Data, before.Data) {
		t.Error("back in training mode, the noise has no effect")
	}
	if plain, _ := Build[float32]([]int{4}, []LayerSpec{Categorical(2, 3, 0)}, nil); plain.HasNoise() {
		t.Error("HasNoise is true for a model without noise")
	}
}

// TestNoisySpecErrors checks that bad noisy specs are errors naming the field.
func TestNoisySpecErrors(t *testing.T) {
	bad := NoisyDense(3)
	bad.Sigma0 = 0
	nan := NoisyDense(3)
	nan.Sigma0 = math.NaN()
	neg := Categorical(2, 5, 0)
	neg.Sigma0 = -1
	for _, c := range []struct {
		spec LayerSpec
		want string
	}{
		{bad, "sigma0"}, {nan, "sigma0"}, {neg, "sigma0"},
		{Categorical(2, 1, 0), "atoms"},
		{DuelingCategorical(0, 5, 0), "units"},
		{CosineEmbedding(0), "cosines"},
		{LayerSpec{Kind: "dense", Units: 2, Sigma0: 0.5}, "sigma0"},
		{LayerSpec{Kind: "noisy_dense", Units: 2, Sigma0: 0.5, Atoms: 3}, "atoms"},
	} {
		_, err := Build[float32]([]int{4}, []LayerSpec{c.spec}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.spec, err, c.want)
		}
	}
}
