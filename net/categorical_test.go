package net

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCategoricalGradients checks the C51 heads (plain and dueling, with and
// without a hidden layer) against central differences in float64.
func TestCategoricalGradients(t *testing.T) {
	cases := []struct {
		name  string
		in    []int
		specs []LayerSpec
	}{
		{"categorical-linear", []int{5}, []LayerSpec{Categorical(3, 4, 0)}},
		{"categorical-hidden", []int{5}, []LayerSpec{Dense(6), ReLU(), Categorical(2, 5, 4)}},
		{"dueling_categorical-linear", []int{2, 3}, []LayerSpec{DuelingCategorical(3, 4, 0)}},
		{"dueling_categorical-hidden", []int{5}, []LayerSpec{Dense(6), Tanh(), DuelingCategorical(3, 3, 7)}},
		{"categorical-log_softmax", []int{5}, []LayerSpec{DuelingCategorical(2, 4, 3), LogSoftmax(-1)}},
	}
	summary := map[string]float64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			m, err := Build[float64](c.in, c.specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			summary[c.name] = gradCheck(t, m, randTensor(rng, append([]int{3}, c.in...)...), rng, nil)
		})
	}
	logWorst(t, "categorical", summary)
}

// TestCategoricalHead checks the head's shapes, that the dueling head's
// logits average over actions to the value stream (Σ_a (A − mean A) = 0), the
// sizes infer reports against the built model's (checkpoints rely on them),
// BackwardParams against Backward, and float32 against float64 (for the IQN
// embedding and the noisy layer too).
func TestCategoricalHead(t *testing.T) {
	noisy := DuelingCategorical(3, 5, 4)
	noisy.Sigma0 = 0.5
	noisyLinear := Categorical(4, 3, 0)
	noisyLinear.Sigma0 = 0.5
	noisyHidden := Categorical(2, 4, 6)
	noisyHidden.Sigma0 = 0.4
	for _, specs := range [][]LayerSpec{
		{Categorical(3, 5, 0)},
		{noisyHidden},
		{Dense(6), ReLU(), Categorical(3, 5, 4)},
		{DuelingCategorical(3, 5, 0)},
		{Dense(6), ReLU(), noisy},
		{noisyLinear},
		{NoisyDense(7), ReLU(), CosineEmbedding(4), Dense(3)},
	} {
		rng := rand.New(rand.NewPCG(31, 32))
		in := []int{2, 3}
		m, err := Build[float64](in, specs, rng)
		if err != nil {
			t.Fatal(err)
		}
		np, nb, err := sizeOf(in, specs)
		if err != nil {
			t.Fatal(err)
		}
		gotB := 0
		for _, b := range m.Buffers() {
			gotB += b.Value.Len()
		}
		if np != m.NumParams() || nb != gotB {
			t.Errorf("%v: infer says %d parameters and %d buffer elements, the model has %d and %d", specs, np, nb, m.NumParams(), gotB)
		}
		x := randTensor(rng, 4, 2, 3)
		tau := New[float64](4, 2)
		SampleTau(rng, tau)
		iqn := len(specs) > 1 && specs[len(specs)-2].Kind == "cosine_embedding"
		if iqn {
			m.SetTau(tau)
		}
		y := m.Forward(x).Clone()
		if last, ok := m.Layers[len(m.Layers)-1].(*CategoricalLayer[float64]); ok {
			if want := []int{4, last.Actions, last.Atoms}; !slices.Equal(y.Shape, want) {
				t.Errorf("%v: output %v, want %v", specs, y.Shape, want)
			}
			if last.Dueling {
				feat := x
				if len(m.Layers) > 1 {
					feat = m.Layers[len(m.Layers)-2].(*ReLULayer[float64]).y
				}
				v := feat
				for _, l := range last.Value {
					v = l.Forward(v)
				}
				na, n := last.Actions, last.Atoms
				for b := range 4 {
					for i := range n {
						mean := 0.0
						for a := range na {
							mean += y.Data[(b*na+a)*n+i] / float64(na)
						}
						if math.Abs(mean-v.Data[b*n+i]) > 1e-12 {
							t.Fatalf("%v: mean over actions of logits %v, value stream %v", specs, mean, v.Data[b*n+i])
						}
					}
				}
			}
		}
		dy := randTensor(rng, y.Shape...)
		m.Forward(x)
		m.ZeroGrad()
		m.Backward(dy)
		var want [][]float64
		for _, p := range m.Params() {
			want = append(want, slices.Clone(p.Grad.Data))
		}
		m.ZeroGrad()
		m.Forward(x)
		m.BackwardParams(dy)
		for i, p := range m.Params() {
			if !equalBits(p.Grad.Data, want[i]) {
				t.Fatalf("%v: %s differs between Backward and BackwardParams", specs, p.Name)
			}
		}

		// float32 with the same (rounded) weights, noise and inputs.
		pl, _ := MarshalModel(m)
		m32, err := UnmarshalModel[float32](pl)
		if err != nil {
			t.Fatal(err)
		}
		pl, _ = MarshalModel(m32)
		m64, _ := UnmarshalModel[float64](pl)
		x32, dy32, tau32 := New[float32](x.Shape...), New[float32](dy.Shape...), New[float32](tau.Shape...)
		round := func(d32 []float32, d64 []float64) {
			for i, v := range d64 {
				d32[i] = float32(v)
				d64[i] = float64(d32[i])
			}
		}
		round(x32.Data, x.Data)
		round(dy32.Data, dy.Data)
		round(tau32.Data, tau.Data)
		if iqn {
			m32.SetTau(tau32)
			m64.SetTau(tau)
		}
		closeTo(t, "y32", m32.Forward(x32).Data, m64.Forward(x).Data, 1e-5)
		closeTo(t, "dx32", m32.Backward(dy32).Data, m64.Backward(dy).Data, 1e-5)
		for i, p := range m32.Params() {
			closeTo(t, p.Name+".grad", p.Grad.Data, m64.Params()[i].Grad.Data, 1e-5)
		}
	}
}

// TestC51LearnsReturnDistribution runs C51 policy evaluation on a two-step
// chain: s0 → s1 with reward 0, then s1 → end with reward +1 or −1, each with
// probability ½, γ = 0.9. The return distributions are Z(s1) = ±1 and Z(s0) =
// ±0.9, each with probability ½. On the support [−2, 2] of 21 atoms
// (Δz = 0.2), ±0.9 falls halfway between ±0.8 and ±1, so the learnt p(s0) must
// put ¼ on each of −1, −0.8, 0.8, 1, and p(s1) ½ on each of −1 and 1. A
// discount applied twice, or to the terminal step, would move that mass.
func TestC51LearnsReturnDistribution(t *testing.T) {
	sup := Support{VMin: -2, VMax: 2, Atoms: 21}
	rng := rand.New(rand.NewPCG(61, 62))
	online, err := Build[float64]([]int{2}, []LayerSpec{Dense(16), ReLU(), Categorical(1, sup.Atoms, 0)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	target := online.Clone()
	opt := NewAdam(online.Params(), AdamConfig{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	const bs, n = 32, 21
	s, s2 := New[float64](bs, 2), New[float64](bs, 2)
	reward, disc := make([]float64, bs), make([]float64, bs)
	next, m, g := make([]float64, bs*n), make([]float64, bs*n), make([]float64, bs*n)
	q := make([]float64, bs)
	for step := range 1500 {
		if step%20 == 0 {
			target.CopyFrom(online)
		}
		clear(s.Data)
		clear(s2.Data)
		for b := range bs {
			if rng.IntN(2) == 0 { // s0 → s1
				s.Data[b*2], s2.Data[b*2+1], reward[b], disc[b] = 1, 1, 0, 0.9
			} else { // s1 → end, ±1
				s.Data[b*2+1], reward[b], disc[b] = 1, float64(2*rng.IntN(2)-1), 0
			}
		}
		CategoricalQ(sup, target.Forward(s2).Data, next, q)
		ProjectCategorical(sup, next, reward, disc, m)
		logits := online.Forward(s)
		CategoricalCrossEntropy(logits.Data, m, n, nil, g, nil)
		opt.ZeroGrad()
		online.BackwardParams(FromSlice(g, bs, 1, n))
		opt.Step()
	}
	probs, qv := make([]float64, 2*n), make([]float64, 2)
	CategoricalQ(sup, online.Forward(FromSlice([]float64{1, 0, 0, 1}, 2, 2)).Data, probs, qv)
	at := func(state int, z float64) float64 { return probs[state*n+int(math.Round((z+2)/0.2))] }
	t.Logf("p(s0) at −1, −0.8, 0.8, 1: %.3f %.3f %.3f %.3f; p(s1) at −1, 1: %.3f %.3f; Q = %.3f, %.3f",
		at(0, -1), at(0, -0.8), at(0, 0.8), at(0, 1), at(1, -1), at(1, 1), qv[0], qv[1])
	for _, c := range []struct {
		state int
		z, p  float64
	}{{0, -1, 0.25}, {0, -0.8, 0.25}, {0, 0.8, 0.25}, {0, 1, 0.25}, {1, -1, 0.5}, {1, 1, 0.5}} {
		if got := at(c.state, c.z); math.Abs(got-c.p) > 0.04 {
			t.Errorf("p(s%d) at z = %v is %.3f, want %.2f", c.state, c.z, got, c.p)
		}
	}
	if math.Abs(qv[0]) > 0.05 || math.Abs(qv[1]) > 0.05 {
		t.Errorf("Q = %v, want about 0 for both states", qv)
	}
}
