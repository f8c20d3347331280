package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Sgemm computes C = α·op(A)·op(B) + β·C on row-major float32 matrices.
//
// op(A) is m×k: A itself (stored m×k, row i at a[i·lda:]) or, if transA, Aᵀ
// with A stored k×m. op(B) is k×n: B (stored k×n) or, if transB, Bᵀ with B
// stored n×k. C is m×n with row i at c[i·ldc:]. As in BLAS, C is not read
// when β = 0 (it may hold NaNs), and A and B are not read when α = 0 or k = 0.
//
// Each element of C is accumulated over p = 0 … k−1 in the same order and in
// the same blocks whatever the thread count and the position of the element
// in its tile, so results do not depend on Threads; they do depend on the
// kernel (AVX-512, AVX2 and generic round differently).
//
// Sgemm panics, with a message starting "gemm:", if a dimension is negative,
// a leading dimension is too small or a slice is too short.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only, whatever Threads says,
// for callers that are themselves one of the ranges of a For (a nested split
// would wait on workers that are busy with the outer one). It gives the same
// bits as Sgemm.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemm(par, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	kern := current.Load()
	if kern.blas != nil {
		kern.blas(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	p := problem{
		transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: unsafe.Pointer(unsafe.SliceData(a)), lda: lda,
		b: unsafe.Pointer(unsafe.SliceData(b)), ldb: ldb,
		c: unsafe.Pointer(unsafe.SliceData(c)), ldc: ldc,
	}
	if t := int(threads.Load()); par && t > 1 && float64(m)*float64(n)*float64(k) >= parallelMin {
		parallel(kern, p, t)
		return
	}
	kern.run(&p, 0, m, 0, n)
}

// parallelMin is the number of multiply-adds m·n·k from which Sgemm splits
// the work between threads (8M: about 40 µs on one core here). Below it the
// hand-off to a parked worker costs about as much as it saves, and the
// CartPole MLPs' multiplies (≤ 4M) stay on one thread.
// A variable so that tests can force the split on small shapes.
var parallelMin float64 = 1 << 23

// threads is the number of goroutines a large Sgemm may use.
var threads atomic.Int32

func init() { threads.Store(int32(min(runtime.NumCPU(), 2))) }

// SetThreads sets the number of goroutines a large multiply may use (at least
// 1) and returns the previous setting. SetThreads(1) gives a single-threaded
// run. The default is min(NumCPU, 2): more threads rarely pay at the sizes of
// DQN networks.
//
// With the openblas build tag, OpenBLAS's own thread count is set too.
func SetThreads(n int) int {
	if n < 1 {
		panic(fmt.Sprintf("gemm: SetThreads(%d): need at least 1", n))
	}
	for _, k := range blasKernels {
		k.setThreads(n)
	}
	return int(threads.Swap(int32(n)))
}

// Threads returns the current setting of SetThreads.
func Threads() int { return int(threads.Load()) }

func check(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("A", ar, ac, la, lda)
	checkMat("B", br, bc, lb, ldb)
	checkMat("C", m, n, lc, ldc)
}

func checkMat(name string, rows, cols, length, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: leading dimension of %s is %d, less than its %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("gemm: %s (%d×%d, ld %d) needs %d elements, has %d", name, rows, cols, ld, need, length))
	}
}

// scale sets C = β·C (C = 0 if β = 0, whatever C held).
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// problem is one Sgemm call, with raw pointers for the kernels.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        unsafe.Pointer
	lda, ldb, ldc  int
}

// job is a multiply shared between threads; jobs are pooled so that a
// parallel Sgemm allocates nothing.
type job struct {
	kern *kernel
	p    problem
	g    group
}

var jobs = sync.Pool{New: func() any { return new(job) }}

// parallel splits C into t parts along its longer side, on tile boundaries,
// runs t−1 of them on the workers and one on the caller.
func parallel(kern *kernel, prob problem, t int) {
	workerOnce.Do(startWorkers)
	byCols := prob.n >= prob.m || prob.m < 2*kern.mrs[0]
	size, unit := prob.m, kern.mrs[0]
	if byCols {
		size, unit = prob.n, kern.panel
	}
	units := (size + unit - 1) / unit
	t = min(t, units)
	jb := jobs.Get().(*job)
	jb.kern, jb.p = kern, prob
	p := &jb.p
	jb.g.add(t - 1)
	lo := 0
	for i := range t {
		hi := min(size, (units*(i+1)/t)*unit)
		tk := task{j: jb, i0: 0, i1: p.m, j0: lo, j1: hi, g: &jb.g}
		if !byCols {
			tk.i0, tk.i1, tk.j0, tk.j1 = lo, hi, 0, p.n
		}
		if i == t-1 {
			kern.run(p, tk.i0, tk.i1, tk.j0, tk.j1)
		} else {
			handOut(tk)
		}
		lo = hi
	}
	jb.g.wait()
	jb.kern, jb.p = nil, problem{}
	jobs.Put(jb)
}

// Transpose writes dst(j, i) = src(i, j) for i < rows, j < cols, on
// row-major matrices: src is rows×cols with leading dimension lds, dst is
// cols×rows with leading dimension ldd. It moves values without arithmetic,
// so every kernel gives the same result; the fastest the CPU has is used
// (8×8 AVX blocks on amd64). It panics, with a message starting "gemm:", if
// a leading dimension is too small or a slice too short.
func Transpose(rows, cols int, src []float32, lds int, dst []float32, ldd int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("gemm: Transpose of a %d×%d matrix", rows, cols))
	}
	checkMat("source", rows, cols, len(src), lds)
	checkMat("destination", cols, rows, len(dst), ldd)
	if rows == 0 || cols == 0 {
		return
	}
	transposer(rows, cols, unsafe.Pointer(unsafe.SliceData(src)), lds, unsafe.Pointer(unsafe.SliceData(dst)), ldd)
}

// transposer is the transpose of the fastest kernel that has one.
var transposer = func() func(rows, cols int, src unsafe.Pointer, lds int, dst unsafe.Pointer, ldd int) {
	for _, k := range append(asmKernels(), genericKernel) {
		if k.transpose != nil {
			return k.transpose
		}
	}
	return genericTranspose
}()
