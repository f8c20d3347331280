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
	for _, specs := range [][]LayerSpec{
		{Categorical(3, 5, 0)},
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
