package net

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// nested is a tensor written as nested JSON lists, as in
// testdata/lstm.json (from the shared wave2_public.json).
type nested struct{ t torchTensor }

func (n *nested) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.t = torchTensor{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		switch v := v.(type) {
		case []any:
			if len(n.t.Shape) == depth {
				n.t.Shape = append(n.t.Shape, len(v))
			}
			for _, x := range v {
				walk(x, depth+1)
			}
		case float64:
			n.t.Data = append(n.t.Data, v)
		}
	}
	walk(v, 0)
	return nil
}

type lstmCase struct {
	Batch, Seq, Input, Hidden int
	GateOrder                 string `json:"gate_order"`
	WIH                       nested `json:"w_ih"`
	WHH                       nested `json:"w_hh"`
	BIH                       nested `json:"b_ih"`
	BHH                       nested `json:"b_hh"`
	X, H0, C0                 nested
	GradY                     nested `json:"grad_y"`
	Full                      struct {
		Y, HT, CT nested
		GradX     nested `json:"grad_x"`
		GradH0    nested `json:"grad_h0"`
		GradC0    nested `json:"grad_c0"`
		GradWIH   nested `json:"grad_w_ih"`
		GradWHH   nested `json:"grad_w_hh"`
		GradBIH   nested `json:"grad_b_ih"`
		GradBHH   nested `json:"grad_b_hh"`
	}
	Truncated struct {
		Tau     int
		Y       nested
		GradX   nested `json:"grad_x"`
		GradWIH nested `json:"grad_w_ih"`
		GradWHH nested `json:"grad_w_hh"`
		GradBIH nested `json:"grad_b_ih"`
		GradBHH nested `json:"grad_b_hh"`
	}
}

func loadLSTMCases(t *testing.T) []lstmCase {
	t.Helper()
	b, err := os.ReadFile("testdata/lstm.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ LSTM []lstmCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.LSTM) == 0 {
		t.Fatal("no lstm cases in testdata/lstm.json")
	}
	return f.LSTM
}

// toT converts a float64 tensor to T.
func toT[T Float](tt torchTensor) *Tensor[T] {
	d := make([]T, len(tt.Data))
	for i, v := range tt.Data {
		d[i] = T(v)
	}
	return FromSlice(d, tt.Shape...)
}

// lstmFrom makes an LSTM with the case's weights.
func lstmFrom[T Float](t *testing.T, c *lstmCase) *LSTMLayer[T] {
	t.Helper()
	if c.GateOrder != "i,f,g,o" {
		t.Fatalf("gate order %q", c.GateOrder)
	}
	l := newLSTM[T]("0.", c.Input, c.Hidden)
	for i, w := range []nested{c.WIH, c.WHH, c.BIH, c.BHH} {
		p := l.Params()[i]
		if !slices.Equal(p.Value.Shape, w.t.Shape) {
			t.Fatalf("%s has shape %v, PyTorch's is %v", p.Name, p.Value.Shape, w.t.Shape)
		}
		copy(p.Value.Data, toT[T](w.t).Data)
	}
	return l
}

// steps returns x[:, t0:t1] of x (B,T,…) as a new tensor.
func steps[T Float](x *Tensor[T], t0, t1 int) *Tensor[T] {
	bs, n := x.Shape[0], x.Shape[1]
	per := numel(x.Shape[2:])
	out := New[T](append([]int{bs, t1 - t0}, x.Shape[2:]...)...)
	for b := range bs {
		copy(out.Data[b*(t1-t0)*per:(b+1)*(t1-t0)*per], x.Data[(b*n+t0)*per:(b*n+t1)*per])
	}
	return out
}

func testLSTMMatchesTorch[T Float](t *testing.T, tol float64) {
	for _, c := range loadLSTMCases(t) {
		x, h0, c0, dy := toT[T](c.X.t), toT[T](c.H0.t), toT[T](c.C0.t), toT[T](c.GradY.t)
		t.Run("full", func(t *testing.T) {
			l := lstmFrom[T](t, &c)
			l.SetState(h0, c0)
			closeTo(t, "y", l.Forward(x).Data, c.Full.Y.t.Data, tol)
			h, cc := l.State()
			closeTo(t, "hT", h.Data, c.Full.HT.t.Data, tol)
			closeTo(t, "cT", cc.Data, c.Full.CT.t.Data, tol)
			closeTo(t, "grad_x", l.Backward(dy).Data, c.Full.GradX.t.Data, tol)
			dh0, dc0 := l.StateGrad()
			closeTo(t, "grad_h0", dh0.Data, c.Full.GradH0.t.Data, tol)
			closeTo(t, "grad_c0", dc0.Data, c.Full.GradC0.t.Data, tol)
			for i, w := range []nested{c.Full.GradWIH, c.Full.GradWHH, c.Full.GradBIH, c.Full.GradBHH} {
				closeTo(t, l.Params()[i].Name+".grad", l.Params()[i].Grad.Data, w.t.Data, tol)
			}
		})
		tr := c.Truncated
		want := []nested{tr.GradWIH, tr.GradWHH, tr.GradBIH, tr.GradBHH}
		t.Run("truncated", func(t *testing.T) {
			l := lstmFrom[T](t, &c)
			l.Truncate = tr.Tau
			l.SetState(h0, c0)
			closeTo(t, "y", l.Forward(x).Data, tr.Y.t.Data, tol)
			closeTo(t, "grad_x", l.Backward(dy).Data, tr.GradX.t.Data, tol)
			for i, w := range want {
				closeTo(t, l.Params()[i].Name+".grad", l.Params()[i].Grad.Data, w.t.Data, tol)
			}
		})
		// The same truncated gradients from one call per window, the state
		// carried between calls: what keeps only τ steps of activations.
		t.Run("truncated-by-calls", func(t *testing.T) {
			l := lstmFrom[T](t, &c)
			l.SetState(h0, c0)
			var y, dx []T
			for t0 := 0; t0 < c.Seq; t0 += tr.Tau {
				t1 := min(t0+tr.Tau, c.Seq)
				yw := l.Forward(steps(x, t0, t1))
				dxw := l.Backward(steps(dy, t0, t1))
				y = append(y, yw.Data...)
				dx = append(dx, dxw.Data...)
			}
			// Windows come out window-major: (T/τ, B, τ, …); reorder to (B,T,…).
			reorder := func(w []T, per int) []T {
				out := make([]T, len(w))
				i := 0
				for t0 := 0; t0 < c.Seq; t0 += tr.Tau {
					n := min(tr.Tau, c.Seq-t0)
					for b := range c.Batch {
						copy(out[(b*c.Seq+t0)*per:(b*c.Seq+t0+n)*per], w[i:i+n*per])
						i += n * per
					}
				}
				return out
			}
			closeTo(t, "y", reorder(y, c.Hidden), tr.Y.t.Data, tol)
			closeTo(t, "grad_x", reorder(dx, c.Input), tr.GradX.t.Data, tol)
			for i, w := range want {
				closeTo(t, l.Params()[i].Name+".grad", l.Params()[i].Grad.Data, w.t.Data, tol)
			}
		})
	}
}

// TestLSTMMatchesTorch compares the LSTM with PyTorch 1.13's nn.LSTM in both
// modes: to 1e-12 in float64, to float32 round-off in float32.
func TestLSTMMatchesTorch(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testLSTMMatchesTorch[float64](t, 1e-12) })
	t.Run("float32", func(t *testing.T) { testLSTMMatchesTorch[float32](t, 1e-5) })
}

// numericCheck compares analytic derivatives of loss with respect to vals
// with central differences and returns the worst relative error.
func numericCheck(t *testing.T, name string, vals, analytic []float64, loss func() float64) float64 {
	t.Helper()
	numeric := fd.Gradient(nil, func(v []float64) float64 {
		saved := slices.Clone(vals)
		copy(vals, v)
		l := loss()
		copy(vals, saved)
		return l
	}, slices.Clone(vals), &fd.Settings{Formula: fd.Central, Step: 1e-6})
	worst := 0.0
	for i := range numeric {
		e := relErr(analytic[i], numeric[i])
		if e > gradTol {
			t.Errorf("%s[%d]: analytic %.10g, numeric %.10g (rel err %.3g)", name, i, analytic[i], numeric[i], e)
		}
		worst = max(worst, e)
	}
	return worst
}

// TestLSTMGradients checks every gradient of the LSTM (W_ih, W_hh, b_ih,
// b_hh, x, h_0, c_0) against central differences, under full BPTT and under
// truncated BPTT. Truncated BPTT is the gradient of a surrogate loss in
// which the state at each window start is a constant: the numeric side
// perturbs the loss computed window by window from those states, recorded
// once at the unperturbed point.
func TestLSTMGradients(t *testing.T) {
	const bs, n, in, hid = 2, 7, 3, 4
	summary := map[string]float64{}
	for _, tau := range []int{0, 1, 2, 3, 7} {
		name := "full"
		if tau > 0 {
			name = "truncated-" + string(rune('0'+tau))
		}
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(tau)))
			l := newLSTM[float64]("0.", in, hid)
			l.initWeights(rng)
			for _, p := range l.Params() { // larger weights: saturating gates too
				for i := range p.Value.Data {
					p.Value.Data[i] *= 3
				}
			}
			x, h0, c0 := randTensor(rng, bs, n, in), randTensor(rng, bs, hid), randTensor(rng, bs, hid)
			r := randTensor(rng, bs, n, hid)
			// The window starts and their states at the unperturbed point.
			w := tau
			if w == 0 {
				w = n
			}
			type start struct {
				t    int
				h, c *Tensor[float64]
			}
			var starts []start
			l.SetState(h0, c0)
			for t0 := 0; t0 < n; t0 += w {
				h, c := l.State()
				starts = append(starts, start{t0, h.Clone(), c.Clone()})
				l.Forward(steps(x, t0, min(t0+w, n)))
			}
			loss := func() float64 {
				s := 0.0
				for k, st := range starts {
					if k == 0 {
						l.SetState(h0, c0)
					} else {
						l.SetState(st.h, st.c)
					}
					t1 := min(st.t+w, n)
					y := l.Forward(steps(x, st.t, t1))
					rw := steps(r, st.t, t1)
					for i, v := range y.Data {
						s += rw.Data[i] * v
					}
				}
				return s
			}
			l.Truncate = tau
			l.SetState(h0, c0)
			l.Forward(x)
			for _, p := range l.Params() {
				p.Grad.Zero()
			}
			dx := l.Backward(r).Clone()
			dh0, dc0 := l.StateGrad()
			dh0, dc0 = dh0.Clone(), dc0.Clone()
			worst := 0.0
			for _, p := range l.Params() {
				worst = max(worst, numericCheck(t, p.Name, p.Value.Data, p.Grad.Data, loss))
			}
			worst = max(worst, numericCheck(t, "x", x.Data, dx.Data, loss))
			worst = max(worst, numericCheck(t, "h0", h0.Data, dh0.Data, loss))
			worst = max(worst, numericCheck(t, "c0", c0.Data, dc0.Data, loss))
			summary[name] = worst
		})
	}
	logWorst(t, "lstm", summary)
}

// TestLSTMStateCarried checks that two calls carrying the state give the
// outputs of one call over both, and that ResetState and ResetRows restart
// from zeros.
func TestLSTMStateCarried(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	l := newLSTM[float64]("0.", 3, 5)
	l.initWeights(rng)
	x := randTensor(rng, 2, 6, 3)
	whole := l.Forward(x).Clone()
	hT, cT := l.State()
	hT, cT = hT.Clone(), cT.Clone()
	l.ResetState()
	var parts []float64
	for _, w := range [][2]int{{0, 1}, {1, 4}, {4, 6}} {
		parts = append(parts, l.Forward(steps(x, w[0], w[1])).Data...)
	}
	h, c := l.State()
	closeTo(t, "hT", h.Data, hT.Data, 1e-14)
	closeTo(t, "cT", c.Data, cT.Data, 1e-14)
	// parts is window-major; compare the last window's sample 1.
	last := parts[len(parts)-2*5*2:]
	closeTo(t, "y[1,4:6]", last[2*5:], whole.Data[(6+4)*5:(6+6)*5], 1e-14)
	// ResetRows(0) then one step equals a fresh layer's step for sample 0.
	l.ResetRows(0)
	y := l.Forward(steps(x, 0, 1)).Clone()
	l.ResetState()
	fresh := l.Forward(steps(x, 0, 1))
	closeTo(t, "reset row", y.Data[:5], fresh.Data[:5], 0)
	if slices.Equal(y.Data[5:], fresh.Data[5:]) {
		t.Error("ResetRows(0) also reset sample 1")
	}
}

// BenchmarkLSTMUpdate measures one update of an LSTM (In 64 → H 128, batch
// 32, float32): Forward and Backward (with ∂L/∂x, which a torso below needs).
//
// full/T=n is full BPTT over a sequence of n steps: one update costs O(n) time
// and keeps O(n) activations. truncated/tau=n runs a 160-step sequence as
// TBPTT(τ): Forward and Backward window by window with the state carried, one
// update per window, so an update costs O(τ) and keeps τ steps of
// activations, but no gradient reaches further back than τ steps. Metrics:
// ms/update, µs/step (time per time step of the sequence), KiB-kept (the
// activations an update keeps for Backward, ActivationBytes), GFLOP/s (the
// matrix products: 2·B·4H·(In+H) flops per step forward, twice that backward),
// and cpu-ms/update, the CPU time of all threads (less inflated than wall
// time when other processes share the cores).
func BenchmarkLSTMUpdate(b *testing.B) {
	const bs, in, hid, seq = 32, 64, 128, 160
	for _, mode := range []string{"full", "truncated"} {
		for _, n := range []int{10, 20, 40, 80, 160} {
			name := fmt.Sprintf("%s/T=%d", mode, n)
			if mode == "truncated" {
				name = fmt.Sprintf("%s/tau=%d", mode, n)
			}
			b.Run(name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				l := newLSTM[float32]("0.", in, hid)
				l.initWeights(rng)
				rnd := func(shape ...int) *Tensor[float32] {
					t := New[float32](shape...)
					for i := range t.Data {
						t.Data[i] = float32(rng.NormFloat64())
					}
					return t
				}
				x, dy := rnd(bs, n, in), rnd(bs, n, hid)
				windows := 1
				if mode == "truncated" {
					windows = seq / n
				}
				update := func() {
					l.Forward(x)
					l.Backward(dy)
				}
				update()
				kept := l.ActivationBytes()
				b.ReportAllocs()
				b.ResetTimer()
				cpu0, cpuOK := cpuTime()
				for b.Loop() {
					l.ResetState()
					for range windows {
						update()
					}
				}
				if cpu1, ok := cpuTime(); ok && cpuOK {
					b.ReportMetric((cpu1-cpu0).Seconds()*1e3/float64(b.N)/float64(windows), "cpu-ms/update")
				}
				sec := b.Elapsed().Seconds() / float64(b.N) / float64(windows)
				flops := 3 * 2 * float64(bs*4*hid*(in+hid)) * float64(n)
				b.ReportMetric(sec*1e3, "ms/update")
				b.ReportMetric(sec/float64(n)*1e6, "µs/step")
				b.ReportMetric(float64(kept)/1024, "KiB-kept")
				b.ReportMetric(flops/sec/1e9, "GFLOP/s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// TestLSTMThreads: the float32 LSTM gives the same bits with one thread or
// two (the cells of a step are split between threads by sample, the matrix
// products by blocks of the output), as SetThreads promises.
func TestLSTMThreads(t *testing.T) {
	run := func(threads int) [][]float32 {
		prev := SetThreads(threads)
		defer SetThreads(prev)
		rng := rand.New(rand.NewPCG(7, 7))
		l := newLSTM[float32]("0.", 24, 64)
		l.initWeights(rng)
		l.Truncate = 5
		rnd := func(shape ...int) *Tensor[float32] {
			t := New[float32](shape...)
			for i := range t.Data {
				t.Data[i] = float32(rng.NormFloat64())
			}
			return t
		}
		x, dy := rnd(300, 4, 24), rnd(300, 4, 64) // 300 samples: two ranges of cellGrain() = 128 or more
		y := slices.Clone(l.Forward(x).Data)
		dx := slices.Clone(l.Backward(dy).Data)
		dh0, dc0 := l.StateGrad()
		out := [][]float32{y, dx, slices.Clone(dh0.Data), slices.Clone(dc0.Data)}
		for _, p := range l.Params() {
			out = append(out, slices.Clone(p.Grad.Data))
		}
		return out
	}
	one, two := run(1), run(2)
	exact := Kernel() != "openblas" // OpenBLAS's results may change with its thread count
	for i := range one {
		if exact && !equalBits(one[i], two[i]) {
			t.Fatalf("result %d differs between 1 and 2 threads", i)
		}
		for j := range one[i] {
			if d := math.Abs(float64(one[i][j] - two[i][j])); d > 1e-5*(1+math.Abs(float64(one[i][j]))) {
				t.Fatalf("result %d, element %d: %v with 1 thread, %v with 2", i, j, one[i][j], two[i][j])
			}
		}
	}
}
