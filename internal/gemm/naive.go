package gemm

// Naive computes C = α·op(A)·op(B) + β·C as Sgemm does, by the definition:
// a triple loop accumulating each element in float64 before one rounding to
// float32. It is the reference the kernels are tested against, and slow.
func Naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	for i := range m {
		for j := range n {
			var s float64
			if alpha != 0 {
				for p := range k {
					ia, ib := i*lda+p, p*ldb+j
					if transA {
						ia = p*lda + i
					}
					if transB {
						ib = j*ldb + p
					}
					av, bv := a[ia], b[ib]
					s += float64(av) * float64(bv)
				}
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(v)
		}
	}
}
