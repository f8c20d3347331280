package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// forEachKernel runs f with each kernel this machine has selected in turn
// (the generic one through the forced switch), restoring the default after.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, name := range Kernels() {
		t.Run(name, func(t *testing.T) {
			prev, err := Use(name)
			if err != nil {
				t.Fatal(err)
			}
			defer Use(prev)
			f(t)
		})
	}
}

// wantKernels are the kernels this build on this CPU must offer, fastest
// first, by the CPU's flags as golang.org/x/sys/cpu reports them (which
// includes the OS saving the AVX-512 registers): a kernel the CPU can run
// must be there, so that forEachKernel tests it.
func wantKernels() []string {
	var want []string
	if len(blasKernels) > 0 { // the openblas build tag
		want = append(want, "openblas")
	}
	if asmBuild && cpu.X86.HasAVX512F {
		want = append(want, "avx512")
	}
	if asmBuild && cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		want = append(want, "avx2")
	}
	return append(want, "generic")
}

// TestKernelsAvailable: the kernels offered, and so tested by every
// forEachKernel test, are those the CPU can run, and the default is the
// fastest; a CPU with AVX-512 whose AVX-512 kernel was not selected fails
// here. On Linux, /proc/cpuinfo is a second witness of the CPU's flags.
// Run with -v, it states the kernels tested (CI prints it).
func TestKernelsAvailable(t *testing.T) {
	names, want := Kernels(), wantKernels()
	t.Logf("gemm kernels tested: %s (default %s); CPU: avx512f %v, avx2 %v, fma %v; assembly built: %v",
		strings.Join(names, ", "), Kernel(), cpu.X86.HasAVX512F, cpu.X86.HasAVX2, cpu.X86.HasFMA, asmBuild)
	if !slices.Equal(names, want) {
		t.Errorf("kernels %v, want %v for this CPU and build", names, want)
	}
	if Kernel() != want[0] {
		t.Errorf("default kernel %s, want the fastest, %s", Kernel(), want[0])
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil && asmBuild {
		flags := map[string]bool{}
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
				for _, f := range strings.Fields(v) {
					flags[f] = true
				}
				break
			}
		}
		for _, c := range []struct {
			flag, kernel string
			has          bool
		}{{"avx512f", "avx512", cpu.X86.HasAVX512F}, {"avx2", "avx2", cpu.X86.HasAVX2}} {
			if flags[c.flag] && !c.has {
				t.Errorf("/proc/cpuinfo lists %s but golang.org/x/sys/cpu does not: the %s kernel is not tested", c.flag, c.kernel)
			}
		}
	}
	if _, err := Use("sse1"); err == nil || !strings.Contains(err.Error(), "sse1") {
		t.Errorf("Use(sse1) = %v, want an error naming it", err)
	}
}

type shape struct {
	tA, tB  bool
	m, n, k int
}

func (s shape) String() string {
	op := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s_%dx%dx%d", op(s.tA), op(s.tB), s.m, s.n, s.k)
}

// shapes are the sizes every kernel is checked at: edges around each tile
// size (1–6 rows, 4/8/16/64 columns), k across the kc block, and the shapes
// of the DQN networks' layers.
func shapes() []shape {
	dims := [][3]int{
		{1, 1, 1}, {2, 3, 4}, {3, 5, 7}, {5, 7, 3}, {6, 16, 1}, {7, 17, 9}, {4, 64, 8},
		{13, 63, 5}, {6, 65, 31}, {12, 48, 33}, {11, 129, 2}, {1, 200, 70}, {37, 9, 64},
		{19, 33, 257}, {8, 8, 520}, {25, 530, 11}, {64, 64, 64}, {9, 1, 300},
		{32, 120, 4}, {32, 84, 120}, {32, 2, 84}, {1, 120, 4}, {64, 256, 4}, {64, 2, 256},
		{120, 4, 32}, {84, 120, 32}, {36, 64, 16}, {5, 9, 1100}, {9, 6, 1030},
	}
	var s []shape
	for _, d := range dims {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				s = append(s, shape{tA, tB, d[0], d[1], d[2]})
			}
		}
	}
	return s
}

// operands makes A, B and C for s with leading dimensions padded by pad, C's
// padding filled with a sentinel that must survive.
func operands(s shape, pad int, rng *rand.Rand) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := s.m, s.k
	if s.tA {
		ar, ac = s.k, s.m
	}
	br, bc := s.k, s.n
	if s.tB {
		br, bc = s.n, s.k
	}
	lda, ldb, ldc = ac+pad, bc+pad, s.n+pad
	fill := func(rows, cols, ld int) []float32 {
		x := make([]float32, max(0, (rows-1)*ld+cols))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, b = fill(ar, ac, lda), fill(br, bc, ldb)
	c = fill(s.m, s.n, ldc)
	for i := 0; i < s.m; i++ {
		for j := s.n; j < ldc && i*ldc+j < len(c); j++ {
			c[i*ldc+j] = sentinel
		}
	}
	return
}

const sentinel = 12345.5

// checkAgainstNaive compares got with the float64-accumulated reference
// within the rounding error bound of a k-term float32 dot product,
// k·2⁻²⁴·(|α|·Σ|a||b| + |β|·|c|), with slack for the final scaling.
func checkAgainstNaive(t *testing.T, s shape, alpha, beta float32, a []float32, lda int, b []float32, ldb int, c0, got []float32, ldc int) {
	t.Helper()
	want := append([]float32(nil), c0...)
	Naive(s.tA, s.tB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, want, ldc)
	abs := func(x []float32) []float32 {
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = float32(math.Abs(float64(v)))
		}
		return y
	}
	bound := abs(c0)
	Naive(s.tA, s.tB, s.m, s.n, s.k, float32(math.Abs(float64(alpha))), abs(a), lda, abs(b), ldb, float32(math.Abs(float64(beta))), bound, ldc)
	eps := float64(s.k+4) * 0x1p-24
	for i := 0; i < s.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(got); j++ {
			g := got[i*ldc+j]
			if j >= s.n {
				if g != sentinel {
					t.Fatalf("%v α=%v β=%v: wrote C(%d,%d) outside the matrix: %v", s, alpha, beta, i, j, g)
				}
				continue
			}
			w := want[i*ldc+j]
			if d := math.Abs(float64(g - w)); !(d <= eps*float64(bound[i*ldc+j])+1e-30) {
				t.Fatalf("%v α=%v β=%v: C(%d,%d) = %v, want %v (|Δ| %.3g > bound %.3g)", s, alpha, beta, i, j, g, w, d, eps*float64(bound[i*ldc+j]))
			}
		}
	}
}

func TestSgemmAgainstNaive(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes() {
			for _, pad := range []int{0, 3} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 0.75}, {2, -1}, {0, 0.5}} {
					a, lda, b, ldb, c, ldc := operands(s, pad, rng)
					got := append([]float32(nil), c...)
					Sgemm(s.tA, s.tB, s.m, s.n, s.k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
					checkAgainstNaive(t, s, ab[0], ab[1], a, lda, b, ldb, c, got, ldc)
				}
			}
		}
	})
}

// TestSgemmRandomShapes draws shapes and strides at random.
func TestSgemmRandomShapes(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for range 150 {
			s := shape{rng.IntN(2) == 1, rng.IntN(2) == 1, 1 + rng.IntN(70), 1 + rng.IntN(150), 1 + rng.IntN(300)}
			a, lda, b, ldb, c, ldc := operands(s, rng.IntN(20), rng)
			alpha, beta := float32(rng.NormFloat64()), float32(rng.IntN(3))*0.5
			got := append([]float32(nil), c...)
			Sgemm(s.tA, s.tB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, got, ldc)
			checkAgainstNaive(t, s, alpha, beta, a, lda, b, ldb, c, got, ldc)
		}
	})
}

// TestSgemmBetaZeroIgnoresC: with β = 0, NaNs in C must not leak into the
// result (BLAS semantics: C is write-only then).
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range []shape{{false, false, 7, 70, 9}, {true, true, 13, 17, 300}, {false, true, 1, 5, 0}} {
			a, lda, b, ldb, c, ldc := operands(s, 1, rng)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					c[i*ldc+j] = float32(math.NaN())
				}
			}
			Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					if v := c[i*ldc+j]; math.IsNaN(float64(v)) {
						t.Fatalf("%v: C(%d,%d) is NaN with β = 0", s, i, j)
					}
				}
			}
		}
	})
}

// TestSgemmThreadsBitwise: splitting C between threads must not change a bit.
//
// OpenBLAS (openblas build tag) does not promise this: its results can change
// with its thread count, so it is only checked against the reference here.
func TestSgemmThreadsBitwise(t *testing.T) {
	defer func(m float64) { parallelMin = m }(parallelMin)
	parallelMin = 0 // split every shape, ragged ones included
	forEachKernel(t, func(t *testing.T) {
		exact := current.Load().blas == nil
		rng := rand.New(rand.NewPCG(7, 8))
		for _, s := range []shape{{false, true, 64, 512, 300}, {true, false, 300, 70, 128}, {false, false, 130, 130, 130}, {true, true, 97, 255, 129},
			{false, true, 7, 9, 3}, {false, false, 13, 1, 5}, {true, false, 1, 130, 2}} {
			a, lda, b, ldb, c, ldc := operands(s, 2, rng)
			var out [3][]float32
			for i, th := range []int{1, 2, 3} {
				prev := SetThreads(th)
				out[i] = append([]float32(nil), c...)
				Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1.5, a, lda, b, ldb, 0.5, out[i], ldc)
				SetThreads(prev)
			}
			for i := range out[0] {
				if !exact {
					break
				}
				if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) || math.Float32bits(out[0][i]) != math.Float32bits(out[2][i]) {
					t.Fatalf("%v: element %d differs between 1, 2 and 3 threads: %v %v %v", s, i, out[0][i], out[1][i], out[2][i])
				}
			}
			checkAgainstNaive(t, s, 1.5, 0.5, a, lda, b, ldb, c, out[1], ldc)
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative", func() { Sgemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) }, "negative dimension"},
		{"lda", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 6), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}, "leading dimension of A"},
		{"short B", func() {
			Sgemm(false, true, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 5), 3, 0, make([]float32, 4), 2)
		}, "B (2×3, ld 3) needs 6"},
		{"short C", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 3), 2)
		}, "C (2×2, ld 2) needs 4"},
		{"threads", func() { SetThreads(0) }, "at least 1"},
		{"transpose ld", func() { Transpose(2, 3, make([]float32, 6), 2, make([]float32, 6), 2) }, "leading dimension of source"},
		{"transpose short", func() { Transpose(2, 3, make([]float32, 6), 3, make([]float32, 5), 2) }, "destination (3×2, ld 2) needs 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.HasPrefix(msg, "gemm: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want a gemm: message containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestTransposeExported checks Transpose (the fastest kernel's transpose,
// with argument checks) against the definition, leaving the rest of dst
// alone.
func TestTransposeExported(t *testing.T) {
	for _, d := range [][2]int{{0, 3}, {1, 1}, {7, 9}, {16, 64}, {63, 90}, {64, 420}} {
		rows, cols := d[0], d[1]
		lds, ldd := cols+1, rows+2
		src := make([]float32, max(0, rows*lds-1))
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, max(0, cols*ldd-2))
		for i := range dst {
			dst[i] = -1
		}
		Transpose(rows, cols, src, lds, dst, ldd)
		for j := range cols {
			for i := range ldd {
				want := float32(-1)
				if i < rows {
					want = src[i*lds+j]
				}
				if j*ldd+i < len(dst) && dst[j*ldd+i] != want {
					t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, dst[j*ldd+i], want)
				}
			}
		}
	}
}

// TestTranspose checks each kernel's transpose, including the 8×8 AVX path
// and its ragged edges.
func TestTranspose(t *testing.T) {
	for _, k := range kernels {
		if k.transpose == nil {
			continue
		}
		for _, d := range [][2]int{{1, 1}, {8, 8}, {9, 17}, {16, 5}, {33, 64}, {64, 3}, {24, 40}} {
			rows, cols := d[0], d[1]
			lds, ldd := cols+3, rows+5
			src := make([]float32, rows*lds)
			for i := range src {
				src[i] = float32(i)
			}
			dst := make([]float32, cols*ldd)
			k.transpose(rows, cols, ptr(src), lds, ptr(dst), ldd)
			for i := range rows {
				for j := range cols {
					if dst[j*ldd+i] != src[i*lds+j] {
						t.Fatalf("%s %dx%d: dst(%d,%d) = %v, want %v", k.name, rows, cols, j, i, dst[j*ldd+i], src[i*lds+j])
					}
				}
			}
		}
	}
}

// TestSgemmAllocs: a steady-state multiply allocates nothing, on one thread
// or two.
func TestSgemmAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := shape{false, true, 64, 512, 256}
	a, lda, b, ldb, c, ldc := operands(s, 0, rng)
	for _, th := range []int{1, 2} {
		prev := SetThreads(th)
		Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
		if n := testing.AllocsPerRun(20, func() { Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc) }); n > 0 {
			t.Errorf("%d threads: %v allocations per Sgemm", th, n)
		}
		SetThreads(prev)
	}
}

func ptr(x []float32) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(x)) }

type sumBody struct{ x, out []float64 }

func (s *sumBody) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.out[i] = s.x[i] * 2
	}
}

// TestFor: every index is visited exactly once whatever the thread count,
// and a steady For allocates nothing.
func TestFor(t *testing.T) {
	for _, th := range []int{1, 2, 3} {
		prev := SetThreads(th)
		for _, n := range []int{0, 1, 7, 100, 1001} {
			b := &sumBody{x: make([]float64, n), out: make([]float64, n)}
			for i := range b.x {
				b.x[i] = float64(i)
			}
			For(n, 10, b)
			for i, v := range b.out {
				if v != float64(2*i) {
					t.Fatalf("threads %d n %d: out[%d] = %v", th, n, i, v)
				}
			}
		}
		b := &sumBody{x: make([]float64, 1000), out: make([]float64, 1000)}
		For(1000, 10, b)
		if a := testing.AllocsPerRun(50, func() { For(1000, 10, b) }); a > 0 {
			t.Errorf("threads %d: %v allocations per For", th, a)
		}
		SetThreads(prev)
	}
}
