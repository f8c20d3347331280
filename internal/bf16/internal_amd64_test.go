//go:build !noasm

package bf16

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// hasDot reports whether this process has the AVX512-BF16 kernel, and fails
// the test if the CPU has the instructions but the kernel is missing.
func hasDot(t *testing.T) bool {
	t.Helper()
	for _, k := range kernels {
		if k.name == "avx512bf16" {
			return true
		}
	}
	if cpu.X86.HasAVX512BF16 && cpu.X86.HasAVX512BW {
		t.Fatalf("the CPU has AVX512-BF16 but the kernels are %v", Kernels())
	}
	return false
}

// TestCvtRows checks the AVX512-BF16 conversion (VCVTNE2PS2BF16, emitted as
// bytes) against Bits on every special value and random ones, across row
// lengths that end at every position in a 32-value chunk, with the zero
// padding and nothing written past the padded row.
func TestCvtRows(t *testing.T) {
	if !hasDot(t) {
		t.Log("no AVX512-BF16 on this CPU: the assembly is not run")
		return
	}
	rng := rand.New(rand.NewPCG(2, 2))
	sp := specials()
	for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 64, 70, 100} {
		rows, lds := 3, n+5
		ld := roundUp(n, 32) + 8
		src := make([]float32, rows*lds)
		for i := range src {
			if i%3 == 0 {
				src[i] = sp[rng.IntN(len(sp))]
			} else {
				src[i] = float32(rng.NormFloat64())
			}
		}
		dst := make([]uint16, rows*ld)
		for i := range dst {
			dst[i] = 0xdead
		}
		cvt(rows, n, src, lds, dst, ld)
		for r := range rows {
			for j := range ld {
				got, want := dst[r*ld+j], uint16(0xdead)
				switch {
				case j < n:
					want = Bits(src[r*lds+j])
				case j < roundUp(n, 32):
					want = 0
				}
				if got != want {
					t.Fatalf("n=%d: row %d word %d = %#04x, want %#04x (src %#08x)", n, r, j, got, want, math.Float32bits(src[r*lds+min(j, n-1)]))
				}
			}
		}
	}
}

// TestVNNIRows checks the VNNI packing: pair row p holds (src[2p][j],
// src[2p+1][j]) at words 2j, 2j+1, rounded, zeros past n and for the
// missing row of an odd count.
func TestVNNIRows(t *testing.T) {
	if !hasDot(t) {
		t.Log("no AVX512-BF16 on this CPU: the assembly is not run")
		return
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, k := range []int{1, 2, 3, 8, 9} {
		for _, n := range []int{1, 5, 16, 17, 40, 64} {
			lds := n + 3
			ld := 2*roundUp(n, 16) + 4
			src := make([]float32, k*lds)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			pairs := (k + 1) / 2
			dst := make([]uint16, (pairs+1)*ld)
			for i := range dst {
				dst[i] = 0xdead
			}
			vnni(k, n, src, lds, dst, ld)
			for p := range pairs + 1 {
				for w := range ld {
					j, h := w/2, w%2
					want := uint16(0xdead)
					switch {
					case p < pairs && j < n && 2*p+h < k:
						want = Bits(src[(2*p+h)*lds+j])
					case p < pairs && w < 2*roundUp(n, 16):
						want = 0
					}
					if got := dst[p*ld+w]; got != want {
						t.Fatalf("k=%d n=%d: pair row %d word %d = %#04x, want %#04x", k, n, p, w, got, want)
					}
				}
			}
		}
	}
}
