package bf16_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/deepq/deepq/bench"
	"github.com/deepq/deepq/internal/bf16"
	"github.com/deepq/deepq/internal/gemm"
)

// forEachKernel runs f with each kernel this process can run, restoring
// the default after.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, name := range bf16.Kernels() {
		t.Run(name, func(t *testing.T) {
			prev, err := bf16.Use(name)
			if err != nil {
				t.Fatal(err)
			}
			defer bf16.Use(prev)
			f(t)
		})
	}
}

// TestKernelsAvailable makes sure that the paths the CPU supports are the
// ones this process runs (and so the ones these tests exercise): a CPU
// with AMX must get the AMX kernel (if Linux refused the tiles, this fails
// with its reason), one with AVX512-BF16 the VDPBF16PS kernel.
func TestKernelsAvailable(t *testing.T) {
	names := bf16.Kernels()
	name, why := bf16.Kernel()
	ok, amxWhy := bf16.AMX()
	t.Logf("kernels %v; in use %s (%s); AMX %v (%s)", names, name, why, ok, amxWhy)
	if names[len(names)-1] != "float32" {
		t.Errorf("float32 fallback missing from %v", names)
	}
	if name != names[0] {
		t.Errorf("kernel in use %s, want the fastest, %s", name, names[0])
	}
	if why == "" || amxWhy == "" {
		t.Errorf("kernel %q, AMX %q: want reasons", why, amxWhy)
	}
	if bf16.HasAsm && cpu.X86.HasAMXTile && cpu.X86.HasAMXBF16 && (names[0] != "amx" || !ok) {
		t.Errorf("the CPU has AMX but the kernel in use is %s: %s", names[0], amxWhy)
	}
	if bf16.HasAsm && cpu.X86.HasAVX512BF16 && cpu.X86.HasAVX512BW && !strings.Contains(strings.Join(names, " "), "avx512bf16") {
		t.Errorf("the CPU has AVX512-BF16 but the kernels are %v", names)
	}
	if !(bf16.HasAsm && cpu.X86.HasAMXTile) && ok {
		t.Errorf("AMX reported usable without AMX in the CPU")
	}
	if _, err := bf16.Use("fp8"); err == nil || !strings.Contains(err.Error(), "fp8") {
		t.Errorf("Use(fp8) = %v, want an error naming it", err)
	}
}

type shape struct {
	name    string
	tA, tB  bool
	m, n, k int
}

func (s shape) String() string {
	op := map[bool]string{false: "N", true: "T"}
	return fmt.Sprintf("%s%s%s_%dx%dx%d", s.name, op[s.tA], op[s.tB], s.m, s.n, s.k)
}

// oddShapes are edges around the tiles (6-row and 64-column AVX512-BF16
// tiles, 16/32 AMX blocks), odd k (a half-empty last pair), k across the
// 512-value block and 32-value AMX steps, in all four transpositions.
func oddShapes() []shape {
	var s []shape
	for _, d := range [][3]int{
		{1, 1, 1}, {2, 3, 4}, {3, 5, 7}, {5, 7, 3}, {6, 16, 1}, {7, 17, 9}, {4, 64, 8},
		{13, 63, 5}, {6, 65, 31}, {12, 48, 33}, {11, 129, 2}, {1, 200, 70}, {37, 9, 64},
		{19, 33, 257}, {8, 8, 520}, {25, 530, 11}, {17, 31, 1025}, {33, 47, 63}, {9, 1, 300},
	} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				s = append(s, shape{"", tA, tB, d[0], d[1], d[2]})
			}
		}
	}
	return s
}

// dqnShapes are the multiplies of the DQN networks' train steps
// (bench.GEMMShapes without the cubes: the CartPole MLPs, the MinAtar
// convolution as lowered and its 1024→128 layer, the Nature convolution
// taps and its 3136→512 layer) and the rest of the 4-256-256-2 MLP at
// batch 64 (first and last layers).
func dqnShapes() []shape {
	var s []shape
	for _, g := range bench.GEMMShapes {
		if !strings.HasPrefix(g.Name, "cube") {
			s = append(s, shape{g.Name, g.TransA, g.TransB, g.M, g.N, g.K})
		}
	}
	return append(s,
		shape{"mlp_in_fwd_b64", false, true, 64, 256, 4}, shape{"mlp_in_dW_b64", true, false, 256, 4, 64},
		shape{"mlp_out_fwd_b64", false, true, 64, 2, 256}, shape{"mlp_out_dW_b64", true, false, 2, 256, 64},
		shape{"mlp_out_dx_b64", false, false, 64, 256, 2}, shape{"minatar_conv_dx_b32", true, false, 36, 32 * 64, 16})
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
	a, b, c = fill(ar, ac, lda), fill(br, bc, ldb), fill(s.m, s.n, ldc)
	for i := 0; i < s.m; i++ {
		for j := s.n; j < ldc && i*ldc+j < len(c); j++ {
			c[i*ldc+j] = sentinel
		}
	}
	return
}

const sentinel = 12345.5

func abs(x []float32) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(math.Abs(float64(v)))
	}
	return y
}

func round(x []float32) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = bf16.Round(v)
	}
	return y
}

// refs are the references of one multiply: the float64 product of the
// bf16-rounded inputs (bf16.Naive), that of the unrounded inputs
// (gemm.Naive), and the sums |α|·Σ|ã·b̃| and |α|·Σ|a·b| for the bounds
// (in float32 through gemm.Sgemm, with the slack of its rounding).
type refs struct {
	kernel          string
	s               shape
	alpha, beta     float32
	c0, want, exact []float32
	sumRounded, sum []float32
	ldc             int
}

func makeRefs(s shape, alpha, beta float32, a []float32, lda int, b []float32, ldb int, c0 []float32, ldc int) *refs {
	r := &refs{s: s, alpha: alpha, beta: beta, c0: c0, ldc: ldc}
	r.want = append([]float32(nil), c0...)
	bf16.Naive(s.tA, s.tB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, r.want, ldc)
	r.exact = append([]float32(nil), c0...)
	gemm.Naive(s.tA, s.tB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, r.exact, ldc)
	absA := float32(math.Abs(float64(alpha))) * (1 + float32(s.k)*0x1p-23)
	r.sumRounded = make([]float32, len(c0))
	gemm.Sgemm(s.tA, s.tB, s.m, s.n, s.k, absA, round(abs(a)), lda, round(abs(b)), ldb, 0, r.sumRounded, ldc)
	r.sum = make([]float32, len(c0))
	gemm.Sgemm(s.tA, s.tB, s.m, s.n, s.k, absA, abs(a), lda, abs(b), ldb, 0, r.sum, ldc)
	return r
}

// check compares got = Gemm(...) with both references: with the rounded
// inputs within float32 accumulation, (k+4)·2⁻²⁴·(|α|·Σ|ã·b̃| + |β·c|);
// with the unrounded inputs within Gemm's documented bound,
// (2⁻⁷ + 2⁻¹⁶ + (k+4)·2⁻²⁴·(1+2⁻⁷))·|α|·Σ|a·b| + (k+4)·2⁻²⁴·|β·c|. It
// returns the largest error against the unrounded product relative to
// |α|·Σ|a·b|.
func (r *refs) check(t *testing.T, got []float32) float64 {
	t.Helper()
	s, ldc := r.s, r.ldc
	acc := float64(s.k+4) * 0x1p-24
	worst := 0.0
	for i := 0; i < s.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(got); j++ {
			e := i*ldc + j
			g := float64(got[e])
			if j >= s.n {
				if got[e] != sentinel {
					t.Fatalf("%s %v α=%v β=%v: wrote C(%d,%d) outside the matrix: %v", r.kernel, s, r.alpha, r.beta, i, j, g)
				}
				continue
			}
			cTerm := acc * math.Abs(float64(r.beta)*float64(r.c0[e]))
			if d, bound := math.Abs(g-float64(r.want[e])), acc*float64(r.sumRounded[e])+cTerm+1e-30; !(d <= bound) {
				t.Fatalf("%s %v α=%v β=%v: C(%d,%d) = %v, want %v from the rounded inputs (|Δ| %.3g > %.3g)", r.kernel, s, r.alpha, r.beta, i, j, g, r.want[e], d, bound)
			}
			d := math.Abs(g - float64(r.exact[e]))
			bound := (0x1p-7+0x1p-16+acc*(1+0x1p-7))*float64(r.sum[e]) + cTerm + 1e-30
			if !(d <= bound) {
				t.Fatalf("%s %v α=%v β=%v: C(%d,%d) = %v, want %v from the unrounded inputs (|Δ| %.3g > bf16 bound %.3g)", r.kernel, s, r.alpha, r.beta, i, j, g, r.exact[e], d, bound)
			}
			if r.sum[e] > 0 {
				worst = max(worst, (d-cTerm)/float64(r.sum[e]))
			}
		}
	}
	return worst
}

// TestGemmAgainstReferences checks every kernel at every DQN shape and the
// odd ones, with padded leading dimensions and several α, β, against both
// references (see check); and that the bf16 rounding is really there: the
// error against the unrounded product must reach well above float32's.
func TestGemmAgainstReferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := map[string]float64{}
	for _, s := range append(dqnShapes(), oddShapes()...) {
		big := s.m*s.n*s.k > 1<<22 // the float64 references take a while
		if big && !bf16.HasAsm {
			continue // minutes with the portable float32 kernel; the smaller shapes cover its paths
		}
		for _, pad := range []int{0, 3} {
			for _, ab := range [][2]float32{{1, 1}, {1, 0}, {-0.5, 0.75}} {
				a, lda, b, ldb, c, ldc := operands(s, pad, rng)
				r := makeRefs(s, ab[0], ab[1], a, lda, b, ldb, c, ldc)
				for _, name := range bf16.Kernels() {
					prev, _ := bf16.Use(name)
					got := append([]float32(nil), c...)
					bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
					bf16.Use(prev)
					r.kernel = name
					worst[name] = max(worst[name], r.check(t, got))
				}
				if big {
					break
				}
			}
			if big {
				break
			}
		}
	}
	for name, w := range worst {
		t.Logf("%s: largest error against the unrounded product %.3g of Σ|a·b| (bound 2⁻⁷ ≈ %.3g)", name, w, 0x1p-7)
		if w < 0x1p-12 {
			t.Errorf("%s: largest error %.3g of Σ|a·b|: the inputs were not rounded to bf16", name, w)
		}
	}
}

// TestGemmRandomShapes draws shapes, strides, α and β at random.
func TestGemmRandomShapes(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for range 100 {
			s := shape{"", rng.IntN(2) == 1, rng.IntN(2) == 1, 1 + rng.IntN(70), 1 + rng.IntN(150), 1 + rng.IntN(300)}
			a, lda, b, ldb, c, ldc := operands(s, rng.IntN(20), rng)
			alpha, beta := float32(rng.NormFloat64()), float32(rng.IntN(3))*0.5
			got := append([]float32(nil), c...)
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, got, ldc)
			makeRefs(s, alpha, beta, a, lda, b, ldb, c, ldc).check(t, got)
		}
	})
}

// TestGemmBetaZeroIgnoresC: with β = 0, NaNs in C must not leak into the
// result; with α = 0 or k = 0, C = β·C.
func TestGemmBetaZeroIgnoresC(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range []shape{{"", false, false, 7, 70, 9}, {"", true, true, 33, 17, 300}, {"", false, true, 1, 5, 0}} {
			a, lda, b, ldb, c, ldc := operands(s, 1, rng)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					c[i*ldc+j] = float32(math.NaN())
				}
			}
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					if v := c[i*ldc+j]; math.IsNaN(float64(v)) {
						t.Fatalf("%v: C(%d,%d) is NaN with β = 0", s, i, j)
					}
					c[i*ldc+j] = 2
				}
			}
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 0, a, lda, b, ldb, 0.5, c, ldc)
			if c[0] != 1 {
				t.Fatalf("%v: α = 0, β = 0.5 left C(0,0) = %v, want 1", s, c[0])
			}
		}
	})
}

// TestGemmNaNInf: a NaN or infinity in A reaches exactly its row of C (as
// in float32: NaN, and ±Inf or NaN where infinities meet), and nothing
// else; padding never turns into NaNs.
func TestGemmNaNInf(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, s := range []shape{{"", false, false, 9, 37, 33}, {"", true, true, 20, 18, 5}, {"", false, true, 40, 70, 17}} {
			a, lda, b, ldb, c, ldc := operands(s, 0, rng)
			at := func(i, p int) *float32 {
				if s.tA {
					return &a[p*lda+i]
				}
				return &a[i*lda+p]
			}
			*at(1, s.k-1) = float32(math.NaN())
			*at(3, 0) = float32(math.Inf(1))
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
			for i := range s.m {
				for j := range s.n {
					v := float64(c[i*ldc+j])
					switch i {
					case 1:
						if !math.IsNaN(v) {
							t.Fatalf("%v: C(1,%d) = %v, want NaN", s, j, v)
						}
					case 3:
						if !math.IsInf(v, 0) && !math.IsNaN(v) {
							t.Fatalf("%v: C(3,%d) = %v, want ±Inf (or NaN)", s, j, v)
						}
					default:
						if math.IsNaN(v) || math.IsInf(v, 0) {
							t.Fatalf("%v: C(%d,%d) = %v from a NaN or Inf in another row", s, i, j, v)
						}
					}
				}
			}
		}
	})
}

// TestGemmThreadsBitwise: splitting C between threads must not change a
// bit, for every kernel, ragged shapes included.
func TestGemmThreadsBitwise(t *testing.T) {
	defer bf16.SetParallelMin(bf16.SetParallelMin(0)) // split every shape
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, s := range []shape{{"", false, true, 64, 512, 300}, {"", true, false, 300, 70, 128}, {"", false, false, 130, 130, 130},
			{"", true, true, 97, 255, 129}, {"", false, true, 7, 9, 3}, {"", false, false, 13, 1, 5}, {"", true, false, 1, 130, 2}} {
			a, lda, b, ldb, c, ldc := operands(s, 2, rng)
			var out [3][]float32
			for i, th := range []int{1, 2, 3} {
				prev := gemm.SetThreads(th)
				out[i] = append([]float32(nil), c...)
				bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1.5, a, lda, b, ldb, 0.5, out[i], ldc)
				gemm.SetThreads(prev)
			}
			for i := range out[0] {
				if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) || math.Float32bits(out[0][i]) != math.Float32bits(out[2][i]) {
					t.Fatalf("%v: element %d differs between 1, 2 and 3 threads: %v %v %v", s, i, out[0][i], out[1][i], out[2][i])
				}
			}
			makeRefs(s, 1.5, 0.5, a, lda, b, ldb, c, ldc).check(t, out[1])
		}
	})
}

// TestGemmSerialSameBits: GemmSerial gives Gemm's bits.
func TestGemmSerialSameBits(t *testing.T) {
	defer bf16.SetParallelMin(bf16.SetParallelMin(0))
	forEachKernel(t, func(t *testing.T) {
		s := shape{"", false, true, 50, 300, 77}
		a, lda, b, ldb, c, ldc := operands(s, 0, rand.New(rand.NewPCG(9, 9)))
		c2 := append([]float32(nil), c...)
		bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 1, c, ldc)
		bf16.GemmSerial(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 1, c2, ldc)
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(c2[i]) {
				t.Fatalf("element %d: Gemm %v, GemmSerial %v", i, c[i], c2[i])
			}
		}
	})
}

// TestGemmStress runs Gemm on many goroutines at once (GOMAXPROCS ≥ 2,
// shapes large enough to split between threads), while other goroutines
// yield in a loop so that the scheduler switches and preempts (Go's
// asynchronous preemption signals arrive while the kernels run, and the
// kernels' register and tile state must survive them), and compares every
// result bit for bit with the one computed alone.
func TestGemmStress(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(4, runtime.GOMAXPROCS(0))))
	defer bf16.SetParallelMin(bf16.SetParallelMin(1 << 16))
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		type job struct {
			s         shape
			a, b, c   []float32
			lda, ldb  int
			ldc       int
			want      []float32
			alpha     float32
			beta      float32
			iteration int
		}
		var jobs []*job
		for i, s := range []shape{{"", false, true, 64, 256, 256}, {"", true, false, 128, 1024, 32}, {"", false, false, 33, 70, 300},
			{"", false, true, 32, 128, 1024}, {"", true, true, 40, 50, 60}, {"", false, false, 16, 2048, 36}} {
			a, lda, b, ldb, c, ldc := operands(s, i%3, rng)
			j := &job{s: s, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, alpha: 1, beta: float32(i % 2)}
			j.want = append([]float32(nil), c...)
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, j.alpha, a, lda, b, ldb, j.beta, j.want, ldc)
			jobs = append(jobs, j)
		}
		stop := make(chan struct{})
		var yielders sync.WaitGroup
		for range 4 {
			yielders.Add(1)
			go func() {
				defer yielders.Done()
				x := 0.0
				for {
					select {
					case <-stop:
						return
					default:
					}
					for i := range 1000 {
						x += math.Sqrt(float64(i))
					}
					runtime.Gosched()
				}
			}()
		}
		deadline := time.Now().Add(time.Second)
		var wg sync.WaitGroup
		errs := make(chan string, 16)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := make([][]float32, len(jobs))
				for n := 0; time.Now().Before(deadline); n++ {
					j := jobs[(g+n)%len(jobs)]
					got[(g+n)%len(jobs)] = append(got[(g+n)%len(jobs)][:0], j.c...)
					out := got[(g+n)%len(jobs)]
					bf16.Gemm(j.s.tA, j.s.tB, j.s.m, j.s.n, j.s.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, out, j.ldc)
					for i := range out {
						if math.Float32bits(out[i]) != math.Float32bits(j.want[i]) {
							errs <- fmt.Sprintf("goroutine %d, call %d, %v: element %d = %v, want %v", g, n, j.s, i, out[i], j.want[i])
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		yielders.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}

func TestGemmPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative", func() { bf16.Gemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) }, "negative dimension"},
		{"lda", func() {
			bf16.Gemm(false, false, 2, 2, 3, 1, make([]float32, 6), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}, "leading dimension of A"},
		{"short B", func() {
			bf16.Gemm(false, true, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 5), 3, 0, make([]float32, 4), 2)
		}, "B (2×3, ld 3) needs 6"},
		{"short C", func() {
			bf16.GemmSerial(false, false, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 3), 2)
		}, "C (2×2, ld 2) needs 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.HasPrefix(msg, "bf16: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want a bf16: message containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestGemmAllocs: a steady-state multiply allocates nothing, on one thread
// or two.
func TestGemmAllocs(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		s := shape{"", false, true, 64, 512, 256}
		a, lda, b, ldb, c, ldc := operands(s, 0, rand.New(rand.NewPCG(9, 10)))
		for _, th := range []int{1, 2} {
			prev := gemm.SetThreads(th)
			bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
			if n := testing.AllocsPerRun(20, func() { bf16.Gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc) }); n > 0 {
				t.Errorf("%d threads: %v allocations per Gemm", th, n)
			}
			gemm.SetThreads(prev)
		}
	})
}
