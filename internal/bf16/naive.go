package bf16

import "github.com/deepq/deepq/internal/gemm"

// Naive computes Gemm's result by the definition: A and B rounded to bf16
// (Round), then gemm.Naive, a triple loop accumulating each element in
// float64 before one rounding to float32. It is the reference of the tests,
// and slow.
func Naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	ra, rb := make([]float32, len(a)), make([]float32, len(b))
	for i, v := range a {
		ra[i] = Round(v)
	}
	for i, v := range b {
		rb[i] = Round(v)
	}
	gemm.Naive(transA, transB, m, n, k, alpha, ra, lda, rb, ldb, beta, c, ldc)
}
