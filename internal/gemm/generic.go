package gemm

import (
	"unsafe"
)

// genericKernel is the portable Go kernel: 4×4 tiles of scalar
// accumulators. It serves every architecture without assembly and is the
// kernel the assembly ones are tested beside.
var genericKernel = &kernel{
	name:      "generic",
	panel:     4,
	mrs:       []int{4, 3, 2, 1},
	tile:      genericTile,
	transpose: genericTranspose,
}

func genericTile(mr, cols, kk int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, loadC bool) {
	if mr == 4 && cols == 4 {
		tile4x4(kk, a, rsA, csA, b, ldb, c, ldc, alpha, beta, loadC)
		return
	}
	var acc [4][4]float32
	for p := range kk {
		bp := unsafe.Add(b, 4*p*ldb)
		for r := range mr {
			ar := *(*float32)(unsafe.Add(a, 4*(r*rsA+p*csA)))
			for j := range cols {
				acc[r][j] += ar * *(*float32)(unsafe.Add(bp, 4*j))
			}
		}
	}
	for r := range mr {
		cr := unsafe.Add(c, 4*r*ldc)
		for j := range cols {
			cj := (*float32)(unsafe.Add(cr, 4*j))
			if loadC {
				*cj = alpha*acc[r][j] + beta**cj
			} else {
				*cj = alpha * acc[r][j]
			}
		}
	}
}

// tile4x4 is genericTile for a full tile: two passes of 2×4, whose 8
// accumulators and 6 operands fit in the 15 vector registers Go uses on
// amd64 (a 4×4 pass would spill).
func tile4x4(kk int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, loadC bool) {
	tile2x4(kk, a, rsA, csA, b, ldb, c, ldc, alpha, beta, loadC)
	tile2x4(kk, unsafe.Add(a, 8*rsA), rsA, csA, b, ldb, unsafe.Add(c, 8*ldc), ldc, alpha, beta, loadC)
}

// tile2x4 computes a 2×4 tile with its accumulators in registers.
func tile2x4(kk int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, loadC bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	rs, cs, lb := 4*uintptr(rsA), 4*uintptr(csA), 4*uintptr(ldb)
	for p := range uintptr(kk) {
		// Pointers are formed only to elements that exist (checkptr).
		ap := unsafe.Add(a, p*cs)
		a0 := *(*float32)(ap)
		a1 := *(*float32)(unsafe.Add(ap, rs))
		bv := (*[4]float32)(unsafe.Add(b, p*lb))
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	acc := [2][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}}
	for r := range 2 {
		cr := (*[4]float32)(unsafe.Add(c, 4*r*ldc))
		for j := range 4 {
			if loadC {
				cr[j] = alpha*acc[r][j] + beta*cr[j]
			} else {
				cr[j] = alpha * acc[r][j]
			}
		}
	}
}

// genericTranspose writes dst(j, i) = src(i, j) in 8×8 blocks.
func genericTranspose(rows, cols int, src unsafe.Pointer, lds int, dst unsafe.Pointer, ldd int) {
	const bs = 8
	for i0 := 0; i0 < rows; i0 += bs {
		for j0 := 0; j0 < cols; j0 += bs {
			for i := i0; i < min(i0+bs, rows); i++ {
				for j := j0; j < min(j0+bs, cols); j++ {
					*(*float32)(unsafe.Add(dst, 4*(j*ldd+i))) = *(*float32)(unsafe.Add(src, 4*(i*lds+j)))
				}
			}
		}
	}
}
