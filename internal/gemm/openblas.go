//go:build openblas && cgo

package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/deepq/deepq/internal/openblas"
)

// With the openblas build tag, OpenBLAS (through gonum/netlib and cgo) is the
// default kernel; the others stay available through Use for comparison.
var blasKernels = []*kernel{{
	name: "openblas",
	blas: func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		tA, tB := blas.NoTrans, blas.NoTrans
		if transA {
			tA = blas.Trans
		}
		if transB {
			tB = blas.Trans
		}
		netlib.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	},
	setThreads: openblas.SetThreads,
}}

// OpenBLASCore names the kernels OpenBLAS picked for this CPU.
func OpenBLASCore() string { return openblas.CoreName() }
