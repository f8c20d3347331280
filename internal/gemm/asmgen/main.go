// Command asmgen writes the amd64 assembly of package gemm with avo.
//
// Run it through go generate in internal/gemm (see gen.go). It emits:
//
//   - kern512_MxV: an AVX-512 micro-kernel for an M×(16·V) tile of C,
//     M ∈ {6, 4, 2, 1}, V ∈ {1, 2, 3, 4} vectors of 16 float32;
//   - kern256_MxV: the AVX2 twin, M ∈ {6, 4, 2, 1}, V ∈ {1, 2} vectors of 8;
//   - transpose8: an AVX transpose of a region made of 8×8 blocks.
//
// Every micro-kernel computes, for its tile,
//
//	acc[r][j] = Σ_p A[r][p]·B[p][j]          p = 0 … k−1, in order, with FMA
//	C[r][j]   = α·acc[r][j] (+ β·C[r][j] if loadC)
//
// reading A in place through two strides (element (r, p) at a + r·rsA + p·csA,
// so Aᵀ costs nothing: its scalars are broadcast) and B in place by rows
// (element (p, j) at b + p·ldb + j). The last vector of each row is loaded and
// stored through a mask, which covers ragged right edges; ragged bottom edges
// are covered by the smaller M. All strides are in elements.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const signature = "func(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, loadC bool)"

func main() {
	ConstraintExpr("!noasm")
	for _, mr := range []int{6, 4, 2, 1} {
		for nv := 1; nv <= 4; nv++ {
			kernel(true, mr, nv)
		}
	}
	for _, mr := range []int{6, 4, 2, 1} {
		for nv := 1; nv <= 2; nv++ {
			kernel(false, mr, nv)
		}
	}
	for _, mr := range []int{4, 1} {
		for _, nr := range []int{4, 1} {
			kernelNT(mr, nr)
		}
	}
	transpose8()
	Generate()
}

// kernel emits one micro-kernel. wide selects AVX-512 (zmm, 16 lanes, opmask
// K1) over AVX2 (ymm, 8 lanes, a mask vector for VMASKMOVPS).
func kernel(wide bool, mr, nv int) {
	lanes, isa := 8, "AVX2"
	name := fmt.Sprintf("kern256_%dx%d", mr, nv)
	if wide {
		lanes, isa = 16, "AVX-512"
		name = fmt.Sprintf("kern512_%dx%d", mr, nv)
	}
	TEXT(name, NOSPLIT, signature)
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C = α·A·B (+ β·C) with %s; the last of its %d vectors is masked.",
		name, mr, lanes*nv, isa, nv))
	vec := func() VecVirtual {
		if wide {
			return ZMM()
		}
		return YMM()
	}
	vbytes := 4 * lanes

	// Mask of the last vector.
	var mask VecVirtual // AVX2
	if wide {
		m := GP64()
		Load(Param("mask"), m)
		KMOVW(m.As32(), K1)
	} else {
		mp := Load(Param("mask"), GP64()) // pointer to 8 int32 lanes
		mask = YMM()
		VMOVDQU(Mem{Base: mp}, mask)
	}
	lastLoad := func(m Mem, dst VecVirtual) {
		if wide {
			VMOVUPS_Z(m, K1, dst)
		} else {
			VMASKMOVPS(m, mask, dst)
		}
	}
	lastStore := func(src VecVirtual, m Mem) {
		if wide {
			VMOVUPS(src, K1, m)
		} else {
			VMASKMOVPS(src, mask, m)
		}
	}

	acc := make([][]VecVirtual, mr)
	for r := range acc {
		acc[r] = make([]VecVirtual, nv)
		for v := range acc[r] {
			acc[r][v] = vec()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}

	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	rs := Load(Param("rsA"), GP64())
	cs := Load(Param("csA"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), rs)
	SHLQ(U8(2), cs)
	SHLQ(U8(2), ldb)
	// Rows 0–2 are addressed from a, rows 3–5 from a3 = a + 3·rsA.
	var a3 GPVirtual
	if mr > 3 {
		a3 = GP64()
		LEAQ(Mem{Base: a, Index: rs, Scale: 2}, a3)
		ADDQ(rs, a3)
	}
	rowA := func(r int) Mem {
		base := a
		if r >= 3 {
			base, r = a3, r-3
		}
		switch r {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: rs, Scale: 1}
		default:
			return Mem{Base: base, Index: rs, Scale: 2}
		}
	}

	TESTQ(k, k)
	JE(LabelRef("epilogue"))
	Label("loop")
	bv := make([]VecVirtual, nv)
	for v := range bv {
		bv[v] = vec()
		m := Mem{Base: b, Disp: v * vbytes}
		if v == nv-1 {
			lastLoad(m, bv[v])
		} else {
			VMOVUPS(m, bv[v])
		}
	}
	for r := 0; r < mr; r++ {
		s := vec()
		VBROADCASTSS(rowA(r), s)
		for v := 0; v < nv; v++ {
			VFMADD231PS(bv[v], s, acc[r][v])
		}
	}
	ADDQ(cs, a)
	if mr > 3 {
		ADDQ(cs, a3)
	}
	ADDQ(ldb, b)
	DECQ(k)
	JNE(LabelRef("loop"))

	Label("epilogue")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	alpha, beta := vec(), vec()
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	for r := range acc {
		for v := range acc[r] {
			VMULPS(alpha, acc[r][v], acc[r][v])
		}
	}
	load := Load(Param("loadC"), GP8())
	TESTB(load, load)
	JE(LabelRef("store"))
	// C = α·acc + β·C: load C (masked on the last vector) and fold it in.
	cl := GP64()
	MOVQ(c, cl)
	for r := range acc {
		for v := range acc[r] {
			m := Mem{Base: cl, Disp: v * vbytes}
			t := vec()
			if v == nv-1 {
				lastLoad(m, t)
			} else {
				VMOVUPS(m, t)
			}
			VFMADD231PS(t, beta, acc[r][v])
		}
		if r < mr-1 {
			ADDQ(ldc, cl)
		}
	}
	Label("store")
	for r := range acc {
		for v := range acc[r] {
			m := Mem{Base: c, Disp: v * vbytes}
			if v == nv-1 {
				lastStore(acc[r][v], m)
			} else {
				VMOVUPS(acc[r][v], m)
			}
		}
		if r < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

const signatureNT = "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, tail uint64, loadC bool)"

// kernelNT emits an AVX-512 kernel for C = α·A·Bᵀ (+ β·C) on an mr×nr tile,
// mr, nr ∈ {4, 1}, with A (m×k) and B (n×k) both read along k: each of the
// 4×4 accumulators holds 16 partial sums of one dot product over k, the last
// chunk of k loaded through the mask tail (0: no partial chunk). The partial
// sums are then reduced by the same tree for every accumulator and every tile
// shape: lanes l, l+4, l+8, l+12 as (q0+q2)+(q1+q3) per 128-bit quarter,
// then the four lanes as (s0+s2)+(s1+s3).
func kernelNT(mr, nr int) {
	name := fmt.Sprintf("kernNT512_%dx%d", mr, nr)
	TEXT(name, NOSPLIT, signatureNT)
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C = α·A·Bᵀ (+ β·C) with AVX-512, as dot products along k.", name, mr, nr))

	// acc[r][c]; the ones outside the tile stay zero and are reduced
	// alongside (the tree is the same for every shape).
	var acc [4][4]VecVirtual
	for r := range 4 {
		for c := range 4 {
			acc[r][c] = ZMM()
			VXORPS(acc[r][c], acc[r][c], acc[r][c])
		}
	}
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lda)
	SHLQ(U8(2), ldb)
	// Row r of A at a + r·lda: rows 0–2 from a, row 3 from a3; same for B.
	var a3, b3 Register
	if mr == 4 {
		a3 = GP64()
		LEAQ(Mem{Base: a, Index: lda, Scale: 2}, a3)
		ADDQ(lda, a3)
	}
	if nr == 4 {
		b3 = GP64()
		LEAQ(Mem{Base: b, Index: ldb, Scale: 2}, b3)
		ADDQ(ldb, b3)
	}
	row := func(base, base3, ld Register, r, disp int) Mem {
		switch r {
		case 0:
			return Mem{Base: base, Disp: disp}
		case 1:
			return Mem{Base: base, Index: ld, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: base, Index: ld, Scale: 2, Disp: disp}
		}
		return Mem{Base: base3, Disp: disp}
	}
	chunk := func(masked bool) {
		av := make([]VecVirtual, mr)
		bv := make([]VecVirtual, nr)
		for r := range av {
			av[r] = ZMM()
			if masked {
				VMOVUPS_Z(row(a, a3, lda, r, 0), K1, av[r])
			} else {
				VMOVUPS(row(a, a3, lda, r, 0), av[r])
			}
		}
		for c := range bv {
			bv[c] = ZMM()
			if masked {
				VMOVUPS_Z(row(b, b3, ldb, c, 0), K1, bv[c])
			} else {
				VMOVUPS(row(b, b3, ldb, c, 0), bv[c])
			}
		}
		for r := range av {
			for c := range bv {
				VFMADD231PS(bv[c], av[r], acc[r][c])
			}
		}
	}
	n16 := GP64()
	MOVQ(k, n16)
	SHRQ(U8(4), n16)
	JE(LabelRef("tail"))
	Label("loop")
	chunk(false)
	ADDQ(U32(64), a)
	ADDQ(U32(64), b)
	if mr == 4 {
		ADDQ(U32(64), a3)
	}
	if nr == 4 {
		ADDQ(U32(64), b3)
	}
	DECQ(n16)
	JNE(LabelRef("loop"))
	Label("tail")
	tail := GP64()
	Load(Param("tail"), tail)
	TESTQ(tail, tail)
	JE(LabelRef("reduce"))
	KMOVW(tail.As32(), K1)
	chunk(true)

	Label("reduce")
	// Accumulator (r, c) takes slot 4c+r, so that the tree leaves the sum of
	// (r, c) in lane 4r+c: row r of the tile in 128-bit quarter r.
	var slot [16]VecVirtual
	for r := range 4 {
		for c := range 4 {
			slot[4*c+r] = acc[r][c]
		}
	}
	// Step 1: halves of pairs: [x.q0+x.q2, x.q1+x.q3, y.q0+y.q2, y.q1+y.q3].
	var s1 [8]VecVirtual
	for i := range s1 {
		x, y := slot[2*i], slot[2*i+1]
		t, u := ZMM(), ZMM()
		VSHUFF32X4(U8(0x44), y, x, t)
		VSHUFF32X4(U8(0xEE), y, x, u)
		s1[i] = t
		VADDPS(u, t, s1[i])
	}
	// Step 2: quarters: [x, y, x', y'] with x = (q0+q2)+(q1+q3) of slot 4j.
	var s2 [4]VecVirtual
	for j := range s2 {
		s, s_ := s1[2*j], s1[2*j+1]
		t, u := ZMM(), ZMM()
		VSHUFF32X4(U8(0x88), s_, s, t)
		VSHUFF32X4(U8(0xDD), s_, s, u)
		s2[j] = t
		VADDPS(u, t, s2[j])
	}
	// Step 3: within each quarter q, lane e gets slot 4e+q, summed as
	// (l0+l2)+(l1+l3).
	w := make([]VecVirtual, 2)
	for h := range w {
		v0, v1 := s2[2*h], s2[2*h+1]
		t, u := ZMM(), ZMM()
		VUNPCKLPS(v1, v0, t)
		VUNPCKHPS(v1, v0, u)
		w[h] = t
		VADDPS(u, t, w[h])
	}
	lo, hi := ZMM(), ZMM()
	VUNPCKLPD(w[1], w[0], lo)
	VUNPCKHPD(w[1], w[0], hi)
	sum := lo
	VADDPS(hi, lo, sum)

	alpha, beta := ZMM(), ZMM()
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	VMULPS(alpha, sum, sum)
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	load := Load(Param("loadC"), GP8())
	for r := range mr {
		// A copy: VEX-encoded xmm arithmetic zeroes the upper lanes of its
		// destination, which must not be sum.
		x := XMM()
		if r == 0 {
			VMOVAPS(sum.AsX(), x)
		} else {
			VEXTRACTF32X4(U8(r), sum, x)
		}
		skip := fmt.Sprintf("store%d", r)
		TESTB(load, load)
		JE(LabelRef(skip))
		cv := XMM()
		if nr == 4 {
			VMOVUPS(Mem{Base: c}, cv)
		} else {
			VMOVSS(Mem{Base: c}, cv)
		}
		VFMADD231PS(cv, beta.AsX(), x)
		Label(skip)
		if nr == 4 {
			VMOVUPS(x, Mem{Base: c})
		} else {
			VMOVSS(x, Mem{Base: c})
		}
		if r < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// paramAddr returns the stack address of a scalar argument.
func paramAddr(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return p.Addr
}

// transpose8 emits a transpose of rows×cols blocks of 8×8 elements:
// dst[j][i] = src[i][j] for i < 8·rows, j < 8·cols, strides in elements.
func transpose8() {
	TEXT("transpose8", NOSPLIT, "func(rows, cols int, src *float32, lds int, dst *float32, ldd int)")
	Doc("transpose8 writes dst = srcᵀ for a src of (8·rows)×(8·cols) elements, with AVX.")
	rows := Load(Param("rows"), GP64())
	cols := Load(Param("cols"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), lds)
	SHLQ(U8(2), ldd)
	TESTQ(rows, rows)
	JE(LabelRef("done"))
	TESTQ(cols, cols)
	JE(LabelRef("done"))

	Label("rowloop")
	// s walks the 8-row strip of src left to right; d walks the matching
	// 8-column strip of dst top to bottom.
	s, d, j := GP64(), GP64(), GP64()
	MOVQ(src, s)
	MOVQ(dst, d)
	MOVQ(cols, j)
	Label("colloop")
	p := GP64()
	MOVQ(s, p)
	x := make([]VecVirtual, 8)
	for i := range x {
		x[i] = YMM()
		VMOVUPS(Mem{Base: p}, x[i])
		if i < 7 {
			ADDQ(lds, p)
		}
	}
	// Unpack pairs of rows, then 4-element groups, then 128-bit halves.
	t := make([]VecVirtual, 8)
	for i := range t {
		t[i] = YMM()
	}
	for i := 0; i < 4; i++ {
		VUNPCKLPS(x[2*i+1], x[2*i], t[2*i])
		VUNPCKHPS(x[2*i+1], x[2*i], t[2*i+1])
	}
	// t0 = a0 b0 a1 b1 | a4 b4 a5 b5, t1 = a2 b2 a3 b3 | a6 b6 a7 b7, ...
	u := x // reuse
	for i := 0; i < 2; i++ {
		lo, hi := t[4*i], t[4*i+2]
		VSHUFPS(U8(0x44), hi, lo, u[4*i])   // a0 b0 c0 d0 | a4 b4 c4 d4
		VSHUFPS(U8(0xEE), hi, lo, u[4*i+1]) // a1 b1 c1 d1 | a5 ...
		lo, hi = t[4*i+1], t[4*i+3]
		VSHUFPS(U8(0x44), hi, lo, u[4*i+2]) // a2 ... | a6
		VSHUFPS(U8(0xEE), hi, lo, u[4*i+3]) // a3 ... | a7
	}
	// u[0..3] hold columns 0–3 (low) and 4–7 (high) of rows 0–3; u[4..7] of rows 4–7.
	q := GP64()
	MOVQ(d, q)
	out := t // reuse
	for c := 0; c < 4; c++ {
		VPERM2F128(U8(0x20), u[4+c], u[c], out[c])   // column c
		VPERM2F128(U8(0x31), u[4+c], u[c], out[4+c]) // column c+4
	}
	for c := 0; c < 8; c++ {
		VMOVUPS(out[c], Mem{Base: q})
		if c < 7 {
			ADDQ(ldd, q)
		}
	}
	ADDQ(U32(32), s)
	// d += 8 rows of dst
	LEAQ(Mem{Base: d, Index: ldd, Scale: 8}, d)
	DECQ(j)
	JNE(LabelRef("colloop"))

	// next strip: src += 8 rows, dst += 8 columns
	LEAQ(Mem{Base: src, Index: lds, Scale: 8}, src)
	ADDQ(U32(32), dst)
	DECQ(rows)
	JNE(LabelRef("rowloop"))
	Label("done")
	VZEROUPPER()
	RET()
}
