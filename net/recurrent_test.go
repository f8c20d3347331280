package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var recurrentCases = []struct {
	name  string
	in    []int
	specs []LayerSpec
}{
	{"mlp-lstm-dense", []int{3}, []LayerSpec{Dense(5), Tanh(), LSTM(4), Dense(3)}},
	{"lstm-dueling", []int{3}, []LayerSpec{LSTM(4), Dueling(3, 0)}},
	{"conv-lstm", []int{1, 4, 4}, []LayerSpec{Conv2D(2, 3, 1, 0), Tanh(), Flatten(), LSTM(3), Dense(4), Tanh(), Dense(2)}},
	{"mlp-lstm", []int{2}, []LayerSpec{Dense(3), Sigmoid(), LSTM(3)}},
}

// TestRecurrentGradients checks every parameter, input and initial-state
// gradient of recurrent models (torso → LSTM → head) against central
// differences, under full and truncated BPTT (the truncated side as in
// TestLSTMGradients: window-start states held constant).
func TestRecurrentGradients(t *testing.T) {
	const bs, n = 2, 5
	summary := map[string]float64{}
	for _, c := range recurrentCases {
		for _, tau := range []int{0, 2} {
			name := fmt.Sprintf("%s/tau=%d", c.name, tau)
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(21, uint64(tau)))
				m, err := BuildRecurrent[float64](c.in, c.specs, rng)
				if err != nil {
					t.Fatal(err)
				}
				hid := m.LSTM.Hidden
				x := randTensor(rng, append([]int{bs, n}, c.in...)...)
				h0, c0 := randTensor(rng, bs, hid), randTensor(rng, bs, hid)
				r := randTensor(rng, append([]int{bs, n}, m.OutShape()...)...)
				w := tau
				if w == 0 {
					w = n
				}
				var starts [][2]*Tensor[float64]
				m.SetState(h0, c0)
				for t0 := 0; t0 < n; t0 += w {
					h, c := m.State()
					starts = append(starts, [2]*Tensor[float64]{h.Clone(), c.Clone()})
					m.Forward(steps(x, t0, min(t0+w, n)))
				}
				loss := func() float64 {
					s := 0.0
					for k, st := range starts {
						if k == 0 {
							m.SetState(h0, c0)
						} else {
							m.SetState(st[0], st[1])
						}
						t0 := k * w
						y := m.Forward(steps(x, t0, min(t0+w, n)))
						rw := steps(r, t0, min(t0+w, n))
						for i, v := range y.Data {
							s += rw.Data[i] * v
						}
					}
					return s
				}
				m.LSTM.Truncate = tau
				m.SetState(h0, c0)
				m.Forward(x)
				m.ZeroGrad()
				dx := m.Backward(r).Clone()
				if !slices.Equal(dx.Shape, x.Shape) {
					t.Fatalf("∂L/∂x has shape %v, x %v", dx.Shape, x.Shape)
				}
				dh0, dc0 := m.LSTM.StateGrad()
				dh0, dc0 = dh0.Clone(), dc0.Clone()
				worst := 0.0
				for _, p := range m.Params() {
					worst = max(worst, numericCheck(t, p.Name, p.Value.Data, p.Grad.Data, loss))
				}
				worst = max(worst, numericCheck(t, "x", x.Data, dx.Data, loss))
				worst = max(worst, numericCheck(t, "h0", h0.Data, dh0.Data, loss))
				worst = max(worst, numericCheck(t, "c0", c0.Data, dc0.Data, loss))
				summary[name] = worst
			})
		}
	}
	logWorst(t, "recurrent", summary)
}

// TestRecurrentStep checks that acting one step at a time (Step, state
// carried) gives the outputs of Forward over the whole sequence, and that
// BackwardParams accumulates exactly Backward's parameter gradients.
func TestRecurrentStep(t *testing.T) {
	const bs, n = 3, 6
	for _, c := range recurrentCases {
		rng := rand.New(rand.NewPCG(5, 5))
		m, err := BuildRecurrent[float64](c.in, c.specs, rng)
		if err != nil {
			t.Fatal(err)
		}
		x := randTensor(rng, append([]int{bs, n}, c.in...)...)
		whole := m.Forward(x).Clone()
		if want := append([]int{bs, n}, m.OutShape()...); !slices.Equal(whole.Shape, want) {
			t.Fatalf("%s: output %v, want %v", c.name, whole.Shape, want)
		}
		m.ResetState()
		per := numel(m.OutShape())
		for s := range n {
			xs := steps(x, s, s+1)
			q := m.Step(FromSlice(xs.Data, append([]int{bs}, c.in...)...))
			if want := append([]int{bs}, m.OutShape()...); !slices.Equal(q.Shape, want) {
				t.Fatalf("%s: Step output %v, want %v", c.name, q.Shape, want)
			}
			for b := range bs {
				closeTo(t, fmt.Sprintf("%s step %d sample %d", c.name, s, b), q.Data[b*per:(b+1)*per], whole.Data[(b*n+s)*per:(b*n+s+1)*per], 1e-12)
			}
		}

		dy := randTensor(rng, whole.Shape...)
		m.ResetState()
		m.Forward(x)
		m.ZeroGrad()
		m.Backward(dy)
		var want [][]float64
		for _, p := range m.Params() {
			want = append(want, slices.Clone(p.Grad.Data))
		}
		m.ResetState()
		m.Forward(x)
		m.ZeroGrad()
		m.BackwardParams(dy)
		for i, p := range m.Params() {
			if !equalBits(p.Grad.Data, want[i]) {
				t.Errorf("%s: %s differs between Backward and BackwardParams", c.name, p.Name)
			}
		}
	}
}

// TestRecurrentCheckpoint round-trips recurrent models through
// MarshalRecurrent bit for bit, across dtypes, and checks the errors for
// models that are not what the caller expects.
func TestRecurrentCheckpoint(t *testing.T) {
	for _, c := range recurrentCases {
		rng := rand.New(rand.NewPCG(8, 8))
		m, err := BuildRecurrent[float32](c.in, c.specs, rng)
		if err != nil {
			t.Fatal(err)
		}
		p, err := MarshalRecurrent(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalRecurrent[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Specs(), m.Specs()) || !slices.Equal(got.InShape, m.InShape) {
			t.Fatalf("%s: architecture %v, want %v", c.name, got.Specs(), m.Specs())
		}
		for i, p := range got.Params() {
			if p.Name != m.Params()[i].Name || !equalBits(p.Value.Data, m.Params()[i].Value.Data) {
				t.Fatalf("%s: parameter %s differs after the round trip", c.name, p.Name)
			}
		}
		x := New[float32](append([]int{2, 3}, c.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		if !equalBits(got.Forward(x).Data, m.Forward(x).Data) {
			t.Fatalf("%s: outputs differ after the round trip", c.name)
		}
		// The names follow one module list: torso 0…k−1, LSTM k, head k+1….
		k := slices.IndexFunc(c.specs, func(s LayerSpec) bool { return s.Kind == "lstm" })
		if want := fmt.Sprintf("%d.weight_ih_l0", k); m.LSTM.Wih.Name != want {
			t.Errorf("%s: LSTM weight named %q, want %q", c.name, m.LSTM.Wih.Name, want)
		}
		last := m.Params()[len(m.Params())-1].Name
		if !strings.HasPrefix(last, fmt.Sprintf("%d.", len(c.specs)-1)) {
			t.Errorf("%s: last parameter named %q", c.name, last)
		}
		m64, err := UnmarshalRecurrent[float64](p)
		if err != nil {
			t.Fatal(err)
		}
		if m64.NumParams() != m.NumParams() {
			t.Fatalf("%s: %d parameters in float64, %d in float32", c.name, m64.NumParams(), m.NumParams())
		}
		clone := m.Clone()
		got.ResetState() // the clone starts from zeros, got carries its state
		if !equalBits(clone.Forward(x).Data, got.Forward(x).Data) {
			t.Fatalf("%s: Clone computes differently", c.name)
		}
		// A damaged payload is an error, never a panic.
		if _, err := UnmarshalRecurrent[float32](p[:len(p)-4]); err == nil {
			t.Errorf("%s: a truncated payload decoded", c.name)
		}
		if _, err := UnmarshalModel[float32](p); err == nil || !strings.Contains(err.Error(), "BuildRecurrent") {
			t.Errorf("%s: UnmarshalModel of a recurrent model: %v, want an error naming BuildRecurrent", c.name, err)
		}
	}
	seq, _ := Build[float32]([]int{3}, MLP([]int{4}, 2), rand.New(rand.NewPCG(1, 1)))
	p, _ := MarshalModel(seq)
	if _, err := UnmarshalRecurrent[float32](p); err == nil || !strings.Contains(err.Error(), "lstm") {
		t.Errorf("UnmarshalRecurrent of a feed-forward model: %v, want an error asking for an lstm layer", err)
	}
	for _, bad := range [][]LayerSpec{
		{Dense(3), Dense(2)},
		{LSTM(3), LSTM(3)},
		{LSTM(0)},
		{{Kind: "lstm", Units: 3, Slope: 1}},
		{{Kind: "lstm", Units: 3, Init: "nope"}},
	} {
		if _, err := BuildRecurrent[float32]([]int{3}, bad, nil); err == nil {
			t.Errorf("BuildRecurrent(%v) succeeded", bad)
		}
	}
}

// FuzzUnmarshalRecurrent: arbitrary payloads give a model or an error, never a
// panic or an absurd allocation.
func FuzzUnmarshalRecurrent(f *testing.F) {
	m, _ := BuildRecurrent[float32]([]int{3}, []LayerSpec{Dense(4), ReLU(), LSTM(3), Dense(2)}, rand.New(rand.NewPCG(1, 1)))
	p, _ := MarshalRecurrent(m)
	f.Add(p)
	f.Add(p[:40])
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := UnmarshalRecurrent[float32](p)
		if err == nil && m.LSTM == nil {
			t.Fatal("a model without an LSTM")
		}
	})
}

// TestRecurrentDeadReLU: a torso whose ReLUs never fire counts all its
// units dead, the head's live ones not.
func TestRecurrentDeadReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m, err := BuildRecurrent[float64]([]int{3}, []LayerSpec{Dense(6), ReLU(), LSTM(4), Dense(2), ReLU()}, rng)
	if err != nil {
		t.Fatal(err)
	}
	torso := m.Torso.Layers[0].(*DenseLayer[float64])
	clear(torso.W.Value.Data)
	for i := range torso.B.Value.Data {
		torso.B.Value.Data[i] = -1
	}
	head := m.Head.Layers[0].(*DenseLayer[float64])
	clear(head.W.Value.Data)
	for i := range head.B.Value.Data {
		head.B.Value.Data[i] = 1
	}
	m.Forward(randTensor(rng, 2, 3, 3))
	if got, want := m.DeadReLUFraction(), 6.0/8; got != want {
		t.Fatalf("dead fraction %v, want %v (6 dead torso units of 8)", got, want)
	}
}

// BenchmarkRecurrentStep measures acting: one Step of one observation with
// the state carried, for a CartPole-sized DRQN (2 → Dense 64 → LSTM 64 → 2)
// and a MinAtar-sized one (4×10×10 → Conv 16 3×3 → LSTM 128 → 6).
func BenchmarkRecurrentStep(b *testing.B) {
	for _, c := range []struct {
		name  string
		in    []int
		specs []LayerSpec
	}{
		{"cartpole-pomdp", []int{2}, []LayerSpec{Dense(64), ReLU(), LSTM(64), Dense(2)}},
		{"minatar", []int{4, 10, 10}, append(MinAtarTrunk(), LSTM(128), Dense(6))},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, err := BuildRecurrent[float32](c.in, c.specs, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			x := New[float32](append([]int{1}, c.in...)...)
			m.Step(x)
			b.ReportAllocs()
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				m.Step(x)
			}
			if cpu1, ok := cpuTime(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/step")
			}
		})
	}
}

// TestRecurrentLearnsMemory trains a small recurrent model with Adam to
// recall, at the last of T = 6 steps, the sign it saw at step 0 (zeros in
// between): a task no feed-forward model of the current input can do
// better than MSE 1 on. Full BPTT must learn it. (Truncated BPTT with τ = 2
// is logged for comparison: it learns it too, through the forget gates it
// shares with the last window, which the random initial weights already feed
// with the sign; truncation does not guarantee forgetting.)
func TestRecurrentLearnsMemory(t *testing.T) {
	const bs, n, updates = 32, 6, 300
	final := map[int]float64{}
	for _, tau := range []int{0, 2} {
		rng := rand.New(rand.NewPCG(3, 1))
		m, err := BuildRecurrent[float64]([]int{1}, []LayerSpec{LSTM(8), Dense(1)}, rng)
		if err != nil {
			t.Fatal(err)
		}
		m.LSTM.Truncate = tau
		cfg := DefaultAdam()
		cfg.LR = 0.02
		opt := NewAdam(m.Params(), cfg)
		x, dq := New[float64](bs, n, 1), New[float64](bs, n, 1)
		target := make([]float64, bs)
		mse := 0.0
		for range updates {
			clear(x.Data)
			for b := range bs {
				target[b] = float64(2*rng.IntN(2) - 1)
				x.Data[b*n] = target[b]
			}
			m.ResetState()
			q := m.Forward(x)
			clear(dq.Data)
			mse = 0
			for b := range bs {
				d := q.Data[b*n+n-1] - target[b]
				mse += d * d / bs
				dq.Data[b*n+n-1] = 2 * d / bs
			}
			opt.ZeroGrad()
			m.BackwardParams(dq)
			opt.Step()
		}
		final[tau] = mse
	}
	t.Logf("MSE after %d updates: full BPTT %.4f, truncated τ = 2 %.4f", updates, final[0], final[2])
	if final[0] > 0.05 {
		t.Errorf("full BPTT did not learn to recall step 0: MSE %.4f after %d updates", final[0], updates)
	}
}

// TestLSTMInit: PyTorch's default draws every LSTM parameter from
// U(±1/√H); another initialiser (WithInit) draws the weights from its
// fans and its bias rule (zero biases for Xavier).
func TestLSTMInit(t *testing.T) {
	const hid = 16
	m, err := BuildRecurrent[float64]([]int{5}, []LayerSpec{LSTM(hid)}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	bound := 1 / math.Sqrt(hid)
	for _, p := range m.Params() {
		lo, hi := slices.Min(p.Value.Data), slices.Max(p.Value.Data)
		if lo < -bound || hi > bound || hi-lo < bound {
			t.Errorf("%s in [%v, %v], want spread over U(±%v)", p.Name, lo, hi, bound)
		}
	}
	m, err = BuildRecurrent[float64]([]int{5}, WithInit([]LayerSpec{LSTM(hid)}, "xavier_uniform"), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Specs()[0].Init != "xavier_uniform" {
		t.Fatalf("spec %+v lost its initialiser", m.Specs()[0])
	}
	for _, c := range []struct {
		p           *Param[float64]
		fanIn, fanO int
	}{{m.LSTM.Wih, 5, 4 * hid}, {m.LSTM.Whh, hid, 4 * hid}} {
		b := math.Sqrt(6 / float64(c.fanIn+c.fanO))
		if lo, hi := slices.Min(c.p.Value.Data), slices.Max(c.p.Value.Data); lo < -b || hi > b || hi-lo < b {
			t.Errorf("%s in [%v, %v], want Xavier's U(±%v)", c.p.Name, lo, hi, b)
		}
	}
	if slices.ContainsFunc(append(slices.Clone(m.LSTM.Bih.Value.Data), m.LSTM.Bhh.Value.Data...), func(v float64) bool { return v != 0 }) {
		t.Error("Xavier left non-zero LSTM biases")
	}
}
