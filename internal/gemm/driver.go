package gemm

import (
	"sync"
	"unsafe"
)

// kernel is one implementation of the micro-kernel and the transpose behind
// the blocked driver (run).
type kernel struct {
	name string
	// panel is the width of a tile in columns of C (e.g. 4 vectors of 16).
	panel int
	// mrs lists the tile heights in rows of C the kernel has, largest first,
	// ending with 1.
	mrs []int
	// tile computes an mr×cols tile (mr in mrs, 1 ≤ cols ≤ panel) of
	// C = α·A·B + β·C over kk steps: A(r, p) at a + r·rsA + p·csA, B(p, j) at
	// b + p·ldb + j, C(r, j) at c + r·ldc + j (elements). C is read only if
	// loadC; otherwise it is overwritten with α·A·B.
	tile func(mr, cols, kk int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, loadC bool)
	// transpose writes dst(j, i) = src(i, j) for i < rows, j < cols.
	transpose func(rows, cols int, src unsafe.Pointer, lds int, dst unsafe.Pointer, ldd int)
	// nt, if set, computes C = α·A·Bᵀ + β·C (A not transposed) directly, as
	// dot products along k, for the region [i0, i1) × [j0, j1) of C. run uses
	// it where transposing B would cost more (see useNT).
	nt func(p problem, i0, i1, j0, j1 int)

	// blas, if set, replaces the driver: it computes a whole Sgemm (an
	// external BLAS, which threads on its own); setThreads passes SetThreads
	// on to it.
	blas       func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	setThreads func(n int)
}

// useNT reports whether p goes through the kernel's dot-product path: A·Bᵀ
// with k long enough that the reduction of the partial sums is amortised, or
// with so few rows of A (acting) that transposing B would cost more than the
// multiply. Measured here: at 64×256×256 the dot products reach ~210 GFLOP/s
// against ~140 through the transpose; at 128×84×120 the transpose wins,
// ~195 against ~125.
func (kn *kernel) useNT(p *problem) bool {
	return kn.nt != nil && !p.transA && p.transB && (p.k >= ntMinK || p.m <= ntMaxM)
}

const (
	ntMinK = 256 // k from which A·Bᵀ takes the dot-product path
	ntMaxM = 4   // rows of A up to which it always does
)

// Block sizes of the driver. A B block of kc×nc elements (transposed into a
// workspace when op(B) = Bᵀ) is reused by every row of A; a kc×panel
// micro-panel of it stays in L1 while the tiles of one column strip run.
const (
	kc = 256
	nc = 512
)

var workspaces = sync.Pool{New: func() any { return new([kc * nc]float32) }}

// run computes rows [i0, i1) × columns [j0, j1) of C.
//
// Loop order (outermost first): column blocks of nc, k blocks of kc, column
// strips of one panel, row tiles. Every element of C sees the k blocks in the
// same order, so the result does not depend on how C was split.
func (kn *kernel) run(p *problem, i0, i1, j0, j1 int) {
	if kn.useNT(p) {
		kn.nt(*p, i0, i1, j0, j1)
		return
	}
	var ws *[kc * nc]float32
	if p.transB {
		ws = workspaces.Get().(*[kc * nc]float32)
		defer workspaces.Put(ws)
	}
	// A(i, p) is at a + i·rsA + p·csA.
	rsA, csA := p.lda, 1
	if p.transA {
		rsA, csA = 1, p.lda
	}
	for jc := j0; jc < j1; jc += nc {
		ncur := min(nc, j1-jc)
		for pc := 0; pc < p.k; pc += kc {
			kcur := min(kc, p.k-pc)
			beta, loadC := float32(1), true
			if pc == 0 {
				beta, loadC = p.beta, p.beta != 0
			}
			// The B block: rows pc…pc+kcur of op(B), columns jc…jc+ncur.
			var bb unsafe.Pointer
			var ldb int
			if p.transB {
				// op(B)(q, j) = B(j, q), B stored n×k.
				ldb = (ncur + 15) &^ 15
				kn.transpose(ncur, kcur, at(p.b, jc*p.ldb+pc), p.ldb, unsafe.Pointer(ws), ldb)
				bb = unsafe.Pointer(ws)
			} else {
				ldb = p.ldb
				bb = at(p.b, pc*p.ldb+jc)
			}
			aBlock := at(p.a, pc*csA)
			for jr := 0; jr < ncur; jr += kn.panel {
				cols := min(kn.panel, ncur-jr)
				bp := at(bb, jr)
				for i := i0; i < i1; {
					mr := kn.rowsFor(i1 - i)
					kn.tile(mr, cols, kcur, at(aBlock, i*rsA), rsA, csA, bp, ldb,
						at(p.c, i*p.ldc+jc+jr), p.ldc, p.alpha, beta, loadC)
					i += mr
				}
			}
		}
	}
}

// rowsFor returns the tallest tile that fits in rows.
func (kn *kernel) rowsFor(rows int) int {
	for _, mr := range kn.mrs {
		if mr <= rows {
			return mr
		}
	}
	return 1
}

// at returns p advanced by i float32 elements.
func at(p unsafe.Pointer, i int) unsafe.Pointer { return unsafe.Add(p, 4*i) }
