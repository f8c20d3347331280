package half

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// format is one of the 16-bit formats under test, with its reference
// rounding: the table of every finite non-negative value, in encoding order.
type format struct {
	name      string
	bits      func(float32) uint16
	value     func(uint16) float32
	fits      func(float32) bool
	maxEnc    uint16  // the largest finite encoding
	inf       float64 // 2^(emax+1), where a value rounds to Inf
	eps       float64 // relative error bound of one rounding, normal range
	minNormal float64
}

var formats = []format{
	{"float16", F16Bits, F16, F16Fits, 0x7bff, 65536, 0x1p-11, 0x1p-14},
	{"bf16", BF16Bits, BF16, BF16Fits, 0x7f7f, 0x1p128, 0x1p-8, 0x1p-126},
}

// table returns the values of encodings 0…maxEnc, decoded independently of
// the code under test for float16 (from the fields of IEEE 754 binary16),
// and for bf16 as the float32 with those upper bits.
func (f format) table() []float64 {
	t := make([]float64, int(f.maxEnc)+1)
	for h := range t {
		if f.name == "float16" {
			e, m := h>>10, h&0x3ff
			if e == 0 {
				t[h] = math.Ldexp(float64(m), -24)
			} else {
				t[h] = math.Ldexp(float64(m|0x400), e-25)
			}
		} else {
			t[h] = float64(math.Float32frombits(uint32(h) << 16))
		}
	}
	return t
}

// reference rounds x ≥ 0 to the nearest entry of t (or to Inf, the entry
// after the last), ties to the even encoding.
func (f format) reference(t []float64, x float64) uint16 {
	i := sort.SearchFloat64s(t, x) // first t[i] ≥ x
	if i < len(t) && t[i] == x {
		return uint16(i)
	}
	hi := f.inf
	if i < len(t) {
		hi = t[i]
	}
	lo := t[i-1]
	switch {
	case x-lo < hi-x:
		return uint16(i - 1)
	case x-lo > hi-x:
		return uint16(i) // i == len(t) is the Inf encoding
	case (i-1)%2 == 0:
		return uint16(i - 1)
	}
	return uint16(i)
}

// TestRoundingAgainstTable checks encoding against the reference rounding at
// every encodable value, every midpoint between neighbours (where ties to
// even decide), one float32 step either side of each midpoint, and a
// million random float32s; decoding must return the table's value exactly,
// and the sign must carry through.
func TestRoundingAgainstTable(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			tab := f.table()
			check := func(x float32) {
				t.Helper()
				want := f.reference(tab, float64(x))
				for _, s := range []float32{1, -1} {
					got := f.bits(s * x)
					w := want
					if s < 0 {
						w |= 0x8000
					}
					if got != w {
						t.Fatalf("%s bits of %v (%#08x) = %#04x, want %#04x", f.name, s*x, math.Float32bits(s*x), got, w)
					}
				}
			}
			for h, v := range tab {
				if float64(f.value(uint16(h))) != v || float64(f.value(uint16(h)|0x8000)) != -v {
					t.Fatalf("%s value of %#04x = %v, want %v", f.name, h, f.value(uint16(h)), v)
				}
				check(float32(v))
				next := f.inf
				if h+1 < len(tab) {
					next = tab[h+1]
				}
				mid := float32((v + next) / 2)
				if float64(mid) != (v+next)/2 {
					t.Fatalf("midpoint %v not exact in float32", (v+next)/2)
				}
				check(mid)
				check(math.Nextafter32(mid, 0))
				check(math.Nextafter32(mid, float32(math.Inf(1))))
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 1_000_000 {
				x := math.Float32frombits(rng.Uint32() & 0x7fffffff)
				if x <= math.MaxFloat32 {
					check(x)
				}
			}
		})
	}
}

// TestSpecials: zeros keep their sign, infinities stay, NaNs stay NaN, and
// Fits is false exactly for finite values that round to infinity.
func TestSpecials(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, f := range formats {
		negZero := float32(math.Copysign(0, -1))
		if got := f.value(f.bits(negZero)); got != 0 || !math.Signbit(float64(got)) {
			t.Errorf("%s: -0 becomes %v", f.name, got)
		}
		for _, x := range []float32{inf, -inf} {
			if got := f.value(f.bits(x)); got != x {
				t.Errorf("%s: %v becomes %v", f.name, x, got)
			}
			if !f.fits(x) {
				t.Errorf("%s: %v does not fit", f.name, x)
			}
		}
		if got := f.value(f.bits(nan)); !math.IsNaN(float64(got)) || !f.fits(nan) {
			t.Errorf("%s: NaN becomes %v", f.name, got)
		}
		// A signalling NaN whose payload lies only in the low bits stays NaN.
		if got := f.value(f.bits(math.Float32frombits(0x7f800001))); !math.IsNaN(float64(got)) {
			t.Errorf("%s: signalling NaN becomes %v", f.name, got)
		}
		maxV := float64(f.value(f.maxEnc))
		if !f.fits(float32(maxV)) || !f.fits(-float32(maxV)) {
			t.Errorf("%s: the largest value %v does not fit", f.name, maxV)
		}
		above := float32((maxV + f.inf) / 2) // the midpoint rounds to Inf
		if f.fits(above) || f.fits(-above) || f.fits(math.MaxFloat32) {
			t.Errorf("%s: %v fits", f.name, above)
		}
		if !f.fits(math.Nextafter32(above, 0)) {
			t.Errorf("%s: %v, just below the midpoint to Inf, does not fit", f.name, math.Nextafter32(above, 0))
		}
	}
	if F16Round(70000) != inf || F16Round(-1e-9) != 0 || !math.Signbit(float64(F16Round(-1e-9))) {
		t.Error("float16: overflow or underflow")
	}
}

// TestErrorBound: one rounding is within eps·|x| in the normal range.
func TestErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range formats {
		worst := 0.0
		for range 200_000 {
			x := float32(math.Exp(rng.Float64()*math.Log(f.inf/f.minNormal/2)) * f.minNormal)
			if !f.fits(x) {
				continue
			}
			r := math.Abs(float64(f.value(f.bits(x)))-float64(x)) / float64(x)
			worst = max(worst, r)
		}
		if worst > f.eps || worst < f.eps/2 {
			t.Errorf("%s: worst relative error %g, want in [eps/2, eps] = [%g, %g]", f.name, worst, f.eps/2, f.eps)
		}
	}
}
