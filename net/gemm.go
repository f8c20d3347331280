package net

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	kernels "github.com/deepq/deepq/internal/gemm"
)

// This file is the one place where the core calls a matrix multiply. Every
// layer goes through gemm, so a faster kernel replaces one function.
//
// float32 goes through internal/gemm: AVX-512 or AVX2 assembly chosen at run
// time on amd64, portable Go elsewhere (or OpenBLAS with the openblas build
// tag). float64, the reference path of gradient checks, stays on gonum's
// pure-Go Dgemm.

// gemm computes C = α·op(A)·op(B) + β·C on row-major matrices, where op(A) is
// A (m×k, leading dimension lda) or, if transA, Aᵀ with A stored k×m; likewise
// op(B) is k×n. C is m×n with leading dimension ldc.
func gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	switch a := any(a).(type) {
	case []float32:
		kernels.Sgemm(transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		tA, tB := blas.NoTrans, blas.NoTrans
		if transA {
			tA = blas.Trans
		}
		if transB {
			tB = blas.Trans
		}
		gonum.Implementation{}.Dgemm(tA, tB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// gemmSerial is gemm on the calling goroutine only, for the bodies of a
// kernels.For (which already run in parallel).
func gemmSerial[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if a32, ok := any(a).([]float32); ok {
		kernels.SgemmSerial(transA, transB, m, n, k, float32(alpha), a32, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetThreads sets how many goroutines one float32 matrix multiply may use
// and returns the previous setting (at least 1; the default is up to 2).
// Small multiplies always run on the calling goroutine. Results do not
// depend on the setting: the work is split by blocks of the output, never
// along the summed dimension, so SetThreads(1) and SetThreads(2) give the
// same bits, and a seeded run is reproducible either way.
func SetThreads(n int) int { return kernels.SetThreads(n) }

// Threads returns the setting of SetThreads.
func Threads() int { return kernels.Threads() }

// Kernel names the float32 matrix-multiply kernel in use: "avx512", "avx2",
// "generic" (portable Go) or "openblas".
func Kernel() string { return kernels.Kernel() }
