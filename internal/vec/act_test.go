package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestActivations32 checks the float32 σ and tanh of the LSTM's cells (Sigmoid32, Tanh32) against
// math.Exp and math.Tanh rounded to float32: at most one float32 ulp apart
// (relative 1.2e-7, or 1e-37 absolute near 0), over a sweep of [−120, 120]
// that crosses every branch, and at 0, ±Inf and NaN.
func TestActivations32(t *testing.T) {
	ref := func(x float32) (s, th float64) {
		v := float64(x)
		if v >= 0 {
			s = 1 / (1 + math.Exp(-v))
		} else {
			e := math.Exp(v)
			s = e / (1 + e)
		}
		return float64(float32(s)), float64(float32(math.Tanh(v)))
	}
	near := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= max(1.2e-7*math.Abs(want), 1e-37)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	xs := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1. / 16, -1. / 16, 0.0624999, 88, -88, 104, -104, 1e6, -1e6}
	for range 200000 {
		x := float32((rng.Float64()*2 - 1) * 120)
		if rng.IntN(2) == 0 {
			x /= 100
		}
		xs = append(xs, x)
	}
	worstS, worstT := 0.0, 0.0
	for _, x := range xs {
		s, th := ref(x)
		if !near(Sigmoid32(x), s) || !near(Tanh32(x), th) {
			t.Fatalf("x = %v: σ %v, tanh %v; want %v, %v", x, Sigmoid32(x), Tanh32(x), s, th)
		}
		if s != 0 {
			worstS = max(worstS, math.Abs(float64(Sigmoid32(x))-s)/s)
		}
		if th != 0 {
			worstT = max(worstT, math.Abs(float64(Tanh32(x))-th)/math.Abs(th))
		}
	}
	t.Logf("worst relative error: σ %.2g, tanh %.2g", worstS, worstT)
	inf := float32(math.Inf(1))
	if Sigmoid32(inf) != 1 || Sigmoid32(-inf) != 0 || Tanh32(inf) != 1 || Tanh32(-inf) != -1 {
		t.Error("wrong limits at ±Inf")
	}
	nan := float32(math.NaN())
	if s, th := Sigmoid32(nan), Tanh32(nan); s == s || th == th {
		t.Errorf("σ(NaN) = %v, tanh(NaN) = %v, want NaN", s, th)
	}
	if Tanh32(float32(math.Copysign(0, -1))) != 0 || !math.Signbit(float64(Tanh32(float32(math.Copysign(0, -1))))) {
		t.Error("tanh(−0) is not −0")
	}
}

// activationInputs are values over every branch of Sigmoid32 and Tanh32:
// zeros, tiny and huge magnitudes, the polynomial's edge 1/16, the cut-offs
// near 354 and 708, ±Inf, NaNs (quiet, with payloads) and a random sweep.
func activationInputs(rng *rand.Rand) []float32 {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-45, -1e-45, 1. / 16, -1. / 16,
		0.0624999, 0.0625001, 1, -1, 88, -88, 104, -104, 353.9, 354, 354.1, -354.1, 707.9, 708, 708.1, -708, -708.1,
		1e6, -1e6, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0x7fc12345), math.Float32frombits(0xffc00001)}
	for range 5000 {
		x := float32((rng.Float64()*2 - 1) * 120)
		switch rng.IntN(4) {
		case 0:
			x /= 100
		case 1:
			x *= 8
		}
		xs = append(xs, x)
	}
	return xs
}

// TestActivationSlices: Sigmoid and Tanh give Sigmoid32's and Tanh32's bits
// element by element, in the assembly and in Go, for every length (the
// assembly's masked last step), in place too, and leave dst past len(src)
// alone.
func TestActivationSlices(t *testing.T) {
	defer UseAsm(UseAsm(true))
	rng := rand.New(rand.NewPCG(3, 4))
	xs := activationInputs(rng)
	paths := []bool{false}
	if HasAsm() {
		paths = append(paths, true)
	}
	for _, asm := range paths {
		UseAsm(asm)
		for _, n := range append(sizes, len(xs)) {
			src := xs[:n]
			for _, f := range []struct {
				name   string
				slice  func(dst, src []float32)
				scalar func(float32) float32
			}{{"Sigmoid", Sigmoid, Sigmoid32}, {"Tanh", Tanh, Tanh32}} {
				dst := make([]float32, n+3)
				for i := range dst {
					dst[i] = 7
				}
				f.slice(dst, src)
				in := clone(src)
				f.slice(in, in)
				for i, x := range src {
					want := math.Float32bits(f.scalar(x))
					if got := math.Float32bits(dst[i]); got != want {
						t.Fatalf("%s (asm %v) n=%d: x = %v (%#08x): got %#08x, want %#08x", f.name, asm, n, x, math.Float32bits(x), got, want)
					}
					if got := math.Float32bits(in[i]); got != want {
						t.Fatalf("%s (asm %v) in place, n=%d: x = %v: got %#08x, want %#08x", f.name, asm, n, x, got, want)
					}
				}
				for i := n; i < n+3; i++ {
					if dst[i] != 7 {
						t.Fatalf("%s (asm %v) n=%d wrote element %d past the end", f.name, asm, n, i)
					}
				}
			}
		}
	}
	requireAsm(t) // the assembly's own check above must have run where it can
}
