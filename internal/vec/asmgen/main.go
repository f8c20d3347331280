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
	segments()
	addScalar()
	addTo()
	sumSquares()
	sigmoid()
	tanh()
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

func addScalar() {
	TEXT("addScalarAVX512", NOSPLIT, "func(dst, src *float32, n int, s float32)")
	Doc("addScalarAVX512 sets dst[i] = src[i] + s.")
	dst, src, n := param("dst"), param("src"), param("n")
	sv := bcast("s")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		v := ZMM()
		load(src, v)
		VADDPS(sv, v, v)
		store(v, dst)
	})
}

func addTo() {
	TEXT("addToAVX512", NOSPLIT, "func(dst, src *float32, n int)")
	Doc("addToAVX512 sets dst[i] += src[i].")
	dst, src, n := param("dst"), param("src"), param("n")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		v, d := ZMM(), ZMM()
		load(src, v)
		load(dst, d)
		VADDPS(v, d, d)
		store(d, dst)
	})
}

// sumSquares: Σ x² in float64, lane l of 16 collecting x[16j+l]² in order,
// then the 16 partial sums added as ((p_l + p_{l+8}) for l < 8, then l+4,
// then l+2, then l+1).
func sumSquares() {
	TEXT("sumSquaresAVX512", NOSPLIT, "func(x *float32, n int) float64")
	Doc("sumSquaresAVX512 returns Σ x[i]² accumulated in float64; see sumSquaresGo for the order.")
	x, n := param("x"), param("n")
	lo, hi := ZMM(), ZMM()
	VXORPD(lo, lo, lo)
	VXORPD(hi, hi, hi)
	loopSum(n, func(load func(Register, VecVirtual)) {
		v, a, b := ZMM(), ZMM(), ZMM()
		load(x, v)
		VCVTPS2PD(v.AsY(), a)
		VEXTRACTF32X8(U8(1), v, b.AsY())
		VCVTPS2PD(b.AsY(), b)
		VFMADD231PD(a, a, lo)
		VFMADD231PD(b, b, hi)
	})
	VADDPD(hi, lo, lo) // l + (l+8)
	t := ZMM()
	VEXTRACTF64X4(U8(1), lo, t.AsY())
	VADDPD(t.AsY(), lo.AsY(), lo.AsY()) // l + (l+4)
	u := XMM()
	VEXTRACTF128(U8(1), lo.AsY(), u)
	VADDPD(u, lo.AsX(), lo.AsX()) // l + (l+2)
	w := XMM()
	VUNPCKHPD(lo.AsX(), lo.AsX(), w)
	VADDSD(w, lo.AsX(), lo.AsX()) // 0 + 1
	Store(lo.AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// loopSum is loop without stores, for reductions; it ends without RET.
func loopSum(n Register, body func(load func(base Register, dst VecVirtual))) {
	off := GP64()
	XORQ(off, off)
	full := GP64()
	MOVQ(n, full)
	SHRQ(U8(4), full)
	JE(LabelRef("tail"))
	Label("loop")
	body(func(base Register, dst VecVirtual) { VMOVUPS(Mem{Base: base, Index: off, Scale: 1}, dst) })
	ADDQ(U32(64), off)
	DECQ(full)
	JNE(LabelRef("loop"))
	Label("tail")
	rem := GP64()
	MOVQ(n, rem)
	ANDQ(U32(15), rem)
	JE(LabelRef("done"))
	m := GP64()
	MOVQ(U32(1), m)
	SHLXQ(rem, m, m)
	DECQ(m)
	KMOVW(m.As32(), K1)
	body(func(base Register, dst VecVirtual) { VMOVUPS_Z(Mem{Base: base, Index: off, Scale: 1}, K1, dst) })
	Label("done")
}

// segments: for each of nseg segments, dst[0:w] = src[0], src[step], …,
// src[(w−1)·step]; then dst += w, src += sstride (elements). Strides 2 and 4
// take whole vectors and pick their lanes with VPERMT2PS where the vectors
// lie within the avail elements readable from src; the rest is gathered.
func segments() {
	TEXT("segmentsAVX512", NOSPLIT, "func(dst, src *float32, nseg, w, sstride, step, avail int, idx *int32)")
	Doc("segmentsAVX512 copies nseg strided segments of w elements into consecutive ones; idx holds step·(0…15).")
	dst, src, nseg, w := param("dst"), param("src"), param("nseg"), param("w")
	sstride, step, avail, idxp := param("sstride"), param("step"), param("avail"), param("idx")
	SHLQ(U8(2), sstride)
	// lim: the end of the readable source, as a pointer.
	lim := GP64()
	LEAQ(Mem{Base: src, Index: avail, Scale: 4}, lim)
	idx := ZMM()
	VMOVDQU32(Mem{Base: idxp}, idx)
	rem := GP64()
	MOVQ(w, rem)
	ANDQ(U32(15), rem)
	m := GP64()
	MOVQ(U32(1), m)
	SHLXQ(rem, m, m)
	DECQ(m)
	KMOVW(m.As32(), K1)
	full := GP64()
	MOVQ(w, full)
	SHRQ(U8(4), full)
	// bstep: bytes of source per 16-element block.
	bstep := GP64()
	MOVQ(step, bstep)
	SHLQ(U8(6), bstep)
	TESTQ(nseg, nseg)
	JE(LabelRef("done"))
	CMPQ(step, U8(1))
	JE(LabelRef("cseg"))

	// Strided segments.
	Label("gseg")
	s, j := GP64(), GP64()
	MOVQ(src, s)
	MOVQ(full, j)
	Label("gblk")
	// One block: 16 lanes, or the tail (K1) when j = 0.
	TESTQ(j, j)
	JNE(LabelRef("gfull"))
	TESTQ(rem, rem)
	JE(LabelRef("gnext"))
	Label("gfull")
	v := ZMM()
	end := GP64()
	LEAQ(Mem{Base: s, Index: bstep, Scale: 1}, end)
	CMPQ(end, lim)
	JA(LabelRef("gather"))
	CMPQ(step, U8(2))
	JE(LabelRef("perm2"))
	CMPQ(step, U8(4))
	JE(LabelRef("perm4"))
	Label("gather")
	KXNORW(K2, K2, K2)
	TESTQ(j, j)
	JNE(LabelRef("gmask"))
	KMOVW(K1, K2)
	Label("gmask")
	VXORPS(v, v, v)
	VGATHERDPS(Mem{Base: s, Index: idx, Scale: 4}, K2, v)
	JMP(LabelRef("gstore"))
	Label("perm2")
	{
		v1 := ZMM()
		VMOVUPS(Mem{Base: s}, v)
		VMOVUPS(Mem{Base: s, Disp: 64}, v1)
		VPERMT2PS(v1, idx, v)
		JMP(LabelRef("gstore"))
	}
	Label("perm4")
	{
		v1, v2, v3 := ZMM(), ZMM(), ZMM()
		VMOVUPS(Mem{Base: s}, v)
		VMOVUPS(Mem{Base: s, Disp: 64}, v1)
		VMOVUPS(Mem{Base: s, Disp: 128}, v2)
		VMOVUPS(Mem{Base: s, Disp: 192}, v3)
		VPERMT2PS(v1, idx, v)  // lanes 0–7: elements 0, 4, …, 28
		VPERMT2PS(v3, idx, v2) // lanes 0–7: elements 32, …, 60
		VSHUFF64X2(U8(0x44), v2, v, v)
	}
	Label("gstore")
	TESTQ(j, j)
	JE(LabelRef("gtailst"))
	VMOVUPS(v, Mem{Base: dst})
	ADDQ(bstep, s)
	ADDQ(U32(64), dst)
	DECQ(j)
	JMP(LabelRef("gblk"))
	Label("gtailst")
	VMOVUPS(v, K1, Mem{Base: dst})
	LEAQ(Mem{Base: dst, Index: rem, Scale: 4}, dst)
	Label("gnext")
	ADDQ(sstride, src)
	DECQ(nseg)
	JNE(LabelRef("gseg"))
	JMP(LabelRef("done"))

	// Contiguous segments: plain (masked) moves.
	Label("cseg")
	{
		s, j := GP64(), GP64()
		MOVQ(src, s)
		MOVQ(full, j)
		TESTQ(j, j)
		JE(LabelRef("ctail"))
		Label("cblk")
		v := ZMM()
		VMOVUPS(Mem{Base: s}, v)
		VMOVUPS(v, Mem{Base: dst})
		ADDQ(U32(64), s)
		ADDQ(U32(64), dst)
		DECQ(j)
		JNE(LabelRef("cblk"))
		Label("ctail")
		TESTQ(rem, rem)
		JE(LabelRef("cnext"))
		t := ZMM()
		VMOVUPS_Z(Mem{Base: s}, K1, t)
		VMOVUPS(t, K1, Mem{Base: dst})
		LEAQ(Mem{Base: dst, Index: rem, Scale: 4}, dst)
		Label("cnext")
		ADDQ(sstride, src)
		DECQ(nseg)
		JNE(LabelRef("cseg"))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

var _ = fmt.Sprint

// consts holds the memory constants declared so far, by name.
var consts = map[string]Mem{}

// constant returns the read-only 8-byte constant name, declared on first use.
func constant(name string, v Constant) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := ConstData(name, v)
	consts[name] = m
	return m
}

// f64 returns a float64 constant in memory, for broadcast operands.
func f64(name string, v float64) Mem { return constant(name, F64(v)) }

// u64 returns a 64-bit constant in memory, for broadcast operands.
func u64(name string, v uint64) Mem { return constant(name, U64(v)) }

// halves emits the 16-lane loop of a float32 → float32 function computed in
// float64: each half of 8 values widened (exactly), f applied, narrowed with
// round-to-nearest-even (Go's float32 conversion), and NaN inputs returned
// as they are (the Go versions return x for NaN).
func halves(f func(v VecVirtual) VecVirtual) {
	dst, src, n := param("dst"), param("src"), param("n")
	loop(n, func(load func(Register, VecVirtual), store func(VecVirtual, Register), _ Register) {
		x, lo, hi := ZMM(), ZMM(), ZMM()
		load(src, x)
		VCVTPS2PD(x.AsY(), lo)
		VEXTRACTF64X4(U8(1), x, hi.AsY())
		VCVTPS2PD(hi.AsY(), hi)
		rlo, rhi := f(lo), f(hi)
		out, t := ZMM(), ZMM()
		VCVTPD2PS(rlo, out.AsY())
		VCVTPD2PS(rhi, t.AsY())
		VINSERTF64X4(U8(1), t.AsY(), out, out)
		// K3 = x unordered with itself (NaN): out = x there.
		VCMPPS(U8(0x03), x, x, K3)
		VMOVAPS(x, K3, out)
		store(out, dst)
	})
}

// expNeg emits e^−y for the 8 float64 lanes y ≥ 0, the operations of the Go
// expNeg in its order: n = trunc(y·log2e + 1/2), z = −((y − n·ln2Hi) −
// n·ln2Lo), Estrin's polynomial p, p·2^−n (VSCALEFPD: exact, since the
// result is normal for y ≤ 708), and 0 where y > 708 or NaN.
func expNeg(y VecVirtual) VecVirtual {
	t, fn, a, b, z := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	VMULPD_BCST(f64("expLog2e", 1.4426950408889634073599), y, t)
	VADDPD_BCST(f64("expHalf", 0.5), t, t)
	VRNDSCALEPD(U8(0x0b), t, fn) // truncate, no precision exception
	VMULPD_BCST(f64("expLn2Hi", 6.93147180369123816490e-01), fn, a)
	VSUBPD(a, y, a) // y − n·ln2Hi
	VMULPD_BCST(f64("expLn2Lo", 1.90821492927058770002e-10), fn, b)
	VSUBPD(b, a, a)
	sign := u64("expSign", 1<<63)
	VPXORQ_BCST(sign, a, z) // z = −a
	z2, z4 := ZMM(), ZMM()
	VMULPD(z, z, z2)
	VMULPD(z2, z2, z4)
	p, q, r := ZMM(), ZMM(), ZMM()
	// p = (1 + z) + z2·(1/2 + z·(1/6))
	VADDPD_BCST(f64("one", 1), z, p)
	VMULPD_BCST(f64("expC6", 1./6), z, q)
	VADDPD_BCST(f64("expC2", 1./2), q, q)
	VMULPD(q, z2, q)
	VADDPD(q, p, p)
	// B = ((1/24 + z·(1/120)) + z2·(1/720 + z·(1/5040))) + z4·(1/40320)
	VMULPD_BCST(f64("expC120", 1./120), z, q)
	VADDPD_BCST(f64("expC24", 1./24), q, q)
	VMULPD_BCST(f64("expC5040", 1./5040), z, r)
	VADDPD_BCST(f64("expC720", 1./720), r, r)
	VMULPD(r, z2, r)
	VADDPD(r, q, q)
	VMULPD_BCST(f64("expC40320", 1./40320), z4, r)
	VADDPD(r, q, q)
	// p += z4·B
	VMULPD(q, z4, q)
	VADDPD(q, p, p)
	VPXORQ_BCST(sign, fn, fn) // −n
	VSCALEFPD(fn, p, p)
	// K2 = y ≤ 708 (ordered, quiet: predicate 0x12 is LE_OQ); 0 elsewhere.
	VCMPPD_BCST(U8(0x12), f64("exp708", 708), y, K2)
	VMOVAPD_Z(p, K2, p)
	return p
}

func sigmoid() {
	TEXT("sigmoidAVX512", NOSPLIT, "func(dst, src *float32, n int)")
	Doc("sigmoidAVX512 sets dst[i] = Sigmoid32(src[i]); see Sigmoid32.")
	halves(func(v VecVirtual) VecVirtual {
		y := ZMM()
		VPANDQ_BCST(u64("actAbs", 1<<63-1), v, y)
		e := expNeg(y)
		one, d, pos := ZMM(), ZMM(), ZMM()
		VBROADCASTSD(f64("one", 1), one)
		VADDPD(e, one, d)   // 1 + e
		VDIVPD(d, one, pos) // v ≥ 0: 1/(1 + e^−v)
		VDIVPD(d, e, e)     // v < 0: e^v/(1 + e^v)
		zero := ZMM()
		VXORPD(zero, zero, zero)
		// K4 = v ≥ 0 (predicate 0x1d is GE_OQ)
		VCMPPD(U8(0x1d), zero, v, K4)
		VBLENDMPD(pos, e, K4, e)
		return e
	})
}

func tanh() {
	TEXT("tanhAVX512", NOSPLIT, "func(dst, src *float32, n int)")
	Doc("tanhAVX512 sets dst[i] = Tanh32(src[i]); see Tanh32.")
	halves(func(v VecVirtual) VecVirtual {
		a := ZMM()
		VPANDQ_BCST(u64("actAbs", 1<<63-1), v, a)
		// |v| < 1/16: a·(1 + s·(−1/3 + s·(2/15 + s·(−17/315 + s·(62/2835))))), s = a².
		s, ps := ZMM(), ZMM()
		VMULPD(a, a, s)
		VMULPD_BCST(f64("tanhC9", 62./2835), s, ps)
		VADDPD_BCST(f64("tanhC7", -17./315), ps, ps)
		VMULPD(ps, s, ps)
		VADDPD_BCST(f64("tanhC5", 2./15), ps, ps)
		VMULPD(ps, s, ps)
		VADDPD_BCST(f64("tanhC3", -1./3), ps, ps)
		VMULPD(ps, s, ps)
		VADDPD_BCST(f64("one", 1), ps, ps)
		VMULPD(ps, a, ps)
		// otherwise (1 − e)/(1 + e), e = e^−2|v| (0 beyond 354, so 1 there).
		a2 := ZMM()
		VADDPD(a, a, a2) // 2·a, exactly
		e := expNeg(a2)
		one, num, den := ZMM(), ZMM(), ZMM()
		VBROADCASTSD(f64("one", 1), one)
		VSUBPD(e, one, num)
		VADDPD(e, one, den)
		VDIVPD(den, num, num)
		// K4 = a < 1/16 (predicate 0x11 is LT_OQ)
		VCMPPD_BCST(U8(0x11), f64("tanhSmall", 1./16), a, K4)
		VBLENDMPD(ps, num, K4, num)
		// the sign of v onto the result, which is ≥ 0
		sg := ZMM()
		VPANDQ_BCST(u64("expSign", 1<<63), v, sg)
		VPORQ(sg, num, num)
		return num
	})
}
