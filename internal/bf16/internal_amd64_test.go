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

// TestVNNITRows checks the packing of a transposed matrix (vnniTRows
// through packB): pair row p holds (B[j][2p], B[j][2p+1]) at words 2j,
// 2j+1, rounded; zero pairs past k up to a multiple of 16 pair rows; zero
// columns past n up to a multiple of 16; nothing written further.
func TestVNNITRows(t *testing.T) {
	if !hasDot(t) {
		t.Log("no AVX512-BF16 on this CPU: the assembly is not run")
		return
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, k := range []int{1, 2, 7, 16, 17, 31, 32, 33, 64, 100} {
		for _, n := range []int{1, 5, 16, 17, 40, 64} {
			ldbSrc := k + 3
			src := make([]float32, n*ldbSrc)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			ld := 2*roundUp(n, 16) + 6
			rows := 16 * ((k + 31) / 32)
			ws := &workspace{b: make([]uint16, (rows+2)*ld)}
			for i := range ws.b {
				ws.b[i] = 0xdead
			}
			packB(&problem{transB: true, n: n, k: k, b: src, ldb: ldbSrc}, ws, 0, ld)
			dst := ws.b[:cap(ws.b)]
			for p := range rows + 2 {
				for w := range ld {
					j, h := w/2, w%2
					want := uint16(0xdead)
					switch {
					case p < rows && j < n && 2*p+h < k:
						want = Bits(src[j*ldbSrc+2*p+h])
					case p < rows && w < 2*roundUp(n, 16):
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
