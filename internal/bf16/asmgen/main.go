// Command asmgen writes the amd64 assembly of package bf16 with avo.
//
// Run it through go generate in internal/bf16 (see gen.go). It emits:
//
//   - dot_MxV: an AVX512-BF16 micro-kernel for an M×(16·V) tile of C,
//     M ∈ {6, 4, 2, 1}, V ∈ {1, 2, 3, 4}, from packed bf16 operands;
//   - amx_MxN: an AMX kernel for a grid of (16·M)×(16·N) blocks of C,
//     M, N ∈ {1, 2} tiles, with the tile configuration amxcfg;
//   - cvtRows, vnniRows, vnniTRows: the packing of float32 rows into bf16
//     rows, into VNNI pairs of rows, and of a transposed matrix into VNNI
//     rows (round to nearest even);
//   - scaleRows: C = α·S (+ β·C), the AMX epilogue;
//   - peakDot, peakAMX: loops of VDPBF16PS and TDPBF16PS for the peak
//     benchmarks.
//
// The bf16 instructions are emitted as bytes (encode.go) on physical
// registers, so these functions do not use avo's register allocator.
//
// The operands of the kernels are bf16 pairs: A packed so that the pair
// (A[r][2p], A[r][2p+1]) is the 32-bit word at a + r·rsA + p·csA (bytes),
// B in VNNI form, row p of it holding (B[2p][j], B[2p+1][j]) for every
// column j at b + p·ldb + 4j. For its tile, a dot kernel computes
//
//	acc[r][j] = Σ_p A[r][2p]·B[2p][j] + A[r][2p+1]·B[2p+1][j]   in float32
//	C[r][j]   = α·acc[r][j] (+ β·C[r][j] if loadC)
//
// with VDPBF16PS (products of bf16 are exact in float32; the sums round).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!noasm")
	interleave := interleaveTable()
	cfg := tileConfig()
	for _, mr := range []int{6, 4, 2, 1} {
		for nv := 1; nv <= 4; nv++ {
			dotKernel(mr, nv)
		}
	}
	for _, mt := range []int{1, 2} {
		for _, nt := range []int{1, 2} {
			amxKernel(mt, nt, cfg)
		}
	}
	cvtRows()
	vnniRows(interleave)
	vnniTRows()
	scaleRows()
	peakDot()
	peakAMX(cfg)
	Generate()
}

// zmm lists the vector registers the kernels use: all but Z15, the zero
// register of Go's internal ABI (free in assembly, but left alone).
var zmm = func() []reg.Register {
	var zs []reg.Register
	for i := range 32 {
		if i != 15 {
			zs = append(zs, reg.Vector.Lookup(reg.Index(i), reg.S512))
		}
	}
	return zs
}()

// interleaveTable is the VPERMW index that interleaves the two halves of a
// vector of 32 words: word 2j from word j, word 2j+1 from word 16+j.
func interleaveTable() Mem {
	m := GLOBL("interleave", RODATA|NOPTR)
	for w := range 32 {
		DATA(2*w, U16(w/2+16*(w%2)))
	}
	return m
}

// tileConfig is the AMX tile configuration: palette 1, all eight tiles of
// 16 rows × 64 bytes (16×16 float32, or 16×32 bf16).
func tileConfig() Mem {
	m := GLOBL("amxcfg", RODATA|NOPTR)
	DATA(0, U8(1)) // palette
	for t := range 8 {
		DATA(16+2*t, U16(64)) // colsb[t]
	}
	for t := range 8 {
		DATA(48+t, U8(16)) // rows[t]
	}
	DATA(56, U64(0)) // pad the 64 bytes
	return m
}

const signatureDot = "func(kp int, a *uint16, rsA, csA int, b *uint16, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, loadC bool)"

// dotKernel emits an AVX512-BF16 micro-kernel for an mr×(16·nv) tile over
// kp pairs: rsA, csA and ldb in bytes, ldc in float32 elements. B is read
// in whole vectors (its packed rows are padded to 16 columns); C's last
// vector through the mask.
func dotKernel(mr, nv int) {
	name := fmt.Sprintf("dot_%dx%d", mr, nv)
	TEXT(name, NOSPLIT, signatureDot)
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C = α·A·B (+ β·C) from bf16 pairs with VDPBF16PS; the last of its %d vectors is masked.", name, mr, 16*nv, nv))
	acc := make([][]reg.Register, mr)
	next := 0
	for r := range acc {
		acc[r] = make([]reg.Register, nv)
		for v := range acc[r] {
			acc[r][v] = zmm[next]
			next++
			VPXORD(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	bv := zmm[next : next+nv]
	bc := zmm[next+nv]

	k, a, rs, cs, b, ldb := RCX, RSI, R8, R9, RDI, R10
	a3 := R11
	Load(Param("kp"), k)
	Load(Param("a"), a)
	Load(Param("rsA"), rs)
	Load(Param("csA"), cs)
	Load(Param("b"), b)
	Load(Param("ldb"), ldb)
	// Rows 0–2 are addressed from a, rows 3–5 from a3 = a + 3·rsA.
	if mr > 3 {
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
	for v := range bv {
		VMOVUPS(Mem{Base: b, Disp: 64 * v}, bv[v])
	}
	for r := range mr {
		VPBROADCASTD(rowA(r), bc)
		for v := range nv {
			VDPBF16PS(acc[r][v], bv[v], bc)
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
	c, ldc, m := RDX, RBX, RAX
	Load(Param("mask"), m)
	KMOVW(m.As32(), K1)
	Load(Param("c"), c)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	alpha, beta := bv[0], bc
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	for r := range acc {
		for v := range acc[r] {
			VMULPS(alpha, acc[r][v], acc[r][v])
		}
	}
	load := RAX.As8()
	Load(Param("loadC"), load)
	TESTB(load, load)
	JE(LabelRef("store"))
	// C = α·acc + β·C: load C (masked on the last vector) and fold it in.
	cl, t := R12, bv[min(1, nv-1)]
	if nv == 1 {
		t = zmm[next+nv+1]
	}
	MOVQ(c, cl)
	for r := range acc {
		for v := range acc[r] {
			m := Mem{Base: cl, Disp: 64 * v}
			if v == nv-1 {
				VMOVUPS_Z(m, K1, t)
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
			m := Mem{Base: c, Disp: 64 * v}
			if v == nv-1 {
				VMOVUPS(acc[r][v], K1, m)
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

const signatureAMX = "func(mb, nb, ks int, a *uint16, lda int, b *uint16, ldb int, s *float32, lds int)"

// amxKernel emits an AMX kernel for mb×nb blocks of (16·mt)×(16·nt) float32
// results S = A·B over ks steps of 32 k (16 pairs). Strides in bytes. A is
// bf16 row-major (row r at a + r·lda, padded to whole tiles: 16·mt·mb
// rows, 32·ks columns); B is VNNI (pair row p at b + p·ldb, 16·ks pair
// rows of 16·nt·nb pairs); S is written whole tiles at a time (row r at
// s + r·lds). Tiles: accumulators TMM0–3 (t·nt+u), A in TMM4–5, B in
// TMM6–7. It loads the configuration first and releases the tiles last.
func amxKernel(mt, nt int, cfg Mem) {
	name := fmt.Sprintf("amx_%dx%d", mt, nt)
	TEXT(name, NOSPLIT, signatureAMX)
	Doc(fmt.Sprintf("%s computes mb×nb blocks of %d×%d of S = A·B with TDPBF16PS (A bf16 rows, B VNNI pairs, S float32).", name, 16*mt, 16*nt))
	i, aRow, lda, ldb := RCX, RSI, RDX, RBX
	j, bCol, sRow, sPtr, lds := R8, RDI, R10, R9, R11
	aPtr, kc, bPtr, tmp := R12, R13, RAX, R14

	LEAQ(cfg, RAX)
	LDTILECFG(RAX)
	Load(Param("mb"), i)
	Load(Param("a"), aRow)
	Load(Param("lda"), lda)
	Load(Param("ldb"), ldb)
	Load(Param("s"), sRow)
	Load(Param("lds"), lds)
	TESTQ(i, i)
	JE(LabelRef("done"))
	Label("rows")
	Load(Param("nb"), j)
	Load(Param("b"), bCol)
	MOVQ(sRow, sPtr)
	TESTQ(j, j)
	JE(LabelRef("nextrow"))
	Label("cols")
	for t := range mt * nt {
		TILEZERO(t)
	}
	Load(Param("ks"), kc)
	MOVQ(aRow, aPtr)
	MOVQ(bCol, bPtr)
	TESTQ(kc, kc)
	JE(LabelRef("store"))
	Label("steps")
	TILELOADD(4, aPtr, lda)
	if mt == 2 {
		MOVQ(lda, tmp)
		SHLQ(U8(4), tmp)
		ADDQ(aPtr, tmp)
		TILELOADD(5, tmp, lda)
	}
	TILELOADD(6, bPtr, ldb)
	if nt == 2 {
		LEAQ(Mem{Base: bPtr, Disp: 64}, tmp)
		TILELOADD(7, tmp, ldb)
	}
	for t := range mt {
		for u := range nt {
			TDPBF16PS(t*nt+u, 4+t, 6+u)
		}
	}
	ADDQ(U32(64), aPtr) // 32 bf16 further along k
	MOVQ(ldb, tmp)
	SHLQ(U8(4), tmp)
	ADDQ(tmp, bPtr) // 16 pair rows further
	DECQ(kc)
	JNE(LabelRef("steps"))
	Label("store")
	TILESTORED(sPtr, lds, 0)
	if nt == 2 {
		LEAQ(Mem{Base: sPtr, Disp: 64}, tmp)
		TILESTORED(tmp, lds, 1)
	}
	if mt == 2 {
		MOVQ(lds, tmp)
		SHLQ(U8(4), tmp)
		ADDQ(sPtr, tmp)
		TILESTORED(tmp, lds, nt)
		if nt == 2 {
			ADDQ(U32(64), tmp)
			TILESTORED(tmp, lds, 3)
		}
	}
	ADDQ(U32(uint32(64*nt)), bCol)
	ADDQ(U32(uint32(64*nt)), sPtr)
	DECQ(j)
	JNE(LabelRef("cols"))
	Label("nextrow")
	// aRow and sRow move down 16·mt rows.
	MOVQ(lda, tmp)
	SHLQ(U8(uint8(4+mt-1)), tmp)
	ADDQ(tmp, aRow)
	MOVQ(lds, tmp)
	SHLQ(U8(uint8(4+mt-1)), tmp)
	ADDQ(tmp, sRow)
	DECQ(i)
	JNE(LabelRef("rows"))
	Label("done")
	TILERELEASE()
	RET()
}

// cvtRows emits the rounding of float32 rows to bf16 rows: dst row r, words
// 0 … 32·⌈n/32⌉−1, gets src row r rounded to nearest even, zeros past n.
// mlo, mhi mask the first and second 16 of a last partial chunk of 32 (0
// if n is a multiple of 32). Strides in elements.
func cvtRows() {
	TEXT("cvtRows", NOSPLIT, "func(rows, n int, src *float32, lds int, dst *uint16, ldd int, mlo, mhi uint64)")
	Doc("cvtRows writes dst = bf16(src), rows of n float32 to rows of 32·⌈n/32⌉ bf16 (zeros past n), with VCVTNE2PS2BF16.")
	rows, n32, src, lds, dst, ldd := RCX, RAX, RSI, R8, RDI, R9
	s, d, j, m := R10, R11, R12, RDX
	Load(Param("rows"), rows)
	Load(Param("n"), n32)
	SHRQ(U8(5), n32)
	Load(Param("src"), src)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	Load(Param("dst"), dst)
	Load(Param("ldd"), ldd)
	SHLQ(U8(1), ldd)
	Load(Param("mlo"), m)
	KMOVW(m.As32(), K1)
	Load(Param("mhi"), m)
	KMOVW(m.As32(), K2)
	Load(Param("mlo"), m)
	TESTQ(rows, rows)
	JE(LabelRef("done"))
	Label("row")
	MOVQ(src, s)
	MOVQ(dst, d)
	MOVQ(n32, j)
	TESTQ(j, j)
	JE(LabelRef("tail"))
	Label("chunk")
	VMOVUPS(Mem{Base: s}, Z0)
	VMOVUPS(Mem{Base: s, Disp: 64}, Z1)
	VCVTNE2PS2BF16(Z2, Z1, Z0)
	VMOVUPS(Z2, Mem{Base: d})
	ADDQ(U32(128), s)
	ADDQ(U32(64), d)
	DECQ(j)
	JNE(LabelRef("chunk"))
	Label("tail")
	TESTQ(m, m)
	JE(LabelRef("next"))
	VMOVUPS_Z(Mem{Base: s}, K1, Z0)
	VMOVUPS_Z(Mem{Base: s, Disp: 64}, K2, Z1)
	VCVTNE2PS2BF16(Z2, Z1, Z0)
	VMOVUPS(Z2, Mem{Base: d})
	Label("next")
	ADDQ(lds, src)
	ADDQ(ldd, dst)
	DECQ(rows)
	JNE(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

// vnniRows emits the VNNI packing of float32 rows: dst row p (words
// 0 … 32·⌈n/16⌉−1) interleaves src rows 2p and 2p+1 rounded to bf16,
// (src[2p][j], src[2p+1][j]) at words 2j, 2j+1, zeros past n; if odd, one
// more row pairs src row 2·pairs with zeros. mask covers a last partial
// chunk of 16 columns (0 if none). Strides in elements.
func vnniRows(interleave Mem) {
	TEXT("vnniRows", NOSPLIT, "func(pairs int, odd bool, n int, src *float32, lds int, dst *uint16, ldd int, mask uint64)")
	Doc("vnniRows writes pairs of src rows as bf16 VNNI rows of dst, with VCVTNE2PS2BF16 and VPERMW.")
	p, n16, src, lds, dst, ldd := RCX, RAX, RSI, R8, RDI, R9
	s0, s1, d, j, m := R10, R13, R11, R12, RDX
	Load(Param("pairs"), p)
	Load(Param("n"), n16)
	SHRQ(U8(4), n16)
	Load(Param("src"), src)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	Load(Param("dst"), dst)
	Load(Param("ldd"), ldd)
	SHLQ(U8(1), ldd)
	Load(Param("mask"), m)
	KMOVW(m.As32(), K1)
	VMOVDQU64(interleave, Z31)
	row := func(second bool, sfx string) {
		MOVQ(src, s0)
		if second {
			LEAQ(Mem{Base: src, Index: lds, Scale: 1}, s1)
		} else {
			VPXORD(Z1, Z1, Z1)
		}
		MOVQ(dst, d)
		MOVQ(n16, j)
		TESTQ(j, j)
		JE(LabelRef("tail" + sfx))
		Label("chunk" + sfx)
		VMOVUPS(Mem{Base: s0}, Z0)
		if second {
			VMOVUPS(Mem{Base: s1}, Z1)
		}
		VCVTNE2PS2BF16(Z2, Z1, Z0)
		VPERMW(Z2, Z31, Z3)
		VMOVUPS(Z3, Mem{Base: d})
		ADDQ(U32(64), s0)
		if second {
			ADDQ(U32(64), s1)
		}
		ADDQ(U32(64), d)
		DECQ(j)
		JNE(LabelRef("chunk" + sfx))
		Label("tail" + sfx)
		TESTQ(m, m)
		JE(LabelRef("next" + sfx))
		VMOVUPS_Z(Mem{Base: s0}, K1, Z0)
		if second {
			VMOVUPS_Z(Mem{Base: s1}, K1, Z1)
		}
		VCVTNE2PS2BF16(Z2, Z1, Z0)
		VPERMW(Z2, Z31, Z3)
		VMOVUPS(Z3, Mem{Base: d})
		Label("next" + sfx)
	}
	TESTQ(p, p)
	JE(LabelRef("odd"))
	Label("pair")
	row(true, "2")
	LEAQ(Mem{Base: src, Index: lds, Scale: 2}, src)
	ADDQ(ldd, dst)
	DECQ(p)
	JNE(LabelRef("pair"))
	Label("odd")
	odd := RBX.As8()
	Load(Param("odd"), odd)
	TESTB(odd, odd)
	JE(LabelRef("done"))
	row(false, "1")
	Label("done")
	VZEROUPPER()
	RET()
}

// vnniTRows emits the VNNI packing of a transposed matrix: for blocks of
// 16 rows j of src and chunks of 32 columns (16 pairs p), dst pair row
// 16·chunk+p, words 2j, 2j+1 of the block, gets (src[j][2p], src[j][2p+1])
// rounded to bf16: op(B) = srcᵀ in VNNI form, without a separate
// transpose. Each 16×16 block of 32-bit pairs is transposed in registers.
// mlo, mhi mask the last chunk's two halves of 16 columns (all ones if k is
// a multiple of 32); that chunk's missing columns are zero pairs. Strides:
// lds in float32 elements, ldd in bf16 words; blocks is the number of
// 16-row blocks, chunks the number of 32-column chunks.
func vnniTRows() {
	TEXT("vnniTRows", NOSPLIT, "func(blocks, chunks int, src *float32, lds int, dst *uint16, ldd int, mlo, mhi uint64)")
	Doc("vnniTRows writes srcᵀ as bf16 VNNI rows of dst, 16×16 blocks of pairs at a time, with VCVTNE2PS2BF16 and an in-register transpose.")
	blocks, src, lds, dst, ldd := RCX, RSI, R8, RDI, R9
	s, d, c, rowp, m := R10, R11, R12, R13, RDX
	Load(Param("blocks"), blocks)
	Load(Param("src"), src)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	Load(Param("dst"), dst)
	Load(Param("ldd"), ldd)
	SHLQ(U8(1), ldd)
	Load(Param("mlo"), m)
	KMOVW(m.As32(), K1)
	Load(Param("mhi"), m)
	KMOVW(m.As32(), K2)
	r := zmm[:16]
	t0, t1 := zmm[16], zmm[17]
	lo, hi := zmm[18], zmm[19]
	TESTQ(blocks, blocks)
	JE(LabelRef("done"))
	Label("block")
	MOVQ(src, s)
	MOVQ(dst, d)
	Load(Param("chunks"), c)
	Label("chunk")
	// The last chunk loads through the masks.
	CMPQ(c, U8(1))
	JE(LabelRef("masked"))
	KXNORW(K3, K3, K3)
	KXNORW(K4, K4, K4)
	JMP(LabelRef("load"))
	Label("masked")
	KMOVW(K1, K3)
	KMOVW(K2, K4)
	Label("load")
	MOVQ(s, rowp)
	for j := range 16 {
		VMOVUPS_Z(Mem{Base: rowp}, K3, lo)
		VMOVUPS_Z(Mem{Base: rowp, Disp: 64}, K4, hi)
		VCVTNE2PS2BF16(r[j], hi, lo) // dword p = pair (2p, 2p+1) of row j
		if j < 15 {
			ADDQ(lds, rowp)
		}
	}
	// Stage 1: unpack dwords of row pairs within 128-bit lanes.
	for j := 0; j < 16; j += 2 {
		VPUNPCKHDQ(r[j+1], r[j], t0)
		VPUNPCKLDQ(r[j+1], r[j], r[j])
		VMOVDQA64(t0, r[j+1])
	}
	// Stage 2: qwords of rows (4g, 4g+1) and (4g+2, 4g+3): afterwards w(g, c)
	// holds, in lane L, rows 4g…4g+3 at pair 4L+c.
	var w [4][4]reg.Register
	for g := range 4 {
		a0, a1, b0, b1 := r[4*g], r[4*g+1], r[4*g+2], r[4*g+3] // lo/hi of the two row pairs
		VPUNPCKLQDQ(b0, a0, t0)
		VPUNPCKHQDQ(b0, a0, t1)
		VPUNPCKLQDQ(b1, a1, a0)
		VPUNPCKHQDQ(b1, a1, a1)
		VMOVDQA64(t0, b0)
		VMOVDQA64(t1, b1)
		// now: b0 = column 0, b1 = column 1, a0 = column 2, a1 = column 3
		w[g] = [4]reg.Register{b0, b1, a0, a1}
	}
	// Stages 3 and 4: a 4×4 transpose of 128-bit lanes for each column c;
	// output pair p = 4L + c takes lane L of w(0…3, c).
	x0, x1, x2, x3 := zmm[20], zmm[21], zmm[22], zmm[23]
	for c := range 4 {
		VSHUFI32X4(U8(0x44), w[1][c], w[0][c], x0)
		VSHUFI32X4(U8(0xEE), w[1][c], w[0][c], x1)
		VSHUFI32X4(U8(0x44), w[3][c], w[2][c], x2)
		VSHUFI32X4(U8(0xEE), w[3][c], w[2][c], x3)
		VSHUFI32X4(U8(0x88), x2, x0, w[0][c]) // pair c
		VSHUFI32X4(U8(0xDD), x2, x0, w[1][c]) // pair 4+c
		VSHUFI32X4(U8(0x88), x3, x1, w[2][c]) // pair 8+c
		VSHUFI32X4(U8(0xDD), x3, x1, w[3][c]) // pair 12+c
	}
	MOVQ(d, rowp)
	for p := range 16 {
		VMOVDQU64(w[p/4][p%4], Mem{Base: rowp})
		if p < 15 {
			ADDQ(ldd, rowp)
		}
	}
	ADDQ(U32(128), s) // 32 columns further
	// d += 16 pair rows
	MOVQ(ldd, rowp)
	SHLQ(U8(4), rowp)
	ADDQ(rowp, d)
	DECQ(c)
	JNE(LabelRef("chunk"))
	// Next block: 16 rows down in src, 16 pairs (64 bytes) right in dst.
	MOVQ(lds, rowp)
	SHLQ(U8(4), rowp)
	ADDQ(rowp, src)
	ADDQ(U32(64), dst)
	DECQ(blocks)
	JNE(LabelRef("block"))
	Label("done")
	VZEROUPPER()
	RET()
}

// scaleRows emits C = α·S (+ β·C if loadC) for rows × n elements, the last
// partial vector of 16 through mask. Strides in elements.
func scaleRows() {
	TEXT("scaleRows", NOSPLIT, "func(rows, n int, s *float32, lds int, c *float32, ldc int, alpha, beta float32, mask uint64, loadC bool)")
	Doc("scaleRows writes C = α·S (+ β·C) row by row with AVX-512.")
	rows, n16, s, lds, c, ldc := RCX, RAX, RSI, R8, RDI, R9
	sp, cp, j, m, load := R10, R11, R12, RDX, RBX.As8()
	Load(Param("rows"), rows)
	Load(Param("n"), n16)
	SHRQ(U8(4), n16)
	Load(Param("s"), s)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	Load(Param("c"), c)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	Load(Param("mask"), m)
	KMOVW(m.As32(), K1)
	Load(Param("loadC"), load)
	alpha, beta := Z30, Z31
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	TESTQ(rows, rows)
	JE(LabelRef("done"))
	Label("row")
	MOVQ(s, sp)
	MOVQ(c, cp)
	MOVQ(n16, j)
	TESTQ(j, j)
	JE(LabelRef("tail"))
	Label("chunk")
	VMULPS(Mem{Base: sp}, alpha, Z0)
	TESTB(load, load)
	JE(LabelRef("put"))
	VFMADD231PS(Mem{Base: cp}, beta, Z0)
	Label("put")
	VMOVUPS(Z0, Mem{Base: cp})
	ADDQ(U32(64), sp)
	ADDQ(U32(64), cp)
	DECQ(j)
	JNE(LabelRef("chunk"))
	Label("tail")
	TESTQ(m, m)
	JE(LabelRef("next"))
	VMOVUPS_Z(Mem{Base: sp}, K1, Z0)
	VMULPS(Z0, alpha, Z0)
	TESTB(load, load)
	JE(LabelRef("puttail"))
	VMOVUPS_Z(Mem{Base: cp}, K1, Z1)
	VFMADD231PS(Z1, beta, Z0)
	Label("puttail")
	VMOVUPS(Z0, K1, Mem{Base: cp})
	Label("next")
	ADDQ(lds, s)
	ADDQ(ldc, c)
	DECQ(rows)
	JNE(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

// peakDot emits n rounds of 24 independent VDPBF16PS (64 FLOPs each: 16
// lanes × 2 products × multiply and add), for the peak benchmark.
func peakDot() {
	TEXT("peakDot", NOSPLIT, "func(n int)")
	Doc("peakDot runs n rounds of 24 independent VDPBF16PS.")
	n := RCX
	Load(Param("n"), n)
	for i := range 26 {
		VPXORD(zmm[i], zmm[i], zmm[i])
	}
	TESTQ(n, n)
	JE(LabelRef("done"))
	Label("loop")
	for i := range 24 {
		VDPBF16PS(zmm[i], zmm[24], zmm[25])
	}
	DECQ(n)
	JNE(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// peakAMX emits n rounds of 4 TDPBF16PS on four accumulator tiles (16×16
// float32 += 16×32 bf16 · 32×16 bf16: 16384 FLOPs each), for the tile peak
// benchmark.
func peakAMX(cfg Mem) {
	TEXT("peakAMX", NOSPLIT, "func(n int)")
	Doc("peakAMX runs n rounds of 4 TDPBF16PS on four accumulator tiles.")
	n := RCX
	LEAQ(cfg, RAX)
	LDTILECFG(RAX)
	for t := range 8 {
		TILEZERO(t)
	}
	Load(Param("n"), n)
	TESTQ(n, n)
	JE(LabelRef("done"))
	Label("loop")
	TDPBF16PS(0, 4, 6)
	TDPBF16PS(1, 4, 7)
	TDPBF16PS(2, 5, 6)
	TDPBF16PS(3, 5, 7)
	DECQ(n)
	JNE(LabelRef("loop"))
	Label("done")
	TILERELEASE()
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
