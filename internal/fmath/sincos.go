package fmath

import "math"

//go:generate go run mktables.go

const (
	// tinyMax bounds the arguments for which sin(x) rounds to x and cos(x)
	// rounds to 1: for |x| < 2^-27, x²/6 and x²/2 are below 2^-55, less than
	// half an ulp of x (even just below a power of two) and of 1.
	tinyMax = 0x1p-27

	// ReduceMax is the largest |x| that Sin, Cos and Sincos reduce themselves;
	// beyond it they return math.Sin and math.Cos.
	ReduceMax = 0x1p20

	// shifter rounds a float64 of magnitude < 2^51 to an integer when added
	// and subtracted; the integer's low bits are the low mantissa bits.
	shifter = 0x1.8p52

	// fastRel and fastAbs bound the error of the fast path's unevaluated sum
	// hi+lo: |hi+lo - f(r)| ≤ fastRel·(hi+lo) + fastAbs, where fastAbs
	// covers the argument reduction (below 2^-134). The rounding errors of
	// the bracket (see split) dominate: a worst-case count gives about
	// 2^-63.5 relative; TestCorrectlyRounded checks that the observed error
	// stays below fastRel/4 (at most 2^-65.5 was seen in 4 million values).
	fastRel = 0x1p-62
	fastAbs = 0x1p-128
)

// Sin returns the sine of x (radians), correctly rounded to nearest.
//
// Accuracy: for |x| ≤ ReduceMax (2^20) the result is the correctly rounded
// value, unless sin(x) lies within 2^-44 ulp of a midpoint between two
// float64s (2^-20 ulp if x is within 2^-24 of a multiple of π/2); even then
// the error is below 0.5 ulp plus that margin. No such argument is known and
// none occurred in the package's tests. For |x| > ReduceMax, Sin returns
// math.Sin(x) (error up to about 1 ulp).
//
// Special cases are those of math.Sin:
//
//	Sin(±0) = ±0
//	Sin(±Inf) = NaN
//	Sin(NaN) = NaN
func Sin(x float64) float64 {
	ax := math.Abs(x)
	if ax < tinyMax {
		return x // also ±0
	}
	if !(ax <= ReduceMax) {
		return math.Sin(x) // NaN, ±Inf, large
	}
	rh, rl, q := x, 0.0, uint(0)
	if ax > math.Pi/4 {
		rh, rl, q = reduce(x)
	}
	neg := rh < 0
	if neg {
		rh, rl = -rh, -rl
	}
	if q&1 == 0 {
		y, ok := round(sinDD(rh, rl))
		if !ok {
			y = slowSin(rh, rl)
		}
		if neg != (q == 2) {
			y = -y
		}
		return y
	}
	y, ok := round(cosDD(rh, rl))
	if !ok {
		y = slowCos(rh, rl)
	}
	if q == 3 {
		y = -y
	}
	return y
}

// Cos returns the cosine of x (radians), correctly rounded to nearest.
//
// Accuracy is as for Sin: correctly rounded for |x| ≤ ReduceMax (2^20) unless
// cos(x) lies within 2^-44 ulp of a midpoint (2^-20 ulp if x is within 2^-24
// of a multiple of π/2); for larger |x| it returns math.Cos(x).
//
// Special cases are those of math.Cos:
//
//	Cos(±Inf) = NaN
//	Cos(NaN) = NaN
func Cos(x float64) float64 {
	ax := math.Abs(x)
	if ax < tinyMax {
		return 1
	}
	if !(ax <= ReduceMax) {
		return math.Cos(x)
	}
	rh, rl, q := x, 0.0, uint(0)
	if ax > math.Pi/4 {
		rh, rl, q = reduce(x)
	}
	neg := rh < 0
	if neg {
		rh, rl = -rh, -rl
	}
	if q&1 == 0 {
		y, ok := round(cosDD(rh, rl))
		if !ok {
			y = slowCos(rh, rl)
		}
		if q == 2 {
			y = -y
		}
		return y
	}
	y, ok := round(sinDD(rh, rl))
	if !ok {
		y = slowSin(rh, rl)
	}
	if neg != (q == 1) {
		y = -y
	}
	return y
}

// Sincos returns Sin(x), Cos(x), bit for bit, sharing the argument reduction
// and most of the evaluation between the two. Accuracy and special cases are
// those of Sin and Cos.
func Sincos(x float64) (sin, cos float64) {
	ax := math.Abs(x)
	if ax < tinyMax {
		return x, 1
	}
	if !(ax <= ReduceMax) {
		return math.Sin(x), math.Cos(x)
	}
	rh, rl, q := x, 0.0, uint(0)
	if ax > math.Pi/4 {
		rh, rl, q = reduce(x)
	}
	neg := rh < 0
	if neg {
		rh, rl = -rh, -rl
	}
	sh, sl, ch, cl := sincosDD(rh, rl)
	s, ok := round(sh, sl)
	if !ok {
		s = slowSin(rh, rl)
	}
	c, ok := round(ch, cl)
	if !ok {
		c = slowCos(rh, rl)
	}
	if neg {
		s = -s
	}
	switch q {
	case 0:
		return s, c
	case 1:
		return c, -s
	case 2:
		return -s, -c
	default:
		return -c, s
	}
}

// round returns y = hi+lo rounded to nearest, and whether every value within
// the fast path's error bound of hi+lo rounds to y too, in which case y is
// the correctly rounded value of the function. hi+lo must be positive.
// (fastRel also covers the rounding of lo±e, at most 2^-67·y as |lo| < 2^-14·y.)
func round(hi, lo float64) (y float64, ok bool) {
	y = hi + lo
	e := y*fastRel + fastAbs
	return y, hi+(lo+e) == hi+(lo-e)
}

// reduce returns r = rh + rl and q such that x = k·π/2 + r, q = k mod 4,
// and |r| ≤ π/4·(1+2^-50), for |x| ≤ ReduceMax. The error of rh+rl is below
// 2^-134 absolute plus 2^-104·|r| (TestReduce). Over |x| ≤ 2^20 the smallest
// |r| is 2^-60.5, at x = 45.553093477052 (k = 29). For |x| ≤ π/4 it returns
// x, 0, 0, but the callers skip it there.
func reduce(x float64) (rh, rl float64, q uint) {
	t := float64(x*twoOverPi) + shifter
	q = uint(math.Float64bits(t)) & 3 // k mod 4 (two's complement)
	k := t - shifter                  // |k| < 2^20
	// x - k·π/2 = (x - p1) - e1 - p2 - e2 - k·pio2C - k·(π/2 - pio2A - pio2B - pio2C)
	// where k·pio2A = p1+e1 and k·pio2B = p2+e2 exactly.
	p1 := float64(k * pio2A)
	e1 := math.FMA(k, pio2A, -p1)
	p2 := float64(k * pio2B)
	e2 := math.FMA(k, pio2B, -p2)
	d := x - p1 // exact (Sterbenz): x/p1 ∈ [1/2, 2] for k ≠ 0
	s1, s1e := twoSum(d, -p2)
	s2, s2e := twoSum(s1, -e1)
	tail := ((s1e + s2e) - e2) - float64(k*pio2C)
	rh, rl = twoSum(s2, tail)
	return rh, rl, q
}

// Fast path. For r = rh + rl with 0 ≤ rh ≤ 0.8 and |rl| ≤ ulp(rh), write
// r = a + d with a = i/64 and d = dh + dl, |dh| ≤ 1/128, and use
//
//	sin(a+d) = sin a + cos a·dh + [sin a·(cos d - 1) + cos a·(sin d - dh)]
//	cos(a+d) = cos a - sin a·dh + [cos a·(cos d - 1) - sin a·(sin d - dh)]
//
// with sin a, cos a from sincosTab as double-doubles, the leading sum and the
// product (cos a)·dh evaluated exactly (TwoSum, FMA), and the bracket, which is
// below 2^-14 of the result, in plain float64. The bracket's rounding errors
// dominate: at most about 2^-53·2^-14·(several roundings) ≈ 2^-63.5 of the
// result.

// split returns i, dh = rh - i/64 (exact), u ≈ sin(d) - dh and w ≈ cos(d) - 1
// for d = dh + dl.
func split(rh, dl float64) (i int, dh, u, w float64) {
	i = int(rh*64 + 0.5)
	dh = rh - float64(i)*(1.0/64)
	z := dh * dh
	// sin d - dh = dl + d³(-1/6 + d²/120 - d⁴/5040 + d⁶/362880) + O(2^-100·d),
	// with d³ = dh³ + 3·dh²·dl + (terms below 2^-120): the dl part of -d³/6
	// is -z·dl/2; those of the higher terms are below 2^-80·|dl|.
	u = dl + (dh*z*(-1.0/6+z*(1.0/120+z*(-1.0/5040+z*(1.0/362880)))) - 0.5*z*dl)
	// cos d - 1 = -d²/2 + d⁴/24 - d⁶/720 + d⁸/40320 + O(2^-91), with d² = z + 2·dh·dl.
	w = z*(-0.5+z*(1.0/24+z*(-1.0/720+z*(1.0/40320)))) - dh*dl
	return
}

// sinDD returns hi+lo ≈ sin(rh+rl) for 0 ≤ rh ≤ 0.8, relative error < fastRel/4.
func sinDD(rh, rl float64) (hi, lo float64) {
	i, dh, u, w := split(rh, rl)
	t := &sincosTab[i]
	p := float64(t.ch * dh)
	pe := math.FMA(t.ch, dh, -p)
	hi, se := twoSum(t.sh, p)
	lo = se + (pe + (t.sl + (t.cl*dh + (t.ch*u + t.sh*w))))
	return hi, lo
}

// cosDD returns hi+lo ≈ cos(rh+rl) for 0 ≤ rh ≤ 0.8, relative error < fastRel/4.
func cosDD(rh, rl float64) (hi, lo float64) {
	i, dh, u, w := split(rh, rl)
	t := &sincosTab[i]
	p := float64(t.sh * dh)
	pe := math.FMA(t.sh, dh, -p)
	hi, ce := twoSum(t.ch, -p)
	lo = ce - (pe - (t.cl - (t.sl*dh + (t.sh*u - t.ch*w))))
	return hi, lo
}

// sincosDD computes sinDD and cosDD together; the results are identical.
func sincosDD(rh, rl float64) (sh, sl, ch, cl float64) {
	i, dh, u, w := split(rh, rl)
	t := &sincosTab[i]
	p := float64(t.ch * dh)
	pe := math.FMA(t.ch, dh, -p)
	sh, se := twoSum(t.sh, p)
	sl = se + (pe + (t.sl + (t.cl*dh + (t.ch*u + t.sh*w))))
	p = float64(t.sh * dh)
	pe = math.FMA(t.sh, dh, -p)
	ch, ce := twoSum(t.ch, -p)
	cl = ce - (pe - (t.cl - (t.sl*dh + (t.sh*u - t.ch*w))))
	return sh, sl, ch, cl
}

// Accurate path, taken when the fast path cannot decide the rounding (about 3
// calls in 1000): sin and cos of r = rh + rl by their Taylor series to
// r^29 and r^28 (truncation < 2^-106 for |r| ≤ 0.8), evaluated by Horner's
// rule entirely in double-double arithmetic. The error before the final
// rounding is below 2^-98 relative plus the reduction's 2^-134 absolute.

func slowSin(rh, rl float64) float64 {
	h, l := slowSinDD(rh, rl)
	return h + l
}

func slowCos(rh, rl float64) float64 {
	h, l := slowCosDD(rh, rl)
	return h + l
}

// slowSinDD returns sin(rh+rl) as a normalized double-double.
func slowSinDD(rh, rl float64) (h, l float64) {
	zh, zl := ddMul(rh, rl, rh, rl)
	ah, al := sinCoef[len(sinCoef)-1][0], sinCoef[len(sinCoef)-1][1]
	for n := len(sinCoef) - 2; n >= 0; n-- {
		ah, al = ddMul(ah, al, zh, zl)
		ah, al = ddAdd(ah, al, sinCoef[n][0], sinCoef[n][1])
	}
	return ddMul(ah, al, rh, rl)
}

// slowCosDD returns cos(rh+rl) as a normalized double-double.
func slowCosDD(rh, rl float64) (h, l float64) {
	zh, zl := ddMul(rh, rl, rh, rl)
	ah, al := cosCoef[len(cosCoef)-1][0], cosCoef[len(cosCoef)-1][1]
	for n := len(cosCoef) - 2; n >= 0; n-- {
		ah, al = ddMul(ah, al, zh, zl)
		ah, al = ddAdd(ah, al, cosCoef[n][0], cosCoef[n][1])
	}
	return ah, al
}

// twoSum returns s = fl(a+b) and e with s + e = a + b exactly.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// fastTwoSum is twoSum for |a| ≥ |b| (or a = 0).
func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

// ddMul returns (ah+al)·(bh+bl) as a normalized double-double
// (relative error below 2^-103 for normalized inputs).
func ddMul(ah, al, bh, bl float64) (h, l float64) {
	p := float64(ah * bh)
	e := math.FMA(ah, bh, -p)
	e += ah*bl + al*bh
	return fastTwoSum(p, e)
}

// ddAdd returns (ah+al)+(bh+bl) as a normalized double-double; accurate to
// about 2^-104 relative when there is no cancellation, as in the Horner
// steps above, where |a| < |b|/4.
func ddAdd(ah, al, bh, bl float64) (h, l float64) {
	s, e := twoSum(ah, bh)
	e += al + bl
	return fastTwoSum(s, e)
}
