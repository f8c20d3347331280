//go:build !noasm

package bf16

import (
	"math"
	"unsafe"
)

// WithEmulatedAMX runs f with the AMX driver (packing into tiles, the
// split into blocks, the α·S + β·C epilogue) in use as the kernel
// "amx-emulated", its tile kernels replaced by emulateAMX: so that the
// driver is tested on CPUs without AMX, where the tile instructions cannot
// run. On a CPU with AMX the real kernel is tested by every other test.
func WithEmulatedAMX(f func()) {
	saved := amxFuncs
	for mt := range 2 {
		for nt := range 2 {
			amxFuncs[mt][nt] = emulateAMX(mt+1, nt+1)
		}
	}
	prev := current.Swap(&kernel{name: "amx-emulated", why: "test", gemm: amxGemm})
	defer func() {
		amxFuncs = saved
		current.Store(prev)
	}()
	f()
}

// emulateAMX does in Go what amx_MxN does with tiles (TDPBF16PS: for each
// pair p, S(r, c) += A(r, 2p)·B(2p, c) + A(r, 2p+1)·B(2p+1, c)), reading
// the same layouts.
func emulateAMX(mt, nt int) func(mb, nb, ks int, a *uint16, lda int, b *uint16, ldb int, s *float32, lds int) {
	f := func(w uint16) float32 { return math.Float32frombits(uint32(w) << 16) }
	return func(mb, nb, ks int, a *uint16, lda int, b *uint16, ldb int, s *float32, lds int) {
		for r := range 16 * mt * mb {
			for c := range 16 * nt * nb {
				var acc float32
				for p := range 16 * ks {
					aw := (*[2]uint16)(unsafe.Add(unsafe.Pointer(a), r*lda+4*p))
					bw := (*[2]uint16)(unsafe.Add(unsafe.Pointer(b), p*ldb+4*c))
					acc += f(aw[0])*f(bw[0]) + f(aw[1])*f(bw[1])
				}
				*(*float32)(unsafe.Add(unsafe.Pointer(s), r*lds+4*c)) = acc
			}
		}
	}
}

// PeakOf runs the peak loops: n rounds of 24 VDPBF16PS, or of 4 TDPBF16PS on
// four accumulator tiles if amx, and returns the FLOPs of a round.
func PeakOf(amx bool, n int) (flopsPerRound float64) {
	peak(amx, n)
	if amx {
		return 4 * 16 * 16 * 32 * 2 // 4 tiles × 16×16 outputs × 32 products, multiply and add
	}
	return 24 * 16 * 2 * 2 // 24 vectors × 16 lanes × 2 products, multiply and add
}
