// Command asmgen writes the AVX-512 assembly of package vec with avo (run it
// through go generate in internal/vec). Each function walks its slices 16
// float32 at a time and finishes with one masked step, and does exactly the
// float32 operations of its Go twin in vec.go, in the same order and without
// fused multiply-adds, so that both give the same bits.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!noasm")
	relu()
	reluGrad()
	adam()
	rmsprop()
	rmspropCentered()
	deepmindRMSProp()
	Generate()
}

// loop emits the 16-lane loop over n elements with a masked last step. body
// gets, for one step, a load function (zero-masked in the last step), a store
// function and the byte offset register.
func loop(n Register, body func(load func(base Register, dst VecVirtual), store func(src VecVirtual, base Register), off Register)) {
	off := GP64()
	XORQ(off, off)
	full := GP64()
	MOVQ(n, full)
	SHRQ(U8(4), full)
	JE(LabelRef("tail"))
	Label("loop")
	body(func(base Register, dst VecVirtual) { VMOVUPS(Mem{Base: base, Index: off, Scale: 1}, dst) },
		func(src VecVirtual, base Register) { VMOVUPS(src, Mem{Base: base, Index: off, Scale: 1}) }, off)
	ADDQ(U32(64), off)
	DECQ(full)
	JNE(LabelRef("loop"))
	Label("tail")
	rem := GP64()
	MOVQ(n, rem)
	ANDQ(U32(15), rem)
	JE(LabelRef("done"))
	// K1 = (1 << rem) − 1
	m := GP64()
	MOVQ(U32(1), m)
	SHLXQ(rem, m, m)
	DECQ(m)
	KMOVW(m.As32(), K1)
	body(func(base Register, dst VecVirtual) { VMOVUPS_Z(Mem{Base: base, Index: off, Scale: 1}, K1, dst) },
		func(src VecVirtual, base Register) { VMOVUPS(src, K1, Mem{Base: base, Index: off, Scale: 1}) }, off)
	Label("done")
	VZEROUPPER()
	RET()
}

func param(name string) Register { return Load(Param(name), GP64()) }

func bcast(name string) VecVirtual {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	z := ZMM()
	VBROADCASTSS(p.Addr, z)
	return z
}

func relu() {
	TEXT("reluAVX512", NOSPLIT, "func(y, x *float32, n int)")
	Doc("reluAVX512 sets y[i] = x[i] if not 0 > x[i], else 0 (NaN passes through).")
	y, x, n := param("y"), param("x"), param("n")
	zero := ZMM()
	VXORPS(zero, zero, zero)
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		v := ZMM()
		load(x, v)
		// VMAXPS returns its second source (v) unless 0 > v.
		VMAXPS(v, zero, v)
		store(v, y)
	})
}

func reluGrad() {
	TEXT("reluGradAVX512", NOSPLIT, "func(dx, dy, y *float32, n int)")
	Doc("reluGradAVX512 sets dx[i] = dy[i] where y[i] > 0, else 0.")
	dx, dy, y, n := param("dx"), param("dy"), param("y"), param("n")
	zero := ZMM()
	VXORPS(zero, zero, zero)
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		yv, g := ZMM(), ZMM()
		load(y, yv)
		load(dy, g)
		// K2 = y > 0 (ordered, quiet: predicate 0x1e is GT_OQ)
		VCMPPS(U8(0x1e), zero, yv, K2)
		VMOVAPS_Z(g, K2, g)
		store(g, dx)
	})
}

// adam: m ← b1·m + c1·g; v ← b2·v + c2·(g·g); w ← w − step·(m / (√v/bc2 + eps)).
func adam() {
	TEXT("adamAVX512", NOSPLIT, "func(w, grad, m, v *float32, n int, b1, c1, b2, c2, step, bc2, eps float32)")
	Doc("adamAVX512 is one Adam update without weight decay; see adamGo.")
	w, g, m, v, n := param("w"), param("grad"), param("m"), param("v"), param("n")
	b1, c1, b2, c2, step, bc2, eps := bcast("b1"), bcast("c1"), bcast("b2"), bcast("c2"), bcast("step"), bcast("bc2"), bcast("eps")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		gv, mv, vv, wv, t := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
		load(g, gv)
		load(m, mv)
		load(v, vv)
		load(w, wv)
		VMULPS(mv, b1, mv)
		VMULPS(gv, c1, t)
		VADDPS(t, mv, mv)
		store(mv, m)
		VMULPS(vv, b2, vv)
		VMULPS(gv, gv, t)
		VMULPS(t, c2, t)
		VADDPS(t, vv, vv)
		store(vv, v)
		VSQRTPS(vv, t)
		VDIVPS(bc2, t, t)
		VADDPS(eps, t, t)
		VDIVPS(t, mv, t) // m / denom
		VMULPS(t, step, t)
		VSUBPS(t, wv, wv)
		store(wv, w)
	})
}

// rmsprop: s ← a·s + c·(g·g); w ← w − lr·(g / (√s + eps)).
func rmsprop() {
	TEXT("rmspropAVX512", NOSPLIT, "func(w, grad, s *float32, n int, a, c, lr, eps float32)")
	Doc("rmspropAVX512 is one plain RMSProp update (no centring, momentum or weight decay); see rmspropGo.")
	w, g, s, n := param("w"), param("grad"), param("s"), param("n")
	a, c, lr, eps := bcast("a"), bcast("c"), bcast("lr"), bcast("eps")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		gv, sv, wv, t := ZMM(), ZMM(), ZMM(), ZMM()
		load(g, gv)
		load(s, sv)
		load(w, wv)
		VMULPS(sv, a, sv)
		VMULPS(gv, gv, t)
		VMULPS(t, c, t)
		VADDPS(t, sv, sv)
		store(sv, s)
		VSQRTPS(sv, t)
		VADDPS(eps, t, t)
		VDIVPS(t, gv, t)
		VMULPS(t, lr, t)
		VSUBPS(t, wv, wv)
		store(wv, w)
	})
}

// rmspropCentered: s ← a·s + c·(g·g); ḡ ← a·ḡ + c·g; w ← w − lr·(g / (√(s − ḡ·ḡ) + eps)).
func rmspropCentered() {
	TEXT("rmspropCenteredAVX512", NOSPLIT, "func(w, grad, s, gavg *float32, n int, a, c, lr, eps float32)")
	Doc("rmspropCenteredAVX512 is one centered RMSProp update as torch.optim.RMSprop; see rmspropCenteredGo.")
	w, g, s, ga, n := param("w"), param("grad"), param("s"), param("gavg"), param("n")
	a, c, lr, eps := bcast("a"), bcast("c"), bcast("lr"), bcast("eps")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		gv, sv, av, wv, t := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
		load(g, gv)
		load(s, sv)
		load(ga, av)
		load(w, wv)
		VMULPS(sv, a, sv)
		VMULPS(gv, gv, t)
		VMULPS(t, c, t)
		VADDPS(t, sv, sv)
		store(sv, s)
		VMULPS(av, a, av)
		VMULPS(gv, c, t)
		VADDPS(t, av, av)
		store(av, ga)
		VMULPS(av, av, t)
		VSUBPS(t, sv, t)
		VSQRTPS(t, t)
		VADDPS(eps, t, t)
		VDIVPS(t, gv, t)
		VMULPS(t, lr, t)
		VSUBPS(t, wv, wv)
		store(wv, w)
	})
}

// deepmindRMSProp: ḡ ← a·ḡ + c·g; s ← a·s + c·(g·g); w ← w − (lr·g) / √(s − ḡ·ḡ + eps).
func deepmindRMSProp() {
	TEXT("deepmindRMSPropAVX512", NOSPLIT, "func(w, grad, gavg, s *float32, n int, a, c, lr, eps float32)")
	Doc("deepmindRMSPropAVX512 is one update of the Nature DQN's RMSProp; see deepmindRMSPropGo.")
	w, g, ga, s, n := param("w"), param("grad"), param("gavg"), param("s"), param("n")
	a, c, lr, eps := bcast("a"), bcast("c"), bcast("lr"), bcast("eps")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		gv, sv, av, wv, t := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
		load(g, gv)
		load(s, sv)
		load(ga, av)
		load(w, wv)
		VMULPS(av, a, av)
		VMULPS(gv, c, t)
		VADDPS(t, av, av)
		store(av, ga)
		VMULPS(sv, a, sv)
		VMULPS(gv, gv, t)
		VMULPS(t, c, t)
		VADDPS(t, sv, sv)
		store(sv, s)
		VMULPS(av, av, t)
		VSUBPS(t, sv, t)
		VADDPS(eps, t, t)
		VSQRTPS(t, t)
		u := ZMM()
		VMULPS(gv, lr, u)
		VDIVPS(t, u, u)
		VSUBPS(u, wv, wv)
		store(wv, w)
	})
}

var _ = fmt.Sprint
