package fmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestTables checks the generated constants against the math/big reference.
func TestTables(t *testing.T) {
	halfPi := new(big.Float).SetPrec(refPrec+64).Quo(refPi, big.NewFloat(2))
	rest := new(big.Float).SetPrec(refPrec + 64).Set(halfPi)
	for i, c := range []float64{pio2A, pio2B, pio2C} {
		if f := refRound(rest); f != c {
			t.Errorf("π/2 part %d = %x, want %x", i, c, f)
		}
		rest.Sub(rest, big.NewFloat(c))
	}
	if rest.MantExp(nil) > -160 {
		t.Errorf("π/2 - parts = %g, want < 2^-161", rest)
	}
	if f := refRound(new(big.Float).SetPrec(refPrec).Quo(big.NewFloat(1), halfPi)); f != twoOverPi {
		t.Errorf("twoOverPi = %x, want %x", twoOverPi, f)
	}
	for i, e := range sincosTab {
		s, c := refSinCos(float64(i) / 64)
		for _, p := range []struct {
			name   string
			hi, lo float64
			v      *big.Float
		}{{"sin", e.sh, e.sl, s}, {"cos", e.ch, e.cl, c}} {
			if p.hi != refRound(p.v) || (p.v.Sign() != 0 && ddRel(p.hi, p.lo, p.v) > 0x1p-106) {
				t.Errorf("%s(%d/64) = %x + %x, want %g", p.name, i, p.hi, p.lo, p.v)
			}
		}
	}
	rmax := math.Pi / 4 * (1 + 0x1p-40) // largest |r| from reduce, with margin
	if want := int(rmax*64 + 0.5); tabLen <= want {
		t.Errorf("tabLen = %d, need > %d", tabLen, want)
	}
	fact := big.NewInt(1)
	for m := 0; m < 2*len(sinCoef); m++ {
		if m > 0 {
			fact.Mul(fact, big.NewInt(int64(m)))
		}
		v := new(big.Float).SetPrec(refPrec).Quo(big.NewFloat(1), new(big.Float).SetInt(fact))
		if (m/2)%2 == 1 {
			v.Neg(v)
		}
		c := cosCoef[m/2]
		if m%2 == 1 {
			c = sinCoef[m/2]
		}
		if c[0] != refRound(v) || ddRel(c[0], c[1], v) > 0x1p-106 {
			t.Errorf("coefficient of r^%d = %x + %x, want %g", m, c[0], c[1], v)
		}
	}
}

// TestGlibc compares with glibc 2.36's sin and cos (see testdata/README for
// how testdata/glibc_sincos.txt was made, with python3's math.sin/math.cos),
// and checks every value against the math/big reference too.
//
// glibc's sin and cos are not correctly rounded: for about 0.1–0.3% of
// arguments in these ranges they return the other neighbour of the exact
// value (an error just above 0.5 ulp, up to 0.56 ulp in this file). A
// correctly rounded implementation must differ from glibc exactly there. So
// the test requires that all our values are correctly rounded and that each
// difference from glibc is such a glibc misrounding (explained), and fails
// if more than 0.5% of the values differ (64 of 40914, 0.16%, do).
func TestGlibc(t *testing.T) {
	data, err := os.ReadFile("testdata/glibc_sincos.txt")
	if err != nil {
		t.Fatal(err)
	}
	var vecs [][3]float64
	for n, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("line %d: %q", n+1, line)
		}
		var v [3]float64
		for i, s := range fs {
			if v[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
		}
		vecs = append(vecs, v)
	}
	if len(vecs) < 4000 {
		t.Fatalf("only %d arguments in testdata", len(vecs))
	}
	var (
		mu                                   sync.Mutex
		n, differ, glibcNotCR, notCR, logged int
		worst                                float64
		wg                                   sync.WaitGroup
	)
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for j := w; j < len(vecs); j += workers {
				v := vecs[j]
				x := v[0]
				s, c := Sincos(x)
				rs, rc := refSinCos(x)
				for _, p := range []struct {
					name      string
					got, want float64
					ref       *big.Float
				}{{"sin", s, v[1], rs}, {"cos", c, v[2], rc}} {
					cr := refRound(p.ref)
					glibcErr := ulpsOff(p.want, p.ref)
					same := math.Float64bits(p.got) == math.Float64bits(p.want)
					mu.Lock()
					n++
					if p.want != cr {
						glibcNotCR++
						worst = max(worst, math.Abs(glibcErr))
					}
					switch {
					case math.Float64bits(p.got) != math.Float64bits(cr):
						notCR++
						t.Errorf("%s(%v (%x)) = %v, correctly rounded %v; glibc %v", p.name, x, x, p.got, cr, p.want)
					case same:
					case math.Abs(glibcErr) < 1 && math.Nextafter(cr, p.want) == p.want:
						differ++
						if logged++; logged <= 5 {
							t.Logf("e.g. glibc %s(%v) = %v is off by %.6f ulp; correctly rounded %v", p.name, x, p.want, glibcErr, cr)
						}
					default:
						t.Errorf("%s(%v): glibc %v is %.4f ulp off", p.name, x, p.want, glibcErr)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d of %d values differ from glibc, each where glibc is not correctly rounded (glibc misrounds %d, by up to %.4f ulp); %d not correctly rounded here",
		differ, n, glibcNotCR, worst, notCR)
	if differ*200 > n {
		t.Errorf("%d of %d values differ from glibc: more than 0.5%%", differ, n)
	}
}

type argRange struct {
	name string
	n    int
	gen  func(r *rand.Rand) float64
}

func uniform(lim float64) func(r *rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return lim * (2*r.Float64() - 1) }
}

// nearHalfPiMultiple returns a float64 within a few ulps of k·π/2 for a random
// k < 2^20·2/π: arguments whose reduced r is tiny and cancellation worst.
func nearHalfPiMultiple(r *rand.Rand) float64 {
	k := float64(1 + r.IntN(667000))
	x := float64(k*pio2A) + float64(k*pio2B)
	n := r.IntN(7) - 3
	for range max(n, -n) {
		x = math.Nextafter(x, math.Copysign(math.Inf(1), float64(n)))
	}
	if r.IntN(2) == 0 {
		x = -x
	}
	return x
}

// crRanges are the arguments of TestCorrectlyRounded: 200,000 in all.
var crRanges = []argRange{
	{"[-0.3,0.3]", 60000, uniform(0.3)},
	{"[-4,4]", 40000, uniform(4)},
	{"[-15,15]", 40000, uniform(15)},
	{"[-1000,1000]", 30000, uniform(1000)},
	{"2^[-30,20]", 20000, func(r *rand.Rand) float64 {
		return math.Copysign(math.Exp2(-30+50*r.Float64()), r.Float64()-0.5)
	}},
	{"near k·π/2", 10000, nearHalfPiMultiple},
}

type crStats struct {
	n, notCR, slow int
	maxULP         float64 // largest |Sin-or-Cos - exact| in ulps
	maxFastRel     float64 // largest relative error of the fast path's hi+lo
	maxFastULP     float64 // the same in ulps of the exact value
}

func (s *crStats) add(o crStats) {
	s.n += o.n
	s.notCR += o.notCR
	s.slow += o.slow
	s.maxULP = max(s.maxULP, o.maxULP)
	s.maxFastRel = max(s.maxFastRel, o.maxFastRel)
	s.maxFastULP = max(s.maxFastULP, o.maxFastULP)
}

// checkCR compares Sin, Cos and Sincos of x and the fast path with the
// reference.
func checkCR(t *testing.T, x float64, st *crStats) {
	rs, rc := refSinCos(x)
	s, c := Sincos(x)
	if Sin(x) != s || Cos(x) != c {
		t.Errorf("Sincos(%v) = %v, %v; Sin, Cos = %v, %v", x, s, c, Sin(x), Cos(x))
	}
	for i, p := range []struct {
		got float64
		ref *big.Float
	}{{s, rs}, {c, rc}} {
		st.n++
		e := ulpsOff(p.got, p.ref)
		st.maxULP = max(st.maxULP, math.Abs(e))
		if p.got != refRound(p.ref) {
			st.notCR++
			t.Errorf("%s(%v (%x)) = %v, correctly rounded %v (error %.6f ulp)",
				[]string{"sin", "cos"}[i], x, x, p.got, refRound(p.ref), e)
		}
	}
	if math.Abs(x) < tinyMax {
		return
	}
	// The fast path: sin(|r|) and cos(|r|) before the final rounding.
	rh, rl, q := reduce(x)
	if rh < 0 {
		rh, rl = -rh, -rl
	}
	sh, sl, ch, cl := sincosDD(rh, rl)
	for _, dd := range [][2]float64{{sh, sl}, {ch, cl}} {
		if _, ok := round(dd[0], dd[1]); !ok {
			st.slow++
		}
	}
	// Match |r|'s functions with the reference's |sin x| and |cos x|.
	if q&1 == 1 {
		sh, sl, ch, cl = ch, cl, sh, sl
	}
	for _, p := range []struct {
		hi, lo float64
		ref    *big.Float
	}{{sh, sl, new(big.Float).Abs(rs)}, {ch, cl, new(big.Float).Abs(rc)}} {
		rel, ulps := ddErr(p.hi, p.lo, p.ref)
		st.maxFastRel = max(st.maxFastRel, rel)
		st.maxFastULP = max(st.maxFastULP, ulps)
	}
}

// TestCorrectlyRounded checks 200,000 random arguments (fixed seed) against
// the math/big reference: every Sin and Cos must be correctly rounded, and
// the fast path's error before rounding must stay within a quarter of the
// bound its rounding test assumes (fastRel), so that the test is sound.
func TestCorrectlyRounded(t *testing.T) {
	scale := 1
	if testing.Short() {
		scale = 20
	}
	for ri, rg := range crRanges {
		t.Run(rg.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(20240601, uint64(ri)))
			xs := make([]float64, rg.n/scale)
			for i := range xs {
				xs[i] = rg.gen(r)
			}
			workers := runtime.GOMAXPROCS(0)
			var mu sync.Mutex
			var total crStats
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					var st crStats
					for i := w; i < len(xs); i += workers {
						checkCR(t, xs[i], &st)
					}
					mu.Lock()
					total.add(st)
					mu.Unlock()
				})
			}
			wg.Wait()
			t.Logf("%d values: %d not correctly rounded, max error %.6f ulp; fast path: max error %.2e ulp (2^%.1f relative), undecided %d (%.3f%%)",
				total.n, total.notCR, total.maxULP, total.maxFastULP, math.Log2(total.maxFastRel),
				total.slow, 100*float64(total.slow)/float64(total.n))
			if total.maxFastRel > fastRel/4 {
				t.Errorf("fast path relative error 2^%.2f exceeds fastRel/4 = 2^%.0f", math.Log2(total.maxFastRel), math.Log2(fastRel/4))
			}
		})
	}
}

// TestSlowPath checks the double-double path on its own, over the whole
// interval, since Sin and Cos rarely take it.
func TestSlowPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worstRel, worstULP := 0.0, 0.0
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		var x float64
		switch r.IntN(3) {
		case 0:
			x = math.Pi / 4 * r.Float64()
		case 1:
			x = math.Exp2(-27 * r.Float64())
		default:
			x = nearHalfPiMultiple(r)
		}
		// slowSin and slowCos of |r| for x = k·π/2 + r, against |sin x| and |cos x|.
		rh, rl, q := reduce(x)
		if rh < 0 {
			rh, rl = -rh, -rl
		}
		rs, rc := refSinCos(x)
		sr, cr := new(big.Float).Abs(rs), new(big.Float).Abs(rc)
		if q&1 == 1 {
			sr, cr = cr, sr
		}
		for _, p := range []struct {
			name string
			got  float64
			ref  *big.Float
		}{{"slowSin", slowSin(rh, rl), sr}, {"slowCos", slowCos(rh, rl), cr}} {
			worstULP = max(worstULP, math.Abs(ulpsOff(p.got, p.ref)))
			if p.got != refRound(p.ref) {
				t.Errorf("%s at x=%v: %v, correctly rounded %v", p.name, x, p.got, refRound(p.ref))
			}
		}
		// The same before the final rounding, against the 2^-98 bound.
		sh, sl := slowSinDD(rh, rl)
		ch, cl := slowCosDD(rh, rl)
		for _, p := range []struct {
			name   string
			hi, lo float64
			ref    *big.Float
		}{{"slowSinDD", sh, sl, sr}, {"slowCosDD", ch, cl, cr}} {
			rel := ddRel(p.hi, p.lo, p.ref)
			worstRel = max(worstRel, rel)
			if v, _ := p.ref.Float64(); rel*v > 0x1p-98*v+0x1p-130 {
				t.Errorf("%s at x=%v: relative error 2^%.1f", p.name, x, math.Log2(rel))
			}
		}
	}
	t.Logf("slow path: max error before rounding 2^%.1f relative, after %.9f ulp", math.Log2(worstRel), worstULP)
}

func TestSpecial(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, x := range []float64{nan, inf, -inf} {
		s, c := Sincos(x)
		if !math.IsNaN(Sin(x)) || !math.IsNaN(Cos(x)) || !math.IsNaN(s) || !math.IsNaN(c) {
			t.Errorf("Sin, Cos, Sincos(%v) = %v, %v, (%v, %v); want NaN", x, Sin(x), Cos(x), s, c)
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1)} {
		s, c := Sincos(x)
		if math.Float64bits(Sin(x)) != math.Float64bits(x) || math.Float64bits(s) != math.Float64bits(x) ||
			Cos(x) != 1 || c != 1 {
			t.Errorf("Sin, Cos, Sincos(%v) = %v, %v, (%v, %v); want %v, 1", x, Sin(x), Cos(x), s, c, x)
		}
	}
	// Beyond ReduceMax: math.Sin and math.Cos.
	for _, x := range []float64{math.Nextafter(ReduceMax, inf), 1e7, -3e9, 1e300, math.MaxFloat64} {
		s, c := Sincos(x)
		if Sin(x) != math.Sin(x) || Cos(x) != math.Cos(x) || s != math.Sin(x) || c != math.Cos(x) {
			t.Errorf("x=%v: got %v %v %v %v, want math's %v %v", x, Sin(x), Cos(x), s, c, math.Sin(x), math.Cos(x))
		}
	}
	// Symmetry, and Sincos == (Sin, Cos), bit for bit.
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		x := math.Exp2(-35+57*r.Float64()) * float64(1-2*r.IntN(2))
		s, c := Sincos(x)
		ns, nc := Sincos(-x)
		if math.Float64bits(Sin(-x)) != math.Float64bits(-Sin(x)) || Cos(-x) != Cos(x) ||
			math.Float64bits(ns) != math.Float64bits(-s) || nc != c ||
			math.Float64bits(s) != math.Float64bits(Sin(x)) || math.Float64bits(c) != math.Float64bits(Cos(x)) {
			t.Fatalf("x=%v: Sin %v, Sin(-x) %v, Cos %v, Cos(-x) %v, Sincos %v %v, Sincos(-x) %v %v",
				x, Sin(x), Sin(-x), Cos(x), Cos(-x), s, c, ns, nc)
		}
		if math.Abs(s) > 1 || math.Abs(c) > 1 {
			t.Fatalf("x=%v: |Sincos| > 1: %v %v", x, s, c)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	x := 0.3
	if n := testing.AllocsPerRun(100, func() { x, _ = Sincos(x + 1) }); n != 0 {
		t.Errorf("Sincos allocates %v times", n)
	}
}

// Benchmarks, each over 1024 arguments uniform in |x| < 0.3 (small: CartPole's
// angles) and |x| < 15 (mid: Acrobot's), against math.Sin and math.Cos.

var sink float64

var benchRanges = []struct {
	name string
	xs   []float64
}{{"small", benchArgs(0.3)}, {"mid", benchArgs(15)}}

func benchArgs(lim float64) []float64 {
	r := rand.New(rand.NewPCG(5, 6))
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = lim * (2*r.Float64() - 1)
	}
	return xs
}

func BenchmarkSincos(b *testing.B) {
	for _, rg := range benchRanges {
		b.Run(rg.name, func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				sin, cos := Sincos(rg.xs[i&1023])
				s += sin + cos
			}
			sink = s
		})
		b.Run(rg.name+"/math", func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				x := rg.xs[i&1023]
				s += math.Sin(x) + math.Cos(x)
			}
			sink = s
		})
		b.Run(rg.name+"/math.Sincos", func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				sin, cos := math.Sincos(rg.xs[i&1023])
				s += sin + cos
			}
			sink = s
		})
	}
}

func BenchmarkSin(b *testing.B) {
	for _, rg := range benchRanges {
		b.Run(rg.name, func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				s += Sin(rg.xs[i&1023])
			}
			sink = s
		})
		b.Run(rg.name+"/math", func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				s += math.Sin(rg.xs[i&1023])
			}
			sink = s
		})
	}
}

func BenchmarkCos(b *testing.B) {
	for _, rg := range benchRanges {
		b.Run(rg.name, func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				s += Cos(rg.xs[i&1023])
			}
			sink = s
		})
		b.Run(rg.name+"/math", func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for i := 0; b.Loop(); i++ {
				s += math.Cos(rg.xs[i&1023])
			}
			sink = s
		})
	}
}

// TestReduce checks the argument reduction against the exact remainder:
// |rh+rl - (x - k·π/2)| ≤ 2^-104·|r| + 2^-134.
func TestReduce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	prec := uint(refPrec + 64)
	halfPi := new(big.Float).SetPrec(prec).Quo(refPi, big.NewFloat(2))
	worstAbs, worstRel := 0.0, 0.0
	for i := range 40000 {
		var x float64
		switch {
		case i < 20:
			// The doubles in [1, 2^20] nearest to multiples of π/2 (from
			// testdata/README), and their neighbours.
			x = []float64{45.553093477052, 91.106186954104, 182.212373908208, 364.424747816416, 728.849495632832}[i%5]
			x = math.Nextafter(x, float64(i%4-2))
		case i%2 == 0:
			x = nearHalfPiMultiple(r)
		default:
			x = math.Copysign(math.Exp2(-1+21*r.Float64()), r.Float64()-0.5)
		}
		if math.Abs(x) <= math.Pi/4 {
			continue
		}
		rh, rl, q := reduce(x)
		// k from q and rh: k·π/2 = x - r.
		kf := math.Round((x - rh) / (math.Pi / 2))
		if uint(int64(kf))&3 != q || math.Abs(rh) > math.Pi/4*(1+0x1p-40) {
			t.Fatalf("reduce(%v) = %v, %v, q=%d; k=%v", x, rh, rl, q, kf)
		}
		exact := new(big.Float).SetPrec(prec).Mul(new(big.Float).SetFloat64(kf), halfPi)
		exact.Sub(new(big.Float).SetPrec(prec).SetFloat64(x), exact)
		d := new(big.Float).SetPrec(prec).SetFloat64(rh)
		d.Add(d, new(big.Float).SetFloat64(rl))
		d.Sub(d, exact)
		abs, _ := d.Float64()
		ex, _ := exact.Float64()
		abs = math.Abs(abs)
		if abs > 0x1p-104*math.Abs(ex)+0x1p-134 {
			t.Errorf("reduce(%v): error %g for r = %g", x, abs, ex)
		}
		if math.Abs(ex) < 0x1p-20 {
			worstAbs = max(worstAbs, abs)
		}
		worstRel = max(worstRel, abs/math.Abs(ex))
	}
	t.Logf("reduction: max error 2^%.1f relative; 2^%.1f absolute where |r| < 2^-20", math.Log2(worstRel), math.Log2(worstAbs))
}
