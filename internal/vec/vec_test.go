package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

func randSlice(rng *rand.Rand, n int, pos bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if pos {
			x[i] = float32(math.Abs(float64(x[i]))) * 1e-3
		}
	}
	return x
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

func sameBits(t *testing.T, what string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s n=%d: element %d: asm %v, Go %v", what, n, i, got[i], want[i])
		}
	}
}

var sizes = []int{0, 1, 5, 15, 16, 17, 31, 32, 33, 100, 1000, 1027}

// cpuHasAsm reports whether this build on this CPU must run the assembly:
// it needs AVX512F (golang.org/x/sys/cpu also checks that the OS saves the
// AVX-512 registers) and BMI2.
func cpuHasAsm() bool { return asmBuild && cpu.X86.HasAVX512F && cpu.X86.HasBMI2 }

// requireAsm skips t on a CPU or build without the assembly and fails it if
// the CPU has what the assembly needs but it was not selected.
func requireAsm(t *testing.T) {
	t.Helper()
	switch {
	case HasAsm() != cpuHasAsm():
		t.Fatalf("HasAsm() = %v on a CPU with avx512f %v, bmi2 %v (assembly built: %v)",
			HasAsm(), cpu.X86.HasAVX512F, cpu.X86.HasBMI2, asmBuild)
	case !HasAsm():
		t.Skipf("no AVX-512 assembly to test: CPU avx512f %v, bmi2 %v, assembly built %v",
			cpu.X86.HasAVX512F, cpu.X86.HasBMI2, asmBuild)
	}
}

// TestAsmSelected: the assembly is used exactly when the CPU can run it.
// Run with -v, it states what was tested (CI prints it).
func TestAsmSelected(t *testing.T) {
	if HasAsm() != cpuHasAsm() {
		t.Fatalf("HasAsm() = %v on a CPU with avx512f %v, bmi2 %v (assembly built: %v)",
			HasAsm(), cpu.X86.HasAVX512F, cpu.X86.HasBMI2, asmBuild)
	}
	if HasAsm() {
		t.Logf("vec kernels tested: avx512, go (default avx512)")
	} else {
		t.Logf("vec kernels tested: go (CPU avx512f %v, bmi2 %v; assembly built %v)", cpu.X86.HasAVX512F, cpu.X86.HasBMI2, asmBuild)
	}
	// The default is the assembly where there is one.
	prev := UseAsm(true)
	UseAsm(prev)
	if prev != HasAsm() {
		t.Errorf("default useAsm %v, want %v", prev, HasAsm())
	}
}

// TestAsmMatchesGoBitwise runs every function through both implementations
// on the same random inputs, including ragged tails, and wants equal bits
// in every output (and no write past n).
func TestAsmMatchesGoBitwise(t *testing.T) {
	requireAsm(t)
	defer UseAsm(true)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range sizes {
		const pad = 3 // elements past n that must stay untouched
		x, g := randSlice(rng, n+pad, false), randSlice(rng, n+pad, false)
		w := randSlice(rng, n+pad, false)
		m, v := randSlice(rng, n+pad, false), randSlice(rng, n+pad, true)
		s, ga := randSlice(rng, n+pad, true), randSlice(rng, n+pad, false)
		for i := range ga {
			ga[i] *= 1e-3 // keep s − ḡ² positive
		}
		type outs [][]float32
		runs := func(asm bool) outs {
			UseAsm(asm)
			y, dx := make([]float32, n+pad), make([]float32, n+pad)
			Relu(y[:n], x[:n])
			ReluGrad(dx[:n], g, x)
			wa, ma, va := clone(w), clone(m), clone(v)
			Adam(wa[:n], g, ma, va, AdamParams{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 2.5e-4 / 0.1, BC2: 0.0316})
			wr, sr := clone(w), clone(s)
			RMSProp(wr[:n], g, sr, 1e-3, 0.99, 1e-8)
			wc, sc, gc := clone(w), clone(s), clone(ga)
			RMSPropCentered(wc[:n], g, sc, gc, 1e-3, 0.95, 0.01)
			wd, gd, sd := clone(w), clone(ga), clone(s)
			DeepMindRMSProp(wd[:n], g, gd, sd, 2.5e-4, 0.95, 0.01)
			as, at := make([]float32, n+pad), clone(w)
			AddScalar(as, x[:n], 0.3)
			AddTo(at, g[:n])
			return outs{y, dx, wa, ma, va, wr, sr, wc, sc, gc, wd, gd, sd, as, at}
		}
		a, gol := runs(true), runs(false)
		names := []string{"Relu", "ReluGrad", "Adam w", "Adam m", "Adam v", "RMSProp w", "RMSProp s",
			"centered w", "centered s", "centered ḡ", "DeepMind w", "DeepMind ḡ", "DeepMind s", "AddScalar", "AddTo"}
		for i := range a {
			sameBits(t, names[i], n, a[i], gol[i])
		}
	}
}

func TestReluEdges(t *testing.T) {
	for _, asm := range []bool{false, true} {
		if asm && !HasAsm() {
			continue
		}
		prev := UseAsm(asm)
		nan := float32(math.NaN())
		x := []float32{-1, 0, 2, nan, float32(math.Inf(-1)), float32(math.Inf(1))}
		y := make([]float32, len(x))
		Relu(y, x)
		want := []float32{0, 0, 2, nan, 0, float32(math.Inf(1))}
		for i := range want {
			if !(y[i] == want[i] || math.IsNaN(float64(y[i])) && math.IsNaN(float64(want[i]))) {
				t.Errorf("asm=%v: Relu(%v) = %v, want %v", asm, x[i], y[i], want[i])
			}
		}
		dx := make([]float32, len(x))
		ReluGrad(dx, []float32{1, 1, 1, 1, 1, 1}, y)
		wantG := []float32{0, 0, 1, 0, 0, 1}
		for i := range wantG {
			if dx[i] != wantG[i] {
				t.Errorf("asm=%v: ReluGrad at y=%v = %v, want %v", asm, y[i], dx[i], wantG[i])
			}
		}
		UseAsm(prev)
	}
}

// TestAdamReference checks Adam against the float64 formula.
func TestAdamReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 37
	w, g := randSlice(rng, n, false), randSlice(rng, n, false)
	m, v := make([]float32, n), make([]float32, n)
	w0 := clone(w)
	lr, b1, b2, eps := 1e-3, 0.9, 0.999, 1e-8
	Adam(w, g, m, v, AdamParams{Beta1: float32(b1), Beta2: float32(b2), Eps: float32(eps), Step: float32(lr / (1 - b1)), BC2: float32(math.Sqrt(1 - b2))})
	for i := range w {
		gm, gv := (1-b1)*float64(g[i]), (1-b2)*float64(g[i])*float64(g[i])
		want := float64(w0[i]) - lr/(1-b1)*gm/(math.Sqrt(gv)/math.Sqrt(1-b2)+eps)
		if d := math.Abs(float64(w[i]) - want); d > 1e-6*math.Abs(want)+1e-9 {
			t.Fatalf("w[%d] = %v, want %v", i, w[i], want)
		}
	}
}

func TestLengthPanics(t *testing.T) {
	defer func() {
		if r, _ := recover().(string); r == "" {
			t.Fatal("no panic for short slices")
		}
	}()
	Adam(make([]float32, 4), make([]float32, 3), make([]float32, 4), make([]float32, 4), AdamParams{})
}

func BenchmarkAdam(b *testing.B) {
	for _, asm := range []bool{false, true} {
		name := "go"
		if asm {
			name = "avx512"
		}
		b.Run(name, func(b *testing.B) {
			if asm && !HasAsm() {
				b.Skip("no assembly")
			}
			prev := UseAsm(asm)
			defer UseAsm(prev)
			rng := rand.New(rand.NewPCG(1, 1))
			n := 67_000
			w, g, m, v := randSlice(rng, n, false), randSlice(rng, n, false), make([]float32, n), make([]float32, n)
			for b.Loop() {
				Adam(w, g, m, v, AdamParams{0.9, 0.999, 1e-8, 1e-3, 0.5})
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gparams/s")
		})
	}
}

func TestSegments(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		nseg, w, step := 1+rng.IntN(25), 1+rng.IntN(40), 1+rng.IntN(8)
		sstride := (w-1)*step + 1 + rng.IntN(30)
		src := randSlice(rng, (nseg-1)*sstride+(w-1)*step+1, false)
		want := make([]float32, nseg*w+5)
		for s := range nseg {
			for v := range w {
				want[s*w+v] = src[s*sstride+v*step]
			}
		}
		for _, asm := range []bool{false, true} {
			if asm && !HasAsm() {
				continue
			}
			prev := UseAsm(asm)
			got := make([]float32, nseg*w+5)
			Segments(got, src, nseg, w, sstride, step)
			UseAsm(prev)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("asm=%v nseg %d w %d step %d stride %d: dst[%d] = %v, want %v", asm, nseg, w, step, sstride, i, got[i], want[i])
				}
			}
		}
	}
}

func TestSumSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range append(sizes, 4099) {
		x := randSlice(rng, n, false)
		var want float64
		for _, v := range x {
			want += float64(v) * float64(v)
		}
		var got [2]float64
		for i, asm := range []bool{false, true} {
			if asm && !HasAsm() {
				got[i] = got[0]
				continue
			}
			prev := UseAsm(asm)
			got[i] = SumSquares(x)
			UseAsm(prev)
		}
		if got[0] != got[1] {
			t.Fatalf("n=%d: Go %v, asm %v", n, got[0], got[1])
		}
		if math.Abs(got[0]-want) > 1e-12*want {
			t.Fatalf("n=%d: %v, want %v", n, got[0], want)
		}
	}
}
