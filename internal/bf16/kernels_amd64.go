//go:build !noasm

package bf16

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/deepq/deepq/internal/gemm"
)

const noAsmWhy = "the CPU has no AVX512-BF16"

// hasAsm reports whether this build has the bf16 assembly.
const hasAsm = true

// asmKernels returns the bf16 kernels this process can run, fastest first:
// "amx" if the CPU has AMX-TILE and AMX-BF16 and Linux grants the tile
// state (requestAMX), "avx512bf16" if it has AVX512-BF16 (and AVX512-BW,
// for VPERMW). Each says why the faster ones are missing.
func asmKernels() []*kernel {
	var ks []*kernel
	amxWhy := ""
	switch {
	case !cpu.X86.HasAMXTile || !cpu.X86.HasAMXBF16:
		amxWhy = "the CPU has no AMX (CPUID lacks AMX-TILE or AMX-BF16)"
	case !cpu.X86.HasAVX512BF16 || !cpu.X86.HasAVX512BW:
		amxWhy = "the CPU has AMX but not the AVX512-BF16 and AVX512-BW of the packing"
	default:
		if err := requestAMX(); err != nil {
			amxWhy = "Linux refused the AMX tile state: " + err.Error()
		} else {
			ks = append(ks, &kernel{name: "amx", why: "AMX tiles granted by Linux (arch_prctl ARCH_REQ_XCOMP_PERM)", gemm: amxGemm})
		}
	}
	if cpu.X86.HasAVX512BF16 && cpu.X86.HasAVX512BW {
		why := "fastest here"
		if amxWhy != "" {
			why = "no AMX: " + amxWhy
		}
		ks = append(ks, &kernel{name: "avx512bf16", why: why, gemm: dotGemm})
	} else if amxWhy != "" {
		float32Kernel.why = "no AMX (" + amxWhy + ") and no AVX512-BF16"
	}
	if len(ks) > 0 {
		float32Kernel.why = "a fallback; this CPU has " + ks[0].name
	}
	return ks
}

// AMX reports whether this process may use the AMX tiles, and if not why.
func AMX() (ok bool, why string) {
	for _, k := range kernels {
		if k.name == "amx" {
			return true, k.why
		}
	}
	if k := kernels[0]; k.name == "avx512bf16" {
		return false, k.why[len("no AMX: "):]
	}
	return false, kernels[0].why
}

type dotFunc = func(kp int, a *uint16, rsA, csA int, b *uint16, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, loadC bool)

// dotTiles are the AVX512-BF16 tiles, [row index in dotRows][vectors−1].
var dotTiles = [4][4]dotFunc{
	{dot_6x1, dot_6x2, dot_6x3, dot_6x4},
	{dot_4x1, dot_4x2, dot_4x3, dot_4x4},
	{dot_2x1, dot_2x2, dot_2x3, dot_2x4},
	{dot_1x1, dot_1x2, dot_1x3, dot_1x4},
}

var dotRows = [4]int{6, 4, 2, 1}

// Blocks of the AVX512-BF16 driver: kcPairs pairs of k (256 values) and
// ncDot columns of packed B (kcPairs·ncDot·4 bytes = 256 KiB, in L2),
// panels of 64 columns (a kcPairs×64 micro-panel, 32 KiB, stays in L1
// while the row tiles pass over it; with 256 pairs, 64 KiB did not, and
// the DQN shapes ran some 10–30% slower).
const (
	kcPairs = 128
	ncDot   = 512
	panel   = 64
)

// packed is a problem with its operands packed as the kernels read them:
// the bf16 pair (op(A)(i, 2p), op(A)(i, 2p+1)) at a + i·rsA + p·csA bytes,
// and pair row p of VNNI B at b + p·ldb bytes; kp pairs along k.
type packed struct {
	p             problem
	a, b          unsafe.Pointer
	rsA, csA, ldb int
	kp            int
	// AMX only: tiles per block (mt×nt), steps of 32 along k, and the
	// float32 scratch S (lds elements per row).
	mt, nt, ks int
	s          unsafe.Pointer
	lds        int
	// The split (split): by columns or rows, in units of unit, each share
	// computed by run.
	byCols bool
	unit   int
	run    func(pk *packed, i0, i1, j0, j1 int)
}

// Run computes the share [lo, hi) of units (column panels or row tiles).
func (pk *packed) Run(lo, hi int) {
	if pk.byCols {
		pk.run(pk, 0, pk.p.m, lo*pk.unit, min(pk.p.n, hi*pk.unit))
	} else {
		pk.run(pk, lo*pk.unit, min(pk.p.m, hi*pk.unit), 0, pk.p.n)
	}
}

var packs = sync.Pool{New: func() any { return new(packed) }}

// split runs pk over the whole of C, in shares of gemm.For if par: along
// the longer side of C, on whole units, so that every element is computed
// by the same code whatever the split.
func split(pk *packed, par bool, rowUnit, colUnit int) {
	p := &pk.p
	if !par {
		pk.run(pk, 0, p.m, 0, p.n)
		return
	}
	pk.byCols = p.n >= p.m || p.m < 2*rowUnit
	size := p.m
	pk.unit = rowUnit
	if pk.byCols {
		size, pk.unit = p.n, colUnit
	}
	gemm.For((size+pk.unit-1)/pk.unit, 1, pk)
}

// packA writes op(A) as bf16 pairs into ws.a: by rows (cvtRows) if A is
// not transposed, as VNNI pairs of A's rows otherwise (then a pair of op(A)
// is a column pair of A). It returns the strides rsA, csA in bytes.
func packA(p *problem, ws *workspace) (rsA, csA int) {
	if !p.transA {
		ld := roundUp(p.k, 32)
		ws.a = grow(ws.a, p.m*ld)
		cvt(p.m, p.k, p.a, p.lda, ws.a, ld)
		return 2 * ld, 4
	}
	ld := 2 * roundUp(p.m, 16)
	ws.a = grow(ws.a, (p.k+1)/2*ld)
	vnni(p.k, p.m, p.a, p.lda, ws.a, ld)
	return 4, 2 * ld
}

// packB writes op(B) in VNNI form into ws.b: max(pairRows, 16·⌈k/32⌉)
// pair rows of ldb ≥ 32·⌈n/16⌉ words. If B is not transposed, from pairs of
// its rows (vnniRows); otherwise (a pair of op(B) is then two neighbours in
// a row of B) by 16×16 blocks of pairs transposed in registers (vnniTRows),
// which also zero the pairs past k up to a multiple of 16.
func packB(p *problem, ws *workspace, pairRows, ldb int) {
	chunks := (p.k + 31) / 32
	ws.b = grow(ws.b, max(pairRows, 16*chunks)*ldb)
	if !p.transB {
		vnni(p.k, p.n, p.b, p.ldb, ws.b, ldb)
		return
	}
	mlo, mhi := uint64(0xffff), uint64(0xffff)
	if t := p.k % 32; t != 0 {
		mlo, mhi = uint64(1)<<min(t, 16)-1, uint64(1)<<max(t-16, 0)-1
	}
	full := p.n / 16
	if full > 0 {
		vnniTRows(full, chunks, ptr32(p.b, 0), p.ldb, ptr16(ws.b, 0), ldb, mlo, mhi)
	}
	if rows := p.n - 16*full; rows > 0 {
		// The last rows, through a block of 16 padded with zero rows.
		ws.fb = grow(ws.fb, 16*p.k)
		clear(ws.fb[rows*p.k:])
		for j := range rows {
			copy(ws.fb[j*p.k:(j+1)*p.k], p.b[(16*full+j)*p.ldb:])
		}
		vnniTRows(1, chunks, ptr32(ws.fb, 0), p.k, ptr16(ws.b, 32*full), ldb, mlo, mhi)
	}
}

// words views pairs of bf16 as float32-sized words, for gemm.Transpose
// (which moves bits without arithmetic).
func words(x []uint16) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x)/2)
}

// cvt rounds rows×n of src into dst rows of ld ≥ 32·⌈n/32⌉ words.
func cvt(rows, n int, src []float32, lds int, dst []uint16, ld int) {
	if rows == 0 {
		return
	}
	t := n % 32
	lo, hi := uint64(1)<<min(t, 16)-1, uint64(1)<<max(t-16, 0)-1
	cvtRows(rows, n, ptr32(src, 0), lds, ptr16(dst, 0), ld, lo, hi)
}

// vnni packs the k rows of n columns of src into (k+1)/2 VNNI rows of dst,
// ld ≥ 32·⌈n/16⌉ words.
func vnni(k, n int, src []float32, lds int, dst []uint16, ld int) {
	vnniRows(k/2, k%2 == 1, n, ptr32(src, 0), lds, ptr16(dst, 0), ld, uint64(1)<<(n%16)-1)
}

// dotGemm is the AVX512-BF16 kernel: pack, then tiles of up to 6×64.
func dotGemm(p problem, par bool) {
	ws := getWorkspace()
	defer workspaces.Put(ws)
	rsA, csA := packA(&p, ws)
	ldb := 2 * roundUp(p.n, 16)
	packB(&p, ws, 0, ldb)
	pk := packs.Get().(*packed)
	*pk = packed{p: p, a: unsafe.Pointer(unsafe.SliceData(ws.a)), b: unsafe.Pointer(unsafe.SliceData(ws.b)),
		rsA: rsA, csA: csA, ldb: 2 * ldb, kp: (p.k + 1) / 2, run: dotRegion}
	split(pk, par, 6, panel)
	*pk = packed{}
	packs.Put(pk)
}

// dotRegion computes rows [i0, i1) × columns [j0, j1) of C. Loop order
// (outermost first): column blocks, k blocks, panels, row tiles; every
// element sees the k blocks in the same order, so the split does not
// change it.
func dotRegion(pk *packed, i0, i1, j0, j1 int) {
	p := &pk.p
	for jc := j0; jc < j1; jc += ncDot {
		ncur := min(ncDot, j1-jc)
		for pc := 0; pc < pk.kp; pc += kcPairs {
			kcur := min(kcPairs, pk.kp-pc)
			beta, loadC := float32(1), true
			if pc == 0 {
				beta, loadC = p.beta, p.beta != 0
			}
			for jr := 0; jr < ncur; jr += panel {
				cols := min(panel, ncur-jr)
				nv := (cols + 15) >> 4
				mask := uint64(1)<<(cols-(nv-1)<<4) - 1
				b := (*uint16)(unsafe.Add(pk.b, pc*pk.ldb+4*(jc+jr)))
				for i := i0; i < i1; {
					r := 0
					for dotRows[r] > i1-i {
						r++
					}
					a := (*uint16)(unsafe.Add(pk.a, i*pk.rsA+pc*pk.csA))
					dotTiles[r][nv-1](kcur, a, pk.rsA, pk.csA, b, pk.ldb, ptr32(p.c, i*p.ldc+jc+jr), p.ldc, p.alpha, beta, mask, loadC)
					i += dotRows[r]
				}
			}
		}
	}
}

// amxFuncs are the AMX kernels, [mt−1][nt−1].
var amxFuncs = [2][2]func(mb, nb, ks int, a *uint16, lda int, b *uint16, ldb int, s *float32, lds int){
	{amx_1x1, amx_1x2},
	{amx_2x1, amx_2x2},
}

// amxGemm is the AMX kernel: op(A) packed as bf16 rows (whole tiles: rows
// padded to 16·mt, k to 32, the k padding zero), B as VNNI (pair rows
// padded to 16 per step, zero; columns to 16·nt), the blocks multiplied
// into a float32 scratch S and S folded into C as α·S + β·C.
//
// Padding rows of A and columns of B may hold anything: they only reach
// rows and columns of S that are not copied to C.
func amxGemm(p problem, par bool) {
	ws := getWorkspace()
	defer workspaces.Put(ws)
	mt, nt := 2, 2
	if p.m <= 16 {
		mt = 1
	}
	if p.n <= 16 {
		nt = 1
	}
	ks := (p.k + 31) / 32
	mp := roundUp(p.m, 16*mt)
	lda := 32 * ks // words
	ws.a = grow(ws.a, mp*lda)
	if !p.transA {
		cvt(p.m, p.k, p.a, p.lda, ws.a, lda)
	} else {
		// VNNI pairs of A's rows are pairs of op(A)'s columns: transpose
		// those 32-bit pairs into op(A)'s rows, then zero the k padding.
		ldt := 2 * roundUp(p.m, 16)
		ws.t = grow(ws.t, (p.k+1)/2*ldt)
		vnni(p.k, p.m, p.a, p.lda, ws.t, ldt)
		gemm.Transpose((p.k+1)/2, p.m, words(ws.t), ldt/2, words(ws.a), lda/2)
		for i := range p.m {
			clear(ws.a[i*lda+2*((p.k+1)/2) : (i+1)*lda])
		}
	}
	np := roundUp(p.n, 16*nt)
	ldb := 2 * np // words
	pairRows := 16 * ks
	kp := (p.k + 1) / 2
	packB(&p, ws, pairRows, ldb)
	clear(ws.b[kp*ldb : pairRows*ldb])
	ws.s = grow(ws.s, mp*np)
	pk := packs.Get().(*packed)
	*pk = packed{p: p, a: unsafe.Pointer(unsafe.SliceData(ws.a)), b: unsafe.Pointer(unsafe.SliceData(ws.b)),
		rsA: 2 * lda, ldb: 2 * ldb, mt: mt, nt: nt, ks: ks,
		s: unsafe.Pointer(unsafe.SliceData(ws.s)), lds: np, run: amxRegion}
	split(pk, par, 16*mt, 16*nt)
	*pk = packed{}
	packs.Put(pk)
}

// amxRegion computes rows [i0, i1) × columns [j0, j1) of C, both on block
// boundaries (or the ends of C): the tile blocks into S, then C = α·S + β·C.
func amxRegion(pk *packed, i0, i1, j0, j1 int) {
	p := &pk.p
	bm, bn := 16*pk.mt, 16*pk.nt
	ib0, ib1 := i0/bm, (i1+bm-1)/bm
	jb0, jb1 := j0/bn, (j1+bn-1)/bn
	a := (*uint16)(unsafe.Add(pk.a, ib0*bm*pk.rsA))
	b := (*uint16)(unsafe.Add(pk.b, jb0*bn*4))
	s := (*float32)(unsafe.Add(pk.s, 4*(ib0*bm*pk.lds+jb0*bn)))
	amxFuncs[pk.mt-1][pk.nt-1](ib1-ib0, jb1-jb0, pk.ks, a, pk.rsA, b, pk.ldb, s, 4*pk.lds)
	n := j1 - j0
	scaleRows(i1-i0, n, (*float32)(unsafe.Add(pk.s, 4*(i0*pk.lds+j0))), pk.lds,
		ptr32(p.c, i0*p.ldc+j0), p.ldc, p.alpha, p.beta, uint64(1)<<(n%16)-1, p.beta != 0)
}

// peak runs the peak loops: n rounds of 24 VDPBF16PS (64 FLOPs each), or
// of 4 TDPBF16PS (16384 FLOPs each) if amx.
func peak(amx bool, n int) {
	if amx {
		peakAMX(n)
		return
	}
	peakDot(n)
}

// Peak runs rounds rounds of the peak loop of the kernel in use and returns
// the FLOPs done (a bf16 multiply-add is 2), for a measure of the
// instruction's peak on one core: 4 TDPBF16PS on four accumulator tiles per
// round ("amx"), 24 independent VDPBF16PS ("avx512bf16"). It returns 0 for
// the float32 kernel, which has no bf16 instruction.
func Peak(rounds int) (flops float64) {
	switch current.Load().name {
	case "amx":
		peakAMX(rounds)
		return float64(rounds) * 4 * 16 * 16 * 32 * 2
	case "avx512bf16":
		peakDot(rounds)
		return float64(rounds) * 24 * 16 * 2 * 2
	}
	return 0
}
