package net

import (
	"fmt"
	"math"
	"math/rand/v2"

	kernels "github.com/deepq/deepq/internal/gemm"
	"github.com/deepq/deepq/internal/vec"
)

// LSTMLayer is a one-layer long short-term memory (Hochreiter & Schmidhuber
// 1997) over sequences, PyTorch's nn.LSTM(In, Hidden, batch_first=True). At
// each step t of x (B,T,In), from the state (h_{t−1}, c_{t−1}) (B,H):
//
//	a_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh      (B,In)·(In,4H) + (B,H)·(H,4H) -> (B,4H)
//	i = σ(a[0:H])  f = σ(a[H:2H])  g = tanh(a[2H:3H])  o = σ(a[3H:4H])
//	c_t = f⊙c_{t−1} + i⊙g
//	h_t = o⊙tanh(c_t)                                   y[:,t] = h_t, y (B,T,H)
//
// with PyTorch's gate order i, f, g, o along the 4H rows of W_ih (4H,In),
// W_hh (4H,H), b_ih and b_hh (4H).
//
// The state is carried across calls: Forward starts from the state the last
// Forward ended in (or the one SetState gave; zeros after ResetState or for
// a new layer) and leaves (h_T, c_T) for the next call. Acting calls Forward
// with T = 1 at every step; learning calls it on whole sequences.
//
// Backward, given δ = ∂L/∂y (B,T,H), runs backpropagation through time from
// t = T−1 down to 0, with δh_t = δ_t + ∂L/∂h_t from step t+1 and δc_t from
// step t+1:
//
//	δc  = δh⊙o⊙(1−tanh²c_t) + δc_t
//	δa_i = δc⊙g⊙i(1−i)   δa_f = δc⊙c_{t−1}⊙f(1−f)   δa_g = δc⊙i⊙(1−g²)   δa_o = δh⊙tanh(c_t)⊙o(1−o)
//	∂L/∂h_{t−1} = δa·W_hh   (B,4H)·(4H,H),   ∂L/∂c_{t−1} = δc⊙f
//	∂L/∂W_ih += Σ_t δa_tᵀ·x_t   ∂L/∂W_hh += Σ_t δa_tᵀ·h_{t−1}   ∂L/∂b_ih = ∂L/∂b_hh += Σ_{b,t} δa_t
//	∂L/∂x_t = δa_t·W_ih   (B,4H)·(4H,In)
//
// The gradient of the initial state (∂L/∂h_0, ∂L/∂c_0), i.e. of the state the
// call started from, is kept for StateGrad. No gradient flows from one call
// into an earlier one: the carried state is a constant to the next call.
//
// With Truncate = τ > 0, Backward is truncated BPTT: the steps are windows
// [0,τ), [τ,2τ), … of the last Forward, the state still flows forward through
// every step, but ∂L/∂h and ∂L/∂c are cut (set to 0) where one window starts,
// as if the state were detached there. Forward then still keeps the whole
// call's activations; to keep only τ steps' worth, call Forward and Backward
// window by window, which gives the same gradients (the state is carried
// between calls, the gradient is not).
//
// Forward keeps a reference to x, the state it started from, and per step the
// gate activations i, f, g, o (B,T,4H), c_t and tanh(c_t) (B,T,H) and y:
// ActivationBytes reports their size, 4·(In + 7H)·B·T + 2·4·B·H bytes in
// float32. Backward works in buffers of its own, δa (B,T,4H) and ∂L/∂x
// (B,T,In), reused from call to call.
type LSTMLayer[T Float] struct {
	In, Hidden int
	// Truncate is the window τ of truncated BPTT; 0 means full BPTT over each
	// call. It is a training choice, not part of the architecture (Spec).
	Truncate int
	// Wih holds the input weights W_ih, shape (4H, In), row-major: rows
	// [0,H) feed gate i, [H,2H) gate f, [2H,3H) g, [3H,4H) o (PyTorch's
	// weight_ih_l0).
	Wih *Param[T]
	// Whh holds the recurrent weights W_hh, shape (4H, H), gates as in Wih
	// (weight_hh_l0).
	Whh *Param[T]
	// Bih and Bhh are the two bias vectors (4H) that PyTorch keeps
	// (bias_ih_l0, bias_hh_l0); both are added to every gate.
	Bih, Bhh *Param[T]

	init string
	// h, c hold the carried state (B,H); nil means zeros.
	h, c *Tensor[T]
	// h0, c0 hold the state the last Forward started from (B,H).
	h0, c0 *Tensor[T]
	x      *Tensor[T] // last input (B,T,In)
	// gates holds a_t during Forward, then the activations i, f, g, o:
	// gates.Data[((b*T+t)*4+k)*H+j] is gate k of unit j, sample b, step t.
	gates *Tensor[T]
	cs    *Tensor[T] // c_t (B,T,H)
	tcs   *Tensor[T] // tanh(c_t) (B,T,H)
	y     *Tensor[T] // h_t (B,T,H), the output
	// Backward's buffers: δa (B,T,4H), ∂L/∂x, and ∂L/∂h, ∂L/∂c flowing back
	// (B,H), which end as ∂L/∂h_0, ∂L/∂c_0.
	da, dx, dh, dc *Tensor[T]
	bias           []T // b_ih + b_hh (4H)
	whhT           []T // W_hhᵀ (H,4H) of the last Forward
	cells          lstmCells[T]
}

var (
	_ Layer[float32]           = (*LSTMLayer[float32])(nil)
	_ paramBackwarder[float32] = (*LSTMLayer[float32])(nil)
)

// LSTM returns the spec of an LSTM with the given hidden width H (PyTorch's
// nn.LSTM(In, H, batch_first=True), one layer). It maps each step's features
// (flattened) to H; it runs over sequences, so it lives in a Recurrent model
// (BuildRecurrent), not in a Sequential.
func LSTM(hidden int) LayerSpec { return LayerSpec{Kind: "lstm", Units: hidden} }

// newLSTM makes an LSTM layer whose parameters are named as PyTorch's:
// prefix+"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0".
func newLSTM[T Float](prefix string, in, hidden int) *LSTMLayer[T] {
	return &LSTMLayer[T]{
		In: in, Hidden: hidden,
		Wih: newParam[T](prefix+"weight_ih_l0", 4*hidden, in),
		Whh: newParam[T](prefix+"weight_hh_l0", 4*hidden, hidden),
		Bih: newParam[T](prefix+"bias_ih_l0", 4*hidden),
		Bhh: newParam[T](prefix+"bias_hh_l0", 4*hidden),
	}
}

// initWeights draws the parameters; a nil rng leaves them at zero. The
// "torch" initialiser is nn.LSTM's: every parameter ~ U(±1/√H). Another
// initialiser draws W_ih with fans (In, 4H), W_hh with (H, 4H), and the
// biases from its bias rule (zero for most).
func (l *LSTMLayer[T]) initWeights(rng *rand.Rand) {
	if rng == nil {
		return
	}
	if l.init == "" || l.init == "torch" {
		k := 1 / math.Sqrt(float64(l.Hidden))
		for _, p := range l.Params() {
			fill(p.Value.Data, func() float64 { return uniform(rng, k) })
		}
		return
	}
	init, _ := initializer(l.init)
	init.initDense(l.Wih.Value.Data, l.Bih.Value.Data, l.In, 4*l.Hidden, rng)
	init.initDense(l.Whh.Value.Data, l.Bhh.Value.Data, l.Hidden, 4*l.Hidden, rng)
}

// SetState sets the state the next Forward starts from: h and c (B,H), copied.
func (l *LSTMLayer[T]) SetState(h, c *Tensor[T]) {
	if len(h.Shape) != 2 || h.Shape[1] != l.Hidden || len(c.Shape) != 2 || c.Shape[0] != h.Shape[0] || c.Shape[1] != l.Hidden {
		panic(fmt.Sprintf("net: lstm %s: state h %v, c %v, want both (B,%d)", l.Wih.Name, h.Shape, c.Shape, l.Hidden))
	}
	l.h = reuse(l.h, h.Shape...)
	l.c = reuse(l.c, c.Shape...)
	copy(l.h.Data, h.Data)
	copy(l.c.Data, c.Data)
}

// State returns the carried state (h, c), each (B,H), owned by the layer and
// valid until the next Forward or SetState; nil, nil after ResetState (zeros).
func (l *LSTMLayer[T]) State() (h, c *Tensor[T]) { return l.h, l.c }

// ResetState makes the next Forward start from zeros, for any batch size.
func (l *LSTMLayer[T]) ResetState() { l.h, l.c = nil, nil }

// ResetRows zeroes the state of sample b only (an episode that starts in one
// of several environments acted on as a batch).
func (l *LSTMLayer[T]) ResetRows(b int) {
	if l.h == nil {
		return
	}
	if b < 0 || b >= l.h.Shape[0] {
		panic(fmt.Sprintf("net: lstm %s: ResetRows(%d) for a state of batch %d", l.Wih.Name, b, l.h.Shape[0]))
	}
	clear(l.h.Data[b*l.Hidden : (b+1)*l.Hidden])
	clear(l.c.Data[b*l.Hidden : (b+1)*l.Hidden])
}

// StateGrad returns ∂L/∂h_0 and ∂L/∂c_0 (B,H) of the last Backward: the
// gradient of the state its Forward started from (through the first window
// only, under truncation). Valid until the next Backward.
func (l *LSTMLayer[T]) StateGrad() (dh0, dc0 *Tensor[T]) { return l.dh, l.dc }

// seqOf returns B and T of x (B,T,In…), panicking on a wrong shape.
func (l *LSTMLayer[T]) seqOf(x *Tensor[T]) (bs, steps int) {
	if len(x.Shape) < 3 || numel(x.Shape[2:]) != l.In {
		panic(fmt.Sprintf("net: lstm %s: input %v, want (B,T,%d)", l.Wih.Name, x.Shape, l.In))
	}
	return x.Shape[0], x.Shape[1]
}

// Forward runs the LSTM over x (B,T,In) from the carried state and returns
// y (B,T,H); the carried state becomes (h_T, c_T).
func (l *LSTMLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, steps := l.seqOf(x)
	H, G := l.Hidden, 4*l.Hidden
	if l.h != nil && l.h.Shape[0] != bs {
		panic(fmt.Sprintf("net: lstm %s: carried state is for batch %d, input %v (ResetState or SetState first)", l.Wih.Name, l.h.Shape[0], x.Shape))
	}
	// The starting state, kept for Backward.
	l.h0, l.c0 = reuse(l.h0, bs, H), reuse(l.c0, bs, H)
	if l.h == nil {
		clear(l.h0.Data)
		clear(l.c0.Data)
	} else {
		copy(l.h0.Data, l.h.Data)
		copy(l.c0.Data, l.c.Data)
	}
	l.x = x
	l.gates = reuse(l.gates, bs, steps, G)
	l.cs = reuse(l.cs, bs, steps, H)
	l.tcs = reuse(l.tcs, bs, steps, H)
	l.y = reuse(l.y, bs, steps, H)
	if steps == 0 || bs == 0 {
		l.h, l.c = reuse(l.h, bs, H), reuse(l.c, bs, H)
		copy(l.h.Data, l.h0.Data)
		copy(l.c.Data, l.c0.Data)
		return l.y
	}
	// a = b_ih + b_hh + x·W_ihᵀ for every step at once: (B·T,In)·(In,4H).
	if len(l.bias) != G {
		l.bias = make([]T, G)
	}
	for k := range G {
		l.bias[k] = l.Bih.Value.Data[k] + l.Bhh.Value.Data[k]
	}
	a := l.gates.Data
	for r := range bs * steps {
		copy(a[r*G:(r+1)*G], l.bias)
	}
	gemm(false, true, bs*steps, G, l.In, 1, x.Data, l.In, l.Wih.Value.Data, l.In, 1, a, G)
	// W_hhᵀ (H,4H), transposed once here rather than by every step's
	// product when there are several steps; one step (acting) lets the
	// product transpose it.
	whh, ldw, transW := l.Whh.Value.Data, H, true
	if steps > 1 {
		if len(l.whhT) != H*G {
			l.whhT = make([]T, H*G)
		}
		transpose(l.whhT, whh, G, H)
		whh, ldw, transW = l.whhT, G, false
	}
	y := l.y.Data
	for t := range steps {
		// a_t += h_{t−1}·W_hhᵀ: rows b*T+t of a, (B,H)·(H,4H).
		hPrev, ldh := l.h0.Data, H
		if t > 0 {
			hPrev, ldh = y[(t-1)*H:], steps*H
		}
		gemm(false, transW, bs, G, H, 1, hPrev, ldh, whh, ldw, 1, a[t*G:], steps*G)
		l.cells = lstmCells[T]{l: l, t: t, steps: steps}
		kernels.For(bs, l.cellGrain(), &l.cells)
	}
	l.cells = lstmCells[T]{}
	// Carry (h_T, c_T) to the next call.
	l.h, l.c = reuse(l.h, bs, H), reuse(l.c, bs, H)
	for b := range bs {
		r := b*steps + steps - 1
		copy(l.h.Data[b*H:(b+1)*H], y[r*H:(r+1)*H])
		copy(l.c.Data[b*H:(b+1)*H], l.cs.Data[r*H:(r+1)*H])
	}
	return l.y
}

// sigmoid is 1/(1+e⁻ˣ) in a form that does not overflow.
func sigmoid[T Float](v T) T {
	if v >= 0 {
		return T(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return T(e / (1 + e))
}

// Backward runs BPTT (truncated at windows of Truncate steps if it is set)
// for δ = ∂L/∂y (B,T,H) of the last Forward, accumulates the parameter
// gradients, keeps the initial-state gradient for StateGrad and returns
// ∂L/∂x (B,T,In).
func (l *LSTMLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	l.backwardParams(dy)
	bs, steps := l.x.Shape[0], l.x.Shape[1]
	l.dx = reuse(l.dx, l.x.Shape...)
	// ∂L/∂x = δa·W_ih: (B·T,4H)·(4H,In).
	gemm(false, false, bs*steps, l.In, 4*l.Hidden, 1, l.da.Data, 4*l.Hidden, l.Wih.Value.Data, l.In, 0, l.dx.Data, l.In)
	return l.dx
}

// backwardParams is Backward without ∂L/∂x.
func (l *LSTMLayer[T]) backwardParams(dy *Tensor[T]) {
	if l.x == nil {
		panic("net: lstm " + l.Wih.Name + ": Backward before Forward")
	}
	if l.Truncate < 0 {
		panic(fmt.Sprintf("net: lstm %s: Truncate %d; want a window τ ≥ 1, or 0 for full BPTT", l.Wih.Name, l.Truncate))
	}
	bs, steps := l.x.Shape[0], l.x.Shape[1]
	H, G := l.Hidden, 4*l.Hidden
	mustLen("lstm", dy, bs*steps*H)
	l.da = reuse(l.da, bs, steps, G)
	l.dh, l.dc = reuse(l.dh, bs, H), reuse(l.dc, bs, H)
	clear(l.dh.Data)
	clear(l.dc.Data)
	if steps == 0 || bs == 0 {
		return
	}
	y, da := l.y.Data, l.da.Data
	dh, dc := l.dh.Data, l.dc.Data
	for t := steps - 1; t >= 0; t-- {
		l.cells = lstmCells[T]{l: l, t: t, steps: steps, back: true, dy: dy.Data}
		kernels.For(bs, l.cellGrain(), &l.cells)
		if t > 0 && l.Truncate > 0 && t%l.Truncate == 0 {
			// A window starts at t: the state h_{t−1}, c_{t−1} is detached.
			clear(dh)
			clear(dc)
			continue
		}
		// ∂L/∂h_{t−1} = δa_t·W_hh: rows b*T+t of δa, (B,4H)·(4H,H).
		gemm(false, false, bs, H, G, 1, da[t*G:], steps*G, l.Whh.Value.Data, H, 0, dh, H)
	}
	l.cells = lstmCells[T]{}
	// ∂L/∂W_ih += δaᵀ·x: (4H,B·T)·(B·T,In).
	gemm(true, false, G, l.In, bs*steps, 1, da, G, l.x.Data, l.In, 1, l.Wih.Grad.Data, l.In)
	// ∂L/∂W_hh += Σ_t δa_tᵀ·h_{t−1}, with h_{−1} = h_0 the starting state and
	// h_{t−1} = y[:,t−1] after: step 0 in one product over the batch, the
	// others per sample (T−1 rows each) or per step (B rows each), whichever
	// makes fewer products.
	gw := l.Whh.Grad.Data
	gemm(true, false, G, H, bs, 1, da, steps*G, l.h0.Data, H, 1, gw, H)
	if bs <= steps-1 {
		for b := range bs {
			gemm(true, false, G, H, steps-1, 1, da[(b*steps+1)*G:], G, y[b*steps*H:], H, 1, gw, H)
		}
	} else {
		for t := 1; t < steps; t++ {
			gemm(true, false, G, H, bs, 1, da[t*G:], steps*G, y[(t-1)*H:], steps*H, 1, gw, H)
		}
	}
	// ∂L/∂b_ih = ∂L/∂b_hh += Σ_{b,t} δa.
	gbi, gbh := l.Bih.Grad.Data, l.Bhh.Grad.Data
	for r := range bs * steps {
		for k, v := range da[r*G : (r+1)*G] {
			gbi[k] += v
			gbh[k] += v
		}
	}
}

// ActivationBytes returns the bytes the last Forward keeps for Backward: the
// input it references (B,T,In), the gates (B,T,4H), c_t, tanh(c_t) and y
// (B,T,H each), and the starting state (2·B·H).
func (l *LSTMLayer[T]) ActivationBytes() int {
	if l.x == nil {
		return 0
	}
	size := 8
	var z T
	if _, ok := any(z).(float32); ok {
		size = 4
	}
	bs, steps := l.x.Shape[0], l.x.Shape[1]
	return size * (bs*steps*(l.In+7*l.Hidden) + 2*bs*l.Hidden)
}

// Params returns W_ih, W_hh, b_ih, b_hh (PyTorch's order).
func (l *LSTMLayer[T]) Params() []*Param[T] { return []*Param[T]{l.Wih, l.Whh, l.Bih, l.Bhh} }

// Spec describes the layer.
func (l *LSTMLayer[T]) Spec() LayerSpec {
	return LayerSpec{Kind: "lstm", Units: l.Hidden, Init: l.init}
}

// lstmCells runs the elementwise part of step t, forward (from a_t to the
// gates, c_t and h_t) or backward (from δh, δc to δa_t), over a range of
// samples, so that kernels.For can split a batch between threads. Each sample
// is computed alone, so the results do not depend on the split.
type lstmCells[T Float] struct {
	l        *LSTMLayer[T]
	t, steps int
	back     bool
	dy       []T // ∂L/∂y for the backward pass
}

func (c *lstmCells[T]) Run(lo, hi int) {
	if !c.back {
		c.l.cellForward(c.t, c.steps, lo, hi)
	} else {
		c.l.cellBackward(c.t, c.steps, c.dy, lo, hi)
	}
}

// cellGrain is the least number of samples worth a second thread: 8192
// units of 5 transcendental functions each, about 100 µs, well above the
// cost of handing half to a worker on a busy machine.
func (l *LSTMLayer[T]) cellGrain() int { return max(1, 8192/l.Hidden) }

// cellForward turns a_t of samples [lo, hi) into i, f, g, o (in place) and
// computes c_t, tanh(c_t) and h_t.
func (l *LSTMLayer[T]) cellForward(t, steps, lo, hi int) {
	H, G := l.Hidden, 4*l.Hidden
	a, cs, tcs, y := l.gates.Data, l.cs.Data, l.tcs.Data, l.y.Data
	if a32, ok := any(a).([]float32); ok {
		cellForward32(a32, any(cs).([]float32), any(tcs).([]float32), any(y).([]float32), any(l.c0.Data).([]float32), H, t, steps, lo, hi)
		return
	}
	for b := lo; b < hi; b++ {
		r := b*steps + t
		g := a[r*G : (r+1)*G]
		cPrev := l.c0.Data[b*H : (b+1)*H]
		if t > 0 {
			cPrev = cs[(r-1)*H : r*H]
		}
		c, tc, h := cs[r*H:(r+1)*H], tcs[r*H:(r+1)*H], y[r*H:(r+1)*H]
		for j := range H {
			ig, fg := sigmoid(g[j]), sigmoid(g[H+j])
			gg, og := T(math.Tanh(float64(g[2*H+j]))), sigmoid(g[3*H+j])
			g[j], g[H+j], g[2*H+j], g[3*H+j] = ig, fg, gg, og
			c[j] = fg*cPrev[j] + ig*gg
			tc[j] = T(math.Tanh(float64(c[j])))
			h[j] = og * tc[j]
		}
	}
}

// cellBackward computes δa_t of samples [lo, hi) from δh = ∂L/∂y_t + dh and
// δc = dc (from step t+1), and leaves ∂L/∂c_{t−1} in dc.
func (l *LSTMLayer[T]) cellBackward(t, steps int, dy []T, lo, hi int) {
	H, G := l.Hidden, 4*l.Hidden
	gates, cs, tcs, da := l.gates.Data, l.cs.Data, l.tcs.Data, l.da.Data
	dh, dc := l.dh.Data, l.dc.Data
	for b := lo; b < hi; b++ {
		r := b*steps + t
		g, d := gates[r*G:(r+1)*G], da[r*G:(r+1)*G]
		cPrev := l.c0.Data[b*H : (b+1)*H]
		if t > 0 {
			cPrev = cs[(r-1)*H : r*H]
		}
		tc, dyr := tcs[r*H:(r+1)*H], dy[r*H:(r+1)*H]
		dhb, dcb := dh[b*H:(b+1)*H], dc[b*H:(b+1)*H]
		for j := range H {
			ig, fg, gg, og := g[j], g[H+j], g[2*H+j], g[3*H+j]
			δh := dyr[j] + dhb[j]
			δc := δh*og*(1-tc[j]*tc[j]) + dcb[j]
			d[j] = δc * gg * ig * (1 - ig)
			d[H+j] = δc * cPrev[j] * fg * (1 - fg)
			d[2*H+j] = δc * ig * (1 - gg*gg)
			d[3*H+j] = δh * tc[j] * og * (1 - og)
			dcb[j] = δc * fg // ∂L/∂c_{t−1}
		}
	}
}

// cellForward32 is cellForward for float32, with vec.Sigmoid and vec.Tanh
// (the bits of vec.Sigmoid32 and vec.Tanh32, a row of gates at a time).
func cellForward32(a, cs, tcs, y, c0 []float32, H, t, steps, lo, hi int) {
	G := 4 * H
	for b := lo; b < hi; b++ {
		r := b*steps + t
		g := a[r*G : (r+1)*G]
		cPrev := c0[b*H : (b+1)*H]
		if t > 0 {
			cPrev = cs[(r-1)*H : r*H]
		}
		c, tc, h := cs[r*H:(r+1)*H], tcs[r*H:(r+1)*H], y[r*H:(r+1)*H]
		vec.Sigmoid(g[:2*H], g[:2*H]) // i, f
		vec.Tanh(g[2*H:3*H], g[2*H:3*H])
		vec.Sigmoid(g[3*H:], g[3*H:]) // o
		gi, gf, gg, gout := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:]
		for j := range H {
			c[j] = gf[j]*cPrev[j] + gi[j]*gg[j]
		}
		vec.Tanh(tc, c)
		for j := range H {
			h[j] = gout[j] * tc[j]
		}
	}
}

// transpose writes dst (cols,rows) = srcᵀ for src (rows,cols), row-major, in
// 16×16 tiles so that reads and writes both stay within a few cache lines.
func transpose[T Float](dst, src []T, rows, cols int) {
	const tile = 16
	for r0 := 0; r0 < rows; r0 += tile {
		for c0 := 0; c0 < cols; c0 += tile {
			for r := r0; r < min(r0+tile, rows); r++ {
				row := src[r*cols : (r+1)*cols]
				for c := c0; c < min(c0+tile, cols); c++ {
					dst[c*rows+r] = row[c]
				}
			}
		}
	}
}
