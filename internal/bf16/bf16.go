package bf16

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/deepq/deepq/internal/gemm"
)

// Gemm computes C = α·op(Ã)·op(B̃) + β·C on row-major float32 matrices,
// where Ã and B̃ are A and B rounded to bfloat16 (Round) and the sums are
// accumulated in float32. Its arguments mean what they mean for
// gemm.Sgemm: op(A) is m×k (A stored m×k, or k×m if transA), op(B) is k×n
// (B stored k×n, or n×k if transB), C is m×n; C is not read when β = 0,
// and A and B are not read when α = 0 or k = 0.
//
// Error: products of two bf16 values are exact in float32, so C differs
// from the float64 product of the rounded inputs only by float32
// accumulation, |ΔC(i,j)| ≤ (k+4)·2⁻²⁴·Σ_p |Ã(i,p)·B̃(p,j)| (+ β's rounding).
// Against the unrounded inputs each product carries the rounding of its two
// factors, at most (2·2⁻⁸ + 2⁻¹⁶) of |A(i,p)·B(p,j)|, so
//
//	|C(i,j) − Σ_p A(i,p)·B(p,j)| ≤ (2⁻⁷ + 2⁻¹⁶ + (k+4)·2⁻²⁴·(1+2⁻⁷)) · Σ_p |A(i,p)·B(p,j)|
//
// a relative error that is k-independent in terms of Σ|a·b|; relative to
// |C| itself it grows with the cancellation in the sum, about like √k·2⁻⁸
// for sums of random signs.
//
// Like Sgemm, every element of C is accumulated in the same order whatever
// the thread count, so results do not depend on gemm.Threads; they do depend
// on the kernel (Kernels), which sums in different orders. Gemm panics, with
// a message starting "bf16:", on a negative dimension, a leading dimension
// that is too small or a slice that is too short. It is safe for concurrent
// use and allocates nothing in steady state.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	run(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmSerial is Gemm on the calling goroutine only, for callers that are
// themselves one range of a gemm.For. It gives the same bits as Gemm.
func GemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	run(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// problem is one Gemm call.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// kernel is one implementation of Gemm.
type kernel struct {
	name string
	// why says why this kernel is the fastest this process can run, or
	// (for the fallbacks) why the faster ones are not available.
	why string
	// gemm computes the whole of p; par allows it to use gemm.For.
	gemm func(p problem, par bool)
}

var (
	kernels []*kernel // fastest first, "float32" last
	current atomic.Pointer[kernel]
)

func init() {
	kernels = append(asmKernels(), float32Kernel)
	current.Store(kernels[0])
}

// Kernels returns the names of the bf16 kernels this process can run,
// fastest first: some of "amx" (Intel AMX tiles, TDPBF16PS) and
// "avx512bf16" (VDPBF16PS), then "float32" (the inputs rounded to bf16
// in Go, multiplied by gemm.Sgemm).
func Kernels() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}

// Kernel returns the name of the kernel in use and why it is the one: for
// "amx", that Linux granted the tile state; otherwise what the faster
// kernels lacked (no AMX in the CPU, arch_prctl refused, no AVX512-BF16,
// or a build without assembly), or that Use chose it.
func Kernel() (name, why string) {
	k := current.Load()
	return k.name, k.why
}

// Use selects the kernel named name (one of Kernels) and returns the name
// of the previous one, for tests and benchmarks that compare paths. It is
// meant for setup, not for calls racing with Gemm.
func Use(name string) (prev string, err error) {
	for i, k := range kernels {
		if k.name == name {
			if i > 0 {
				k = &kernel{name: k.name, gemm: k.gemm, why: "selected by Use; the fastest here is " + kernels[0].name}
			} else {
				k = kernels[0]
			}
			return current.Swap(k).name, nil
		}
	}
	return "", fmt.Errorf("bf16: kernel %q is not available in this process (have %s)", name, strings.Join(Kernels(), ", "))
}

func run(par, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// C = β·C, through Sgemm's own handling of the degenerate case.
		gemm.SgemmSerial(false, false, m, n, 0, 0, nil, 1, nil, max(1, n), beta, c, ldc)
		return
	}
	p := problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	current.Load().gemm(p, par && gemm.Threads() > 1 && float64(m)*float64(n)*float64(k) >= parallelMin)
}

// parallelMin is the number of multiply-adds m·n·k from which Gemm splits
// the work between threads (gemm.For); below it the hand-off costs about as
// much as it saves. A variable so that tests can force the split.
var parallelMin float64 = 1 << 24

func check(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("bf16: negative dimension m=%d n=%d k=%d", m, n, k))
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
		panic(fmt.Sprintf("bf16: leading dimension of %s is %d, less than its %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("bf16: %s (%d×%d, ld %d) needs %d elements, has %d", name, rows, cols, ld, need, length))
	}
}

// float32Kernel rounds A and B to bf16 in Go and multiplies the rounded
// copies with gemm.Sgemm: the same products as the bf16 kernels (exact in
// float32), summed by the float32 kernel. It runs everywhere.
var float32Kernel = &kernel{
	name: "float32",
	why:  "no bf16 instructions in this build (" + noAsmWhy + ")",
	gemm: func(p problem, par bool) {
		ar, ac := p.m, p.k
		if p.transA {
			ar, ac = ac, ar
		}
		br, bc := p.k, p.n
		if p.transB {
			br, bc = bc, br
		}
		ws := getWorkspace()
		defer workspaces.Put(ws)
		ws.fa = grow(ws.fa, ar*ac)
		ws.fb = grow(ws.fb, br*bc)
		roundInto(ar, ac, p.a, p.lda, ws.fa)
		roundInto(br, bc, p.b, p.ldb, ws.fb)
		f := gemm.SgemmSerial
		if par {
			f = gemm.Sgemm
		}
		f(p.transA, p.transB, p.m, p.n, p.k, p.alpha, ws.fa, ac, ws.fb, bc, p.beta, p.c, p.ldc)
	},
}

// workspace holds the packed operands of one call; workspaces are pooled so
// that Gemm allocates nothing in steady state.
type workspace struct {
	a, b, t []uint16  // packed A, packed B, conversion scratch
	fa, fb  []float32 // rounded copies (float32 kernel), AMX results
	s       []float32 // AMX results before α, β
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

func getWorkspace() *workspace { return workspaces.Get().(*workspace) }

// grow returns x resliced to n elements, reallocated if too short.
func grow[T any](x []T, n int) []T {
	if cap(x) < n {
		return make([]T, n)
	}
	return x[:n]
}

// ptr16 and ptr32 return the address of element i.
func ptr16(x []uint16, i int) *uint16 {
	return (*uint16)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(x)), 2*i))
}
func ptr32(x []float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(x)), 4*i))
}

// roundUp returns x rounded up to a multiple of m.
func roundUp(x, m int) int { return (x + m - 1) / m * m }
