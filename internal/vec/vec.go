package vec

import (
	"fmt"
	"math"
)

// Relu sets y[i] = max(x[i], 0): x[i] unless 0 > x[i], so NaN passes
// through. len(y) must be at least len(x).
func Relu(y, x []float32) {
	y = y[:len(x)]
	if useAsm && len(x) > 0 {
		reluAVX512(&y[0], &x[0], len(x))
		return
	}
	for i, v := range x {
		if 0 > v {
			v = 0
		}
		y[i] = v
	}
}

// ReluGrad sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere (the ReLU's
// derivative at 0 taken as 0, as PyTorch does). dy and y must be at least as
// long as dx.
func ReluGrad(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	if useAsm && len(dx) > 0 {
		reluGradAVX512(&dx[0], &dy[0], &y[0], len(dx))
		return
	}
	for i, g := range dy {
		if y[i] > 0 {
			dx[i] = g
		} else {
			dx[i] = 0
		}
	}
}

// AdamParams are the constants of one Adam step (torch.optim.Adam without
// weight decay): β₁, β₂, ε, step = lr/(1−β₁ᵗ) and bc2 = √(1−β₂ᵗ).
type AdamParams struct {
	Beta1, Beta2, Eps, Step, BC2 float32
}

// Adam applies one Adam update to w with gradient g and moments m, v:
//
//	m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²
//	w ← w − step·(m / (√v/bc2 + ε))
func Adam(w, g, m, v []float32, p AdamParams) {
	n := len(w)
	same("Adam", n, len(g), len(m), len(v))
	c1, c2 := 1-p.Beta1, 1-p.Beta2
	if useAsm && n > 0 {
		adamAVX512(&w[0], &g[0], &m[0], &v[0], n, p.Beta1, c1, p.Beta2, c2, p.Step, p.BC2, p.Eps)
		return
	}
	g, m, v = g[:n], m[:n], v[:n]
	for j := range w {
		gj := g[j]
		m[j] = p.Beta1*m[j] + c1*gj
		v[j] = p.Beta2*v[j] + c2*(gj*gj)
		denom := sqrt(v[j])/p.BC2 + p.Eps
		w[j] -= p.Step * (m[j] / denom)
	}
}

// RMSProp applies one plain RMSProp update (torch.optim.RMSprop without
// centring, momentum or weight decay):
//
//	s ← α·s + (1−α)·g²;  w ← w − lr·(g / (√s + ε))
func RMSProp(w, g, s []float32, lr, alpha, eps float32) {
	n := len(w)
	same("RMSProp", n, len(g), len(s))
	c := 1 - alpha
	if useAsm && n > 0 {
		rmspropAVX512(&w[0], &g[0], &s[0], n, alpha, c, lr, eps)
		return
	}
	g, s = g[:n], s[:n]
	for j := range w {
		gj := g[j]
		s[j] = alpha*s[j] + c*(gj*gj)
		w[j] -= lr * (gj / (sqrt(s[j]) + eps))
	}
}

// RMSPropCentered applies one centered RMSProp update (torch.optim.RMSprop
// with centered=True, no momentum or weight decay):
//
//	s ← α·s + (1−α)·g²;  ḡ ← α·ḡ + (1−α)·g
//	w ← w − lr·(g / (√(s − ḡ²) + ε))
func RMSPropCentered(w, g, s, gavg []float32, lr, alpha, eps float32) {
	n := len(w)
	same("RMSPropCentered", n, len(g), len(s), len(gavg))
	c := 1 - alpha
	if useAsm && n > 0 {
		rmspropCenteredAVX512(&w[0], &g[0], &s[0], &gavg[0], n, alpha, c, lr, eps)
		return
	}
	g, s, gavg = g[:n], s[:n], gavg[:n]
	for j := range w {
		gj := g[j]
		s[j] = alpha*s[j] + c*(gj*gj)
		gavg[j] = alpha*gavg[j] + c*gj
		w[j] -= lr * (gj / (sqrt(s[j]-gavg[j]*gavg[j]) + eps))
	}
}

// DeepMindRMSProp applies one update of the Nature DQN's centered RMSProp,
// with ε inside the square root:
//
//	ḡ ← α·ḡ + (1−α)·g;  s ← α·s + (1−α)·g²
//	w ← w − lr·g / √(s − ḡ² + ε)
func DeepMindRMSProp(w, g, gavg, s []float32, lr, alpha, eps float32) {
	n := len(w)
	same("DeepMindRMSProp", n, len(g), len(gavg), len(s))
	c := 1 - alpha
	if useAsm && n > 0 {
		deepmindRMSPropAVX512(&w[0], &g[0], &gavg[0], &s[0], n, alpha, c, lr, eps)
		return
	}
	g, gavg, s = g[:n], gavg[:n], s[:n]
	for j := range w {
		gj := g[j]
		gavg[j] = alpha*gavg[j] + c*gj
		s[j] = alpha*s[j] + c*(gj*gj)
		w[j] -= lr * gj / sqrt(s[j]-gavg[j]*gavg[j]+eps)
	}
}

// sqrt is the correctly rounded float32 square root (rounding the float64
// root to float32 is exact for float32 inputs).
func sqrt(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func same(op string, n int, lens ...int) {
	for _, l := range lens {
		if l < n {
			panic(fmt.Sprintf("vec: %s: slices of %d and %d elements", op, n, l))
		}
	}
}

// UseAsm selects the assembly (true) or Go (false) implementation and
// returns the previous choice; it reports false and changes nothing where
// there is no assembly. For tests and benchmarks.
func UseAsm(on bool) (prev bool) {
	prev = useAsm
	if on && !hasAsm {
		return prev
	}
	useAsm = on
	return prev
}

// HasAsm reports whether this CPU runs the assembly implementation.
func HasAsm() bool { return hasAsm }

// Segments copies nseg segments of w elements, each read with a stride of
// step elements, into consecutive elements of dst:
//
//	dst[s·w + v] = src[s·sstride + v·step]   s < nseg, v < w
//
// It is the inner loop of im2col. step must be in [1, 8]. The slices must
// hold every element addressed.
func Segments(dst, src []float32, nseg, w, sstride, step int) {
	if nseg <= 0 || w <= 0 {
		return
	}
	if step < 1 || step > 8 || len(dst) < nseg*w || len(src) < (nseg-1)*sstride+(w-1)*step+1 {
		panic(fmt.Sprintf("vec: Segments: %d segments of %d (stride %d, step %d) from %d into %d elements", nseg, w, sstride, step, len(src), len(dst)))
	}
	if useAsm {
		segmentsAVX512(&dst[0], &src[0], nseg, w, sstride, step, len(src), &gatherIdx[step][0])
		return
	}
	for s := range nseg {
		d, o := dst[s*w:s*w+w], s*sstride
		if step == 1 {
			copy(d, src[o:o+w])
			continue
		}
		for v := range d {
			d[v] = src[o+v*step]
		}
	}
}

// gatherIdx[step] holds step·(0, 1, …, 15), the gather offsets of Segments
// and, for steps 2 and 4, the lane picks of its permutes.
var gatherIdx = func() (t [9][16]int32) {
	for s := range t {
		for i := range t[s] {
			t[s][i] = int32(s * i)
		}
	}
	return
}()

// AddScalar sets dst[i] = src[i] + s for i < len(src).
func AddScalar(dst, src []float32, s float32) {
	dst = dst[:len(src)]
	if useAsm && len(src) > 0 {
		addScalarAVX512(&dst[0], &src[0], len(src), s)
		return
	}
	for i, v := range src {
		dst[i] = v + s
	}
}

// AddTo sets dst[i] += src[i] for i < len(src).
func AddTo(dst, src []float32) {
	dst = dst[:len(src)]
	if useAsm && len(src) > 0 {
		addToAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}

// SumSquares returns Σ x[i]², accumulated in float64 (each x² is exact) in a
// fixed order: 16 partial sums p_l = Σ_j x[16j+l]², then combined as
// p_l + p_{l+8}, then l + 4, l + 2, l + 1. The order does not depend on
// anything but len(x).
func SumSquares(x []float32) float64 {
	if useAsm && len(x) > 0 {
		return sumSquaresAVX512(&x[0], len(x))
	}
	var p [16]float64
	for i, v := range x {
		p[i&15] += float64(v) * float64(v)
	}
	for w := 8; w >= 1; w /= 2 {
		for l := range w {
			p[l] += p[l+w]
		}
	}
	return p[0]
}
