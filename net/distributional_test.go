package net

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// wave2Ref is testdata/wave2_dist.json, the c51 and qr parts of
// shared/testdata/torch/wave2_public.json (PyTorch 1.13, float64).
type wave2Ref struct {
	C51 []struct {
		Atoms        int         `json:"atoms"`
		VMin         float64     `json:"v_min"`
		VMax         float64     `json:"v_max"`
		GammaN       float64     `json:"gamma_n"`
		NextProbs    [][]float64 `json:"next_probs"`
		Reward       []float64   `json:"reward"`
		Done         []float64   `json:"done"`
		Projected    [][]float64 `json:"projected"`
		Logits       [][]float64 `json:"logits"`
		CrossEntropy float64     `json:"cross_entropy"`
		GradLogits   [][]float64 `json:"grad_logits"`
	} `json:"c51"`
	QR []struct {
		Quantiles int         `json:"quantiles"`
		Kappa     float64     `json:"kappa"`
		Theta     [][]float64 `json:"theta"`
		Target    [][]float64 `json:"target"`
		LossDef   string      `json:"loss_def"`
		Loss      float64     `json:"loss"`
		GradTheta [][]float64 `json:"grad_theta"`
	} `json:"qr"`
}

func readWave2(t *testing.T) wave2Ref {
	t.Helper()
	b, err := os.ReadFile("testdata/wave2_dist.json")
	if err != nil {
		t.Fatal(err)
	}
	var r wave2Ref
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.C51) == 0 || len(r.QR) == 0 {
		t.Fatal("testdata/wave2_dist.json has no c51 or qr case")
	}
	return r
}

// as converts float64 reference values to T (rounding to float32 for float32).
func as[T Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// maxErr returns the largest |got − want| and the largest
// |got − want|/max(|want|, 1).
func maxErr[T Float](got []T, want []float64) (abs, rel float64) {
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		abs = max(abs, d)
		rel = max(rel, d/math.Max(math.Abs(w), 1))
	}
	return abs, rel
}

// c51Against runs the reference's C51 case in T and returns the worst
// relative errors (projection, loss, gradient).
func c51Against[T Float](t *testing.T, r wave2Ref) (proj, loss, grad float64) {
	for _, c := range r.C51 {
		s := Support{VMin: c.VMin, VMax: c.VMax, Atoms: c.Atoms}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		bs, n := len(c.Reward), c.Atoms
		disc := make([]float64, bs)
		for b, d := range c.Done {
			disc[b] = (1 - d) * c.GammaN
		}
		m := make([]T, bs*n)
		ProjectCategorical(s, as[T](slices.Concat(c.NextProbs...)), as[T](c.Reward), as[T](disc), m)
		_, e := maxErr(m, slices.Concat(c.Projected...))
		proj = max(proj, e)

		// The loss against the reference's projection (rounded to T), so that
		// its error measures the loss alone.
		g := make([]T, bs*n)
		per := make([]T, bs)
		l := CategoricalCrossEntropy(as[T](slices.Concat(c.Logits...)), as[T](slices.Concat(c.Projected...)), n, nil, g, per)
		loss = max(loss, math.Abs(l-c.CrossEntropy)/math.Abs(c.CrossEntropy))
		_, e = maxErr(g, slices.Concat(c.GradLogits...))
		grad = max(grad, e)
		mean := 0.0
		for _, v := range per {
			mean += float64(v) / float64(bs)
		}
		if math.Abs(mean-l) > 1e-6*math.Abs(l) {
			t.Errorf("mean of per-sample losses %v, loss %v", mean, l)
		}
	}
	return proj, loss, grad
}

// TestC51MatchesPyTorch checks the projection, the cross-entropy and its
// gradient against PyTorch's float64 numbers: float64 to 1e-13, float32 (with
// inputs rounded to float32) to 2e-6 relative.
func TestC51MatchesPyTorch(t *testing.T) {
	r := readWave2(t)
	p64, l64, g64 := c51Against[float64](t, r)
	p32, l32, g32 := c51Against[float32](t, r)
	t.Logf("C51 max errors vs PyTorch: float64 projection %.3g, loss %.3g, grad %.3g; float32 projection %.3g, loss %.3g, grad %.3g",
		p64, l64, g64, p32, l32, g32)
	if max(p64, l64, g64) > 1e-13 {
		t.Errorf("float64 errors %.3g, %.3g, %.3g exceed 1e-13", p64, l64, g64)
	}
	if max(p32, l32, g32) > 2e-6 {
		t.Errorf("float32 errors %.3g, %.3g, %.3g exceed 2e-6", p32, l32, g32)
	}
}

// TestQuantileHuberMatchesPyTorch checks the QR-DQN loss and its gradient
// against PyTorch's float64 numbers, as TestC51MatchesPyTorch.
func TestQuantileHuberMatchesPyTorch(t *testing.T) {
	r := readWave2(t)
	run := func(is32 bool) (lossErr, gradErr float64) {
		for _, c := range r.QR {
			if c.LossDef != "mean over batch of mean over j of sum over i of |tau_i - 1{u_ij<0}| * huber_kappa(u_ij)/kappa, u_ij = target_j - theta_i" {
				t.Fatalf("the reference defines its loss as %q", c.LossDef)
			}
			bs := len(c.Theta)
			var l float64
			var g []float64
			if is32 {
				g32 := make([]float32, bs*c.Quantiles)
				l = QuantileHuberLoss(as[float32](slices.Concat(c.Theta...)), nil, as[float32](slices.Concat(c.Target...)), bs, c.Kappa, nil, g32, nil)
				g = as[float64](nil)
				for _, v := range g32 {
					g = append(g, float64(v))
				}
			} else {
				g = make([]float64, bs*c.Quantiles)
				l = QuantileHuberLoss(slices.Concat(c.Theta...), nil, slices.Concat(c.Target...), bs, c.Kappa, nil, g, nil)
			}
			lossErr = max(lossErr, math.Abs(l-c.Loss)/c.Loss)
			_, e := maxErr(g, slices.Concat(c.GradTheta...))
			gradErr = max(gradErr, e)
		}
		return lossErr, gradErr
	}
	l64, g64 := run(false)
	l32, g32 := run(true)
	t.Logf("QR max errors vs PyTorch: float64 loss %.3g, grad %.3g; float32 loss %.3g, grad %.3g", l64, g64, l32, g32)
	if max(l64, g64) > 1e-13 {
		t.Errorf("float64 errors %.3g, %.3g exceed 1e-13", l64, g64)
	}
	if max(l32, g32) > 2e-6 {
		t.Errorf("float32 errors %.3g, %.3g exceed 2e-6", l32, g32)
	}
}

// TestProjectCategoricalCases checks the projection on cases worked by hand:
// a terminal transition puts all mass on clip(r), split between the two atoms
// around it; a target on an atom keeps all its mass; clipping; and mass is
// conserved for random inputs.
func TestProjectCategoricalCases(t *testing.T) {
	s := Support{VMin: -2, VMax: 2, Atoms: 5} // z = −2, −1, 0, 1, 2
	next := []float64{0.1, 0.2, 0.3, 0.25, 0.15}
	// "halve": z/2 = −1, −0.5, 0, 0.5, 1: 0.1 → atom 1; 0.2 half to 1, half
	// to 2; 0.3 → 2; 0.25 half to 2, half to 3; 0.15 → 3.
	cases := []struct {
		name           string
		reward, discnt float64
		want           []float64
	}{
		{"terminal on an atom", 1, 0, []float64{0, 0, 0, 1, 0}},
		{"terminal between atoms", 0.25, 0, []float64{0, 0, 0.75, 0.25, 0}},
		{"terminal clipped high", 7, 0, []float64{0, 0, 0, 0, 1}},
		{"terminal clipped low", -7, 0, []float64{1, 0, 0, 0, 0}},
		{"shift by one atom", 1, 1, []float64{0, 0.1, 0.2, 0.3, 0.4}},
		{"halve", 0, 0.5, []float64{0, 0.2, 0.525, 0.275, 0}},
	}
	for _, c := range cases {
		m := make([]float64, 5)
		ProjectCategorical(s, next, []float64{c.reward}, []float64{c.discnt}, m)
		for i := range m {
			if math.Abs(m[i]-c.want[i]) > 1e-15 {
				t.Errorf("%s: m = %v, want %v", c.name, m, c.want)
				break
			}
		}
	}
	// Supports where (VMax − VMin)/Δz rounds above Atoms − 1: a target at
	// VMax must still land on the last atom.
	for _, s := range []Support{{-10, 10, 62}, {-10, 10, 155}, {-10, 100, 50}} {
		next := make([]float64, s.Atoms)
		next[3] = 1
		m := make([]float64, s.Atoms)
		ProjectCategorical(s, next, []float64{1e3}, []float64{0}, m)
		if m[s.Atoms-1] != 1 {
			t.Errorf("support %+v: a target beyond v_max gives m[last] = %v, want 1", s, m[s.Atoms-1])
		}
	}
	rng := rand.New(rand.NewPCG(4, 5))
	s = Support{VMin: -10, VMax: 10, Atoms: 51}
	const bs = 16
	p := make([]float64, bs*51)
	r, g := make([]float64, bs), make([]float64, bs)
	for b := range bs {
		sum := 0.0
		for i := range 51 {
			p[b*51+i] = rng.Float64()
			sum += p[b*51+i]
		}
		for i := range 51 {
			p[b*51+i] /= sum
		}
		r[b] = 8 * rng.NormFloat64()
		g[b] = 0.99 * float64(rng.IntN(2))
	}
	m := make([]float64, bs*51)
	ProjectCategorical(s, p, r, g, m)
	for b := range bs {
		sum := 0.0
		for _, v := range m[b*51 : (b+1)*51] {
			if v < 0 {
				t.Fatalf("negative mass %v", v)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("sample %d: projected mass %v, want 1", b, sum)
		}
	}
}

// TestCategoricalQ checks Q = Σ z·softmax(logits) on a hand case and that the
// probabilities sum to one.
func TestCategoricalQ(t *testing.T) {
	s := Support{VMin: -1, VMax: 1, Atoms: 3}
	l2 := math.Log(2)
	// Action 0: p = (¼, ¼, ½) -> Q = ¼; action 1: p = (1, 0, 0) in the limit.
	logits := []float64{0, 0, l2, 1000, -1000, -1000}
	probs := make([]float64, 6)
	q := make([]float64, 2)
	CategoricalQ(s, logits, probs, q)
	if math.Abs(q[0]-0.25) > 1e-15 || q[1] != -1 {
		t.Errorf("Q = %v, want [0.25 -1]", q)
	}
	if math.Abs(probs[2]-0.5) > 1e-15 || probs[3] != 1 {
		t.Errorf("probs = %v", probs)
	}
}

// TestDistributionalLossGradients checks the cross-entropy and quantile Huber
// gradients, with importance weights and IQN's per-sample τ, against central
// differences.
func TestDistributionalLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	const bs, n, nt = 3, 5, 4
	w := make([]float64, bs)
	for i := range w {
		w[i] = 0.2 + rng.Float64()
	}
	check := func(name string, x []float64, f func(x, grad []float64) float64) {
		grad := make([]float64, len(x))
		f(x, grad)
		num := fd.Gradient(nil, func(v []float64) float64 { return f(v, make([]float64, len(v))) },
			slices.Clone(x), &fd.Settings{Formula: fd.Central, Step: 1e-6})
		worst := 0.0
		for i := range x {
			e := relErr(grad[i], num[i])
			if e > gradTol {
				t.Errorf("%s: ∂L/∂x[%d] = %v, numeric %v", name, i, grad[i], num[i])
			}
			worst = max(worst, e)
		}
		t.Logf("%s: worst relative error %.3g", name, worst)
	}

	logits := randTensor(rng, bs, n).Data
	m := make([]float64, bs*n)
	for b := range bs {
		sum := 0.0
		for i := range n {
			m[b*n+i] = rng.Float64()
			sum += m[b*n+i]
		}
		for i := range n {
			m[b*n+i] /= sum
		}
	}
	for _, ws := range [][]float64{nil, w} {
		check("cross-entropy", logits, func(x, g []float64) float64 {
			return CategoricalCrossEntropy(x, m, n, ws, g, nil)
		})
	}

	theta := randTensor(rng, bs, n).Data
	target := randTensor(rng, bs, nt).Data
	tau := make([]float64, bs*n)
	for i := range tau {
		tau[i] = rng.Float64()
	}
	// Keep every |u| away from the kink of H at κ and from 0.
	for _, kappa := range []float64{1, 0.5} {
		for b := range bs {
			for i := range n {
				for j := range nt {
					u := target[b*nt+j] - theta[b*n+i]
					if math.Abs(math.Abs(u)-kappa) < 1e-3 || math.Abs(u) < 1e-3 {
						theta[b*n+i] += 0.01
					}
				}
			}
		}
		for _, c := range []struct {
			tau, w []float64
		}{{nil, nil}, {tau, nil}, {tau, w}} {
			check("quantile huber", theta, func(x, g []float64) float64 {
				return QuantileHuberLoss(x, c.tau, target, bs, kappa, c.w, g, nil)
			})
		}
	}
}

// TestGatherScatterAction checks that ScatterAction is the adjoint of
// GatherAction: ⟨gather(x), g⟩ = ⟨x, scatter(g)⟩.
func TestGatherScatterAction(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const bs, na, n = 4, 3, 5
	x := randTensor(rng, bs, na, n).Data
	g := randTensor(rng, bs, n).Data
	actions := []int{2, 0, 1, 2}
	out := make([]float64, bs*n)
	GatherAction(x, actions, out)
	if !slices.Equal(out[n:2*n], x[na*n:na*n+n]) {
		t.Fatalf("gathered row 1 %v, want x[1,0,:]", out[n:2*n])
	}
	dx := make([]float64, bs*na*n)
	ScatterAction(g, actions, dx)
	a, b := 0.0, 0.0
	for i := range out {
		a += out[i] * g[i]
	}
	for i := range dx {
		b += x[i] * dx[i]
	}
	if math.Abs(a-b) > 1e-12 {
		t.Errorf("⟨gather x, g⟩ = %v, ⟨x, scatter g⟩ = %v", a, b)
	}
}

// TestQRDQNLearnsReturnQuantiles runs QR-DQN policy evaluation on the chain of
// TestC51LearnsReturnDistribution (s0 → s1 with reward 0, then ±1 with
// probability ½, γ = 0.9) with N = 4 quantiles at τ = ⅛, ⅜, ⅝, ⅞ of a
// Dense(A·N) head: the targets are r + γ·θ(s′) (r alone at the end), and the
// learnt quantiles must be (−0.9, −0.9, 0.9, 0.9) at s0 and (−1, −1, 1, 1) at
// s1, with QuantileQ ≈ 0. A small κ makes the minimiser the quantile itself.
func TestQRDQNLearnsReturnQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	const bs, n, kappa = 32, 4, 0.01
	online, err := Build[float64]([]int{2}, []LayerSpec{Dense(16), ReLU(), Dense(1 * n)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	target := online.Clone()
	opt := NewAdam(online.Params(), AdamConfig{LR: 3e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	s, s2 := New[float64](bs, 2), New[float64](bs, 2)
	y, theta, g := make([]float64, bs*n), make([]float64, bs*n), make([]float64, bs*n)
	actions := make([]int, bs) // one action
	for step := range 2000 {
		if step%20 == 0 {
			target.CopyFrom(online)
		}
		clear(s.Data)
		clear(s2.Data)
		reward, disc := make([]float64, bs), make([]float64, bs)
		for b := range bs {
			if rng.IntN(2) == 0 {
				s.Data[b*2], s2.Data[b*2+1], disc[b] = 1, 1, 0.9
			} else {
				s.Data[b*2+1], reward[b] = 1, float64(2*rng.IntN(2)-1)
			}
		}
		next := target.Forward(s2)
		GatherAction(next.Data, actions, y)
		for b := range bs {
			for j := range n {
				y[b*n+j] = reward[b] + disc[b]*y[b*n+j]
			}
		}
		out := online.Forward(s)
		GatherAction(out.Data, actions, theta)
		QuantileHuberLoss(theta, nil, y, bs, kappa, nil, g, nil)
		dout := New[float64](bs, n)
		ScatterAction(g, actions, dout.Data)
		opt.ZeroGrad()
		online.BackwardParams(dout)
		opt.Step()
	}
	out := online.Forward(FromSlice([]float64{1, 0, 0, 1}, 2, 2))
	q := make([]float64, 2)
	QuantileQ(out.Data, q)
	t.Logf("θ(s0) = %.3f, θ(s1) = %.3f, Q = %.3f", out.Data[:n], out.Data[n:], q)
	want := []float64{-0.9, -0.9, 0.9, 0.9, -1, -1, 1, 1}
	for i, w := range want {
		if math.Abs(out.Data[i]-w) > 0.05 {
			t.Errorf("θ = %.3f, want %v", out.Data, want)
			break
		}
	}
	if math.Abs(q[0]) > 0.05 || math.Abs(q[1]) > 0.05 {
		t.Errorf("Q = %v, want about 0", q)
	}
}
