package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// relErr is the relative error of an analytic derivative against a numeric
// one, |a − n| / (|a| + |n|). The denominator is floored at 1e-4: central
// differences with step 1e-6 carry round-off of about 1e-10·|L|, so
// derivatives below that floor compare absolutely.
func relErr(analytic, numeric float64) float64 {
	return math.Abs(numeric-analytic) / math.Max(math.Abs(numeric)+math.Abs(analytic), 1e-4)
}

// gradTol is the largest relErr a gradient check accepts. A wrong formula
// (a missing term, a factor, a transposed index) gives errors near 1.
const gradTol = 1e-5

// gradCheck compares the analytic gradients of L = Σᵢ rᵢ·yᵢ (r random, so
// that every output matters) with central differences, for every parameter of
// m and for the input x, and returns the worst relative error. before, if not
// nil, runs before every forward pass (to fix a dropout mask).
func gradCheck(t *testing.T, m *Sequential[float64], x *Tensor[float64], rng *rand.Rand, before func()) float64 {
	t.Helper()
	if before == nil {
		before = func() {}
	}
	before()
	y := m.Forward(x)
	r := New[float64](y.Shape...)
	for i := range r.Data {
		r.Data[i] = rng.NormFloat64()
	}
	loss := func() float64 {
		before()
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
			e := relErr(analytic[i], numeric[i])
			if e > gradTol {
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

// randomizeAffine gives the norm layers' γ and β random values, so that the
// check does not only see γ = 1, β = 0.
func randomizeAffine(m *Sequential[float64], rng *rand.Rand) {
	for _, l := range m.Layers {
		switch l.(type) {
		case *LayerNormLayer[float64], *BatchNormLayer[float64]:
			for _, p := range l.Params() {
				for i := range p.Value.Data {
					p.Value.Data[i] = 1 + 0.5*rng.NormFloat64()
				}
			}
		}
	}
}

// TestGradients checks every layer kind, in training and evaluation mode
// where they differ, against central differences in float64, and logs the
// worst relative error of each (go test -v -run TestGradients).
func TestGradients(t *testing.T) {
	rect := Conv2D(3, 0, 0, 0)
	rect.KernelH, rect.KernelW, rect.StrideH, rect.StrideW, rect.PadH, rect.PadW = 3, 2, 2, 1, 1, 1
	conv3 := Conv3D(2, 2, 1, 1)
	conv3.KernelD, conv3.StrideH, conv3.PadD = 3, 2, 0
	bnEval := BatchNorm()
	cases := []struct {
		name  string
		in    []int
		batch int
		specs []LayerSpec
		eval  bool // evaluation mode
	}{
		{"dense", []int{5}, 3, []LayerSpec{Dense(4)}, false},
		{"dense-flatten", []int{2, 3}, 2, []LayerSpec{Dense(3)}, false},
		{"relu-mlp", []int{4}, 8, MLP([]int{16, 8}, 2), false},
		{"sigmoid-mlp", []int{5}, 3, []LayerSpec{Dense(4), Sigmoid(), Dense(4), Sigmoid(), Dense(1)}, false},
		{"leaky_relu", []int{6}, 4, []LayerSpec{Dense(5), LeakyReLU(0.1), Dense(2)}, false},
		{"tanh", []int{6}, 4, []LayerSpec{Dense(5), Tanh(), Dense(2)}, false},
		{"softmax", []int{4}, 3, []LayerSpec{Dense(5), Softmax(-1)}, false},
		{"log_softmax", []int{4}, 3, []LayerSpec{Dense(5), LogSoftmax(1)}, false},
		{"softmax-channels", []int{3, 2, 2}, 2, []LayerSpec{Softmax(1)}, false},
		{"log_softmax-dim2", []int{3, 4}, 2, []LayerSpec{LogSoftmax(2)}, false},
		{"conv2d-3x3-s2-p1", []int{3, 7, 9}, 2, []LayerSpec{Conv2D(4, 3, 2, 1)}, false},
		{"conv2d-rect", []int{2, 6, 5}, 2, []LayerSpec{rect}, false},
		{"conv2d-minatar", []int{4, 6, 6}, 2, []LayerSpec{Conv2D(3, 3, 1, 0), ReLU(), Flatten(), Dense(2)}, false},
		{"conv2d-stack", []int{2, 12, 12}, 2, []LayerSpec{Conv2D(3, 4, 2, 0), ReLU(), Conv2D(2, 3, 2, 1), Flatten(), Dense(3)}, false},
		{"conv3d", []int{2, 4, 5, 5}, 2, []LayerSpec{conv3}, false},
		{"conv3d-cube", []int{1, 3, 4, 4}, 2, []LayerSpec{Conv3D(2, 3, 1, 1), Tanh()}, false},
		{"dropout-train", []int{6}, 4, []LayerSpec{Dense(8), Dropout(0.3), Dense(2)}, false},
		{"dropout-eval", []int{6}, 4, []LayerSpec{Dense(8), Dropout(0.3), Dense(2)}, true},
		{"layer_norm", []int{6}, 3, []LayerSpec{Dense(5), LayerNorm(-1), Dense(2)}, false},
		{"layer_norm-chw", []int{2, 3, 3}, 2, []LayerSpec{LayerNorm(1)}, false},
		{"layer_norm-hw", []int{2, 3, 3}, 2, []LayerSpec{LayerNorm(-2)}, false},
		{"layer_norm-noaffine", []int{5}, 3, []LayerSpec{{Kind: "layer_norm", Dim: -1, Eps: 1e-5, NoAffine: true}, Dense(2)}, false},
		{"batch_norm-features", []int{5}, 6, []LayerSpec{Dense(4), BatchNorm(), Dense(2)}, false},
		{"batch_norm-channels", []int{2, 4, 4}, 3, []LayerSpec{Conv2D(3, 3, 1, 1), BatchNorm(), ReLU(), Flatten(), Dense(2)}, false},
		{"batch_norm-eval", []int{2, 3, 3}, 3, []LayerSpec{bnEval}, true},
		{"batch_norm-3d", []int{2, 2, 3, 3}, 2, []LayerSpec{BatchNorm()}, false},
		{"batch_norm-noaffine", []int{4}, 5, []LayerSpec{{Kind: "batch_norm", Eps: 1e-5, Momentum: 0.1, NoAffine: true}, Dense(2)}, false},
		{"dueling-linear", []int{6}, 3, []LayerSpec{Dueling(4, 0)}, false},
		{"dueling-hidden", []int{6}, 3, []LayerSpec{Dense(5), ReLU(), Dueling(3, 7)}, false},
		{"conv-dueling", []int{2, 5, 5}, 2, []LayerSpec{Conv2D(3, 3, 1, 0), ReLU(), Flatten(), Dueling(3, 4)}, false},
	}
	summary := map[string]float64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m, err := Build[float64](c.in, c.specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			randomizeAffine(m, rng)
			if c.eval {
				// Give batch norm running statistics other than 0 and 1 first.
				for range 3 {
					m.Forward(randTensor(rng, append([]int{c.batch}, c.in...)...))
				}
				m.SetTraining(false)
			}
			var before func()
			for _, l := range m.Layers {
				if d, ok := l.(*DropoutLayer[float64]); ok {
					before = func() { d.Reseed(7) } // the same mask on every pass
				}
			}
			x := randTensor(rng, append([]int{c.batch}, c.in...)...)
			w := gradCheck(t, m, x, rng, before)
			summary[c.name] = w
			t.Logf("worst relative error %.3g", w)
		})
	}
	logWorst(t, "layers", summary)
}

// logWorst logs a table of the worst relative error per case.
func logWorst(t *testing.T, what string, worst map[string]float64) {
	names := make([]string, 0, len(worst))
	for n := range worst {
		names = append(names, n)
	}
	sort.Strings(names)
	s := fmt.Sprintf("worst relative errors of the %s gradient checks:", what)
	overall := 0.0
	for _, n := range names {
		s += fmt.Sprintf("\n  %-22s %.3g", n, worst[n])
		overall = max(overall, worst[n])
	}
	t.Logf("%s\n  %-22s %.3g", s, "ALL", overall)
}

// TestLossGradients checks EvalLoss's gradient for every loss, reduction and
// with and without weights against central differences of its value.
func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n = 12
	pred, target, weights := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		pred[i] = 3 * rng.NormFloat64()
		target[i] = rng.NormFloat64()
		weights[i] = rng.Float64()
	}
	// Keep every difference away from the kinks at |d| = δ, β.
	for i := range n {
		for _, k := range []float64{0.5, 1, 2} {
			if d := pred[i] - target[i]; math.Abs(math.Abs(d)-k) < 1e-3 {
				pred[i] += 0.01
			}
		}
	}
	losses := []Loss{MSE{}, Huber{Delta: 1}, Huber{Delta: 2}, SmoothL1{Beta: 1}, SmoothL1{Beta: 0.5}}
	reds := map[Reduction]string{ReduceMean: "mean", ReduceSum: "sum", ReduceNone: "none"}
	summary := map[string]float64{}
	for _, loss := range losses {
		for red, rname := range reds {
			for _, w := range [][]float64{nil, weights} {
				name := fmt.Sprintf("%s%v/%s/weights=%v", loss.Name(), loss, rname, w != nil)
				grad := make([]float64, n)
				EvalLoss(loss, red, pred, target, w, grad, nil)
				numeric := fd.Gradient(nil, func(p []float64) float64 {
					return EvalLoss(loss, red, p, target, w, make([]float64, n), nil)
				}, pred, &fd.Settings{Formula: fd.Central, Step: 1e-6})
				worst := 0.0
				for i := range n {
					e := relErr(grad[i], numeric[i])
					if e > gradTol {
						t.Errorf("%s: ∂L/∂pred[%d] = %v, numeric %v", name, i, grad[i], numeric[i])
					}
					worst = max(worst, e)
				}
				summary[name] = worst
			}
		}
	}
	logWorst(t, "losses", summary)
}

// TestGradientsAccumulate checks that Backward adds to the gradients.
func TestGradientsAccumulate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, specs := range [][]LayerSpec{MLP([]int{5}, 2), {Conv2D(2, 3, 1, 1), BatchNorm(), Flatten(), Dueling(2, 3)}} {
		in := []int{3}
		if specs[0].Kind == "conv2d" {
			in = []int{2, 4, 4}
		}
		m, _ := Build[float64](in, specs, rng)
		x := randTensor(rng, append([]int{4}, in...)...)
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
}

// TestBackwardParams checks that BackwardParams accumulates exactly the
// gradients of Backward.
func TestBackwardParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, specs := range [][]LayerSpec{
		MLP([]int{6}, 3),
		{Flatten(), Dense(4), Tanh(), Dueling(3, 0)},
		{Conv2D(3, 3, 2, 1), ReLU(), Flatten(), Dense(3)},
		{Dueling(3, 5)},
		{Tanh(), Softmax(-1)},
	} {
		in := []int{2, 5, 5}
		m, err := Build[float64](in, specs, rng)
		if err != nil {
			t.Fatal(err)
		}
		x := randTensor(rng, append([]int{3}, in...)...)
		dy := randTensor(rng, append([]int{3}, m.OutShape()...)...)
		m.Forward(x)
		m.Backward(dy)
		var want [][]float64
		for _, p := range m.Params() {
			want = append(want, append([]float64(nil), p.Grad.Data...))
		}
		m.ZeroGrad()
		m.Forward(x)
		m.BackwardParams(dy)
		for i, p := range m.Params() {
			if !equalBits(p.Grad.Data, want[i]) {
				t.Fatalf("%v: %s differs between Backward and BackwardParams", specs, p.Name)
			}
		}
	}
}

// TestFloat32MatchesFloat64 runs every layer kind in float32 and in float64
// with the same weights and inputs: outputs, input gradients and parameter
// gradients agree to float32 round-off.
func TestFloat32MatchesFloat64(t *testing.T) {
	for _, c := range []struct {
		in    []int
		specs []LayerSpec
	}{
		{[]int{2, 6, 6}, []LayerSpec{Conv2D(4, 3, 1, 1), BatchNorm(), LeakyReLU(0.1), Conv2D(3, 2, 2, 0), Tanh(), Flatten(),
			LayerNorm(-1), Dense(8), Sigmoid(), Dueling(3, 5), LogSoftmax(-1)}},
		{[]int{1, 3, 5, 5}, []LayerSpec{Conv3D(3, 2, 1, 1), BatchNorm(), ReLU(), Softmax(1), Flatten(), Dense(4), Softmax(-1)}},
	} {
		rng := rand.New(rand.NewPCG(91, 92))
		m64, err := Build[float64](c.in, c.specs, rng)
		if err != nil {
			t.Fatal(err)
		}
		randomizeAffine(m64, rng)
		p, _ := MarshalModel(m64)
		m32, err := UnmarshalModel[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		// Round the float64 weights to float32 so that both start alike.
		p, _ = MarshalModel(m32)
		m64, _ = UnmarshalModel[float64](p)
		x64 := randTensor(rng, append([]int{4}, c.in...)...)
		x32 := New[float32](x64.Shape...)
		for i, v := range x64.Data {
			x32.Data[i] = float32(v)
			x64.Data[i] = float64(x32.Data[i])
		}
		y64 := m64.Forward(x64)
		y32 := m32.Forward(x32)
		closeTo(t, "y", y32.Data, y64.Data, 1e-5)
		dy64 := randTensor(rng, y64.Shape...)
		dy32 := New[float32](dy64.Shape...)
		for i, v := range dy64.Data {
			dy32.Data[i] = float32(v)
			dy64.Data[i] = float64(dy32.Data[i])
		}
		closeTo(t, "dx", m32.Backward(dy32).Data, m64.Backward(dy64).Data, 1e-5)
		for i, p := range m32.Params() {
			closeTo(t, p.Name+".grad", p.Grad.Data, m64.Params()[i].Grad.Data, 1e-5)
		}
		for i, b := range m32.Buffers() {
			closeTo(t, b.Name, b.Value.Data, m64.Buffers()[i].Value.Data, 1e-6)
		}
	}
}
