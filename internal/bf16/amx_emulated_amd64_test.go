//go:build !noasm

package bf16_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/deepq/deepq/internal/bf16"
	"github.com/deepq/deepq/internal/gemm"
)

// TestAMXDriverEmulated checks the AMX driver (tile packing with its
// padding, blocks of 16 and 32, thread split, epilogue) against both
// references at odd shapes in all transpositions and at the smaller DQN
// shapes, with the tile instructions emulated in Go. Also bit-for-bit the
// same for 1, 2 and 3 threads.
func TestAMXDriverEmulated(t *testing.T) {
	if !hasDotKernel() {
		t.Log("no AVX-512 bf16 packing on this CPU: the AMX driver cannot run")
		return
	}
	bf16.WithEmulatedAMX(func() {
		rng := rand.New(rand.NewPCG(21, 22))
		shapes := oddShapes()
		for _, s := range dqnShapes() {
			if s.m*s.n*s.k <= 1<<21 {
				shapes = append(shapes, s)
			}
		}
		for _, s := range shapes {
			a, lda, b, ldb, c, ldc := operands(s, 3, rng)
			r := makeRefs(s, -0.5, 0.75, a, lda, b, ldb, c, ldc)
			r.kernel = "amx-emulated"
			got := append([]float32(nil), c...)
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, -0.5, a, lda, b, ldb, 0.75, got, ldc)
			r.check(t, got)
		}
		defer bf16.SetParallelMin(bf16.SetParallelMin(0))
		for _, s := range []shape{{"", false, true, 70, 100, 40}, {"", true, false, 20, 90, 33}, {"", false, false, 100, 20, 7}} {
			a, lda, b, ldb, c, ldc := operands(s, 1, rng)
			var out [3][]float32
			for i, th := range []int{1, 2, 3} {
				prev := gemm.SetThreads(th)
				out[i] = append([]float32(nil), c...)
				bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 1, out[i], ldc)
				gemm.SetThreads(prev)
			}
			for i := range out[0] {
				if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) || math.Float32bits(out[0][i]) != math.Float32bits(out[2][i]) {
					t.Fatalf("%v: element %d differs between 1, 2 and 3 threads: %v %v %v", s, i, out[0][i], out[1][i], out[2][i])
				}
			}
			makeRefs(s, 1, 1, a, lda, b, ldb, c, ldc).check(t, out[0])
		}
	})
}

func hasDotKernel() bool {
	for _, k := range bf16.Kernels() {
		if k == "avx512bf16" || k == "amx" {
			return true
		}
	}
	return false
}
