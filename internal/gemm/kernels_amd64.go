//go:build !noasm

package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

type tileFunc = func(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, loadC bool)

// asmKernels returns the assembly kernels the CPU supports, fastest first.
// AVX-512 needs AVX512F (x/sys/cpu also checks that the OS saves the zmm and
// opmask registers); AVX2 needs FMA too.
func asmKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return ks
}

// avx512 tiles, indexed by [row index in mrs][vectors−1].
var tiles512 = [4][4]tileFunc{
	{kern512_6x1, kern512_6x2, kern512_6x3, kern512_6x4},
	{kern512_4x1, kern512_4x2, kern512_4x3, kern512_4x4},
	{kern512_2x1, kern512_2x2, kern512_2x3, kern512_2x4},
	{kern512_1x1, kern512_1x2, kern512_1x3, kern512_1x4},
}

var tiles256 = [4][2]tileFunc{
	{kern256_6x1, kern256_6x2},
	{kern256_4x1, kern256_4x2},
	{kern256_2x1, kern256_2x2},
	{kern256_1x1, kern256_1x2},
}

// mrIndex maps a tile height of {6, 4, 2, 1} to its row in the tables.
func mrIndex(mr int) int {
	switch mr {
	case 6:
		return 0
	case 4:
		return 1
	case 2:
		return 2
	}
	return 3
}

var avx512Kernel = &kernel{
	name:  "avx512",
	panel: 64,
	mrs:   []int{6, 4, 2, 1},
	tile: func(mr, cols, kk int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, loadC bool) {
		nv := (cols + 15) >> 4
		rem := cols - (nv-1)<<4
		tiles512[mrIndex(mr)][nv-1](kk, (*float32)(a), rsA, csA, (*float32)(b), ldb, (*float32)(c), ldc, alpha, beta, 1<<rem-1, loadC)
	},
	transpose: avxTranspose,
	nt:        ntAVX512,
}

type ntFunc = func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, tail uint64, loadC bool)

// ntAVX512 computes rows [i0, i1) × columns [j0, j1) of C = α·A·Bᵀ + β·C as
// dot products along k (A m×k, B n×k, both read in place): 4×4 tiles, then
// 4×1, 1×4 and 1×1 at the edges. Each element's sum has the same order in
// every tile shape, so the split does not change the result.
func ntAVX512(p problem, i0, i1, j0, j1 int) {
	// k is cut into blocks of ntKC so that the 4 rows of B of a column tile
	// stay in L1 while every row tile of A passes over them, and the rows of
	// A in L2; each block's reduced sums are added into C.
	for pc := 0; pc < p.k; pc += ntKC {
		kcur := min(ntKC, p.k-pc)
		tail := uint64(0)
		if pc+kcur == p.k {
			tail = uint64(1)<<(kcur&15) - 1
		}
		beta, loadC := p.beta, p.beta != 0
		if pc > 0 {
			beta, loadC = 1, true
		}
		for j := j0; j < j1; {
			nr := 4
			if j1-j < 4 {
				nr = 1
			}
			b := (*float32)(at(p.b, j*p.ldb+pc))
			for i := i0; i < i1; {
				mr := 4
				if i1-i < 4 {
					mr = 1
				}
				a := (*float32)(at(p.a, i*p.lda+pc))
				c := (*float32)(at(p.c, i*p.ldc+j))
				var f ntFunc
				switch {
				case mr == 4 && nr == 4:
					f = kernNT512_4x4
				case mr == 4:
					f = kernNT512_4x1
				case nr == 4:
					f = kernNT512_1x4
				default:
					f = kernNT512_1x1
				}
				f(kcur, a, p.lda, b, p.ldb, c, p.ldc, p.alpha, beta, tail, loadC)
				i += mr
			}
			j += nr
		}
	}
}

// ntKC is the k block of the dot-product kernel, a multiple of 16.
var ntKC = 512

// masks256 holds eight −1 then eight 0: &masks256[8−r] is the VMASKMOVPS
// mask of the first r lanes.
var masks256 = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

var avx2Kernel = &kernel{
	name:  "avx2",
	panel: 16,
	mrs:   []int{6, 4, 2, 1},
	tile: func(mr, cols, kk int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, loadC bool) {
		nv := (cols + 7) >> 3
		rem := cols - (nv-1)<<3
		mask := uint64(uintptr(unsafe.Pointer(&masks256[8-rem])))
		tiles256[mrIndex(mr)][nv-1](kk, (*float32)(a), rsA, csA, (*float32)(b), ldb, (*float32)(c), ldc, alpha, beta, mask, loadC)
	},
	transpose: avxTranspose,
}

// avxTranspose transposes the 8×8 blocks with AVX and the ragged edges in Go.
func avxTranspose(rows, cols int, src unsafe.Pointer, lds int, dst unsafe.Pointer, ldd int) {
	r8, c8 := rows>>3, cols>>3
	if r8 > 0 && c8 > 0 {
		transpose8(r8, c8, (*float32)(src), lds, (*float32)(dst), ldd)
	}
	if c := c8 << 3; c < cols {
		// right strip: all rows, columns c…cols
		genericTranspose(rows, cols-c, at(src, c), lds, at(dst, c*ldd), ldd)
	}
	if r := r8 << 3; r < rows {
		// bottom strip: rows r…rows, columns 0…8·c8
		genericTranspose(rows-r, c8<<3, at(src, r*lds), lds, at(dst, r), ldd)
	}
}
