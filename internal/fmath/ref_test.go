package fmath

import (
	"math/big"
	"testing"
)

// The reference: sin and cos by their Taylor series in math/big at refPrec
// bits, after subtracting the nearest multiple of π/2 computed with a
// refPrec+64-bit π from Machin's formula. Slow (about 15 µs for both) but
// simple; the rounding to float64 is big.Float's, to nearest even.

const refPrec = 256

var refPi = machinPi(refPrec + 64)

// atanInv returns atan(1/n) = Σ (-1)^k / ((2k+1)·n^(2k+1)).
func atanInv(n int64, prec uint) *big.Float {
	sum := new(big.Float).SetPrec(prec)
	p := new(big.Float).SetPrec(prec).SetInt64(n)
	nn := new(big.Float).SetPrec(prec).SetInt64(n * n)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	t := new(big.Float).SetPrec(prec)
	for k := int64(0); ; k++ {
		t.Quo(one, p)
		t.Quo(t, new(big.Float).SetInt64(2*k+1))
		if t.MantExp(nil) < -int(prec)-8 {
			return sum
		}
		if k%2 == 0 {
			sum.Add(sum, t)
		} else {
			sum.Sub(sum, t)
		}
		p.Mul(p, nn)
	}
}

// machinPi returns π = 16·atan(1/5) - 4·atan(1/239).
func machinPi(prec uint) *big.Float {
	a := atanInv(5, prec)
	a.Mul(a, big.NewFloat(16))
	b := atanInv(239, prec)
	b.Mul(b, big.NewFloat(4))
	return a.Sub(a, b)
}

// refSinCos returns sin(x) and cos(x) with a relative error far below
// 2^-200 (for |x| < 2^40, say).
func refSinCos(x float64) (sin, cos *big.Float) {
	prec := uint(refPrec + 64)
	newF := func() *big.Float { return new(big.Float).SetPrec(prec) }
	X := newF().SetFloat64(x)
	halfPi := newF().Quo(refPi, big.NewFloat(2))
	q := newF().Quo(X, halfPi)
	if q.Sign() >= 0 { // round half away from zero
		q.Add(q, big.NewFloat(0.5))
	} else {
		q.Sub(q, big.NewFloat(0.5))
	}
	k, _ := q.Int(nil)
	r := newF().Mul(newF().SetInt(k), halfPi)
	r.Sub(X, r)
	s, c := newF().Set(r), newF().SetInt64(1)
	term := newF().Set(r) // r^n/n!
	div := newF()
	for n := int64(1); ; {
		for _, acc := range [2]*big.Float{c, s} {
			term.Mul(term, r)
			term.Quo(term, div.SetInt64(n+1))
			n++
			if term.Sign() == 0 || term.MantExp(nil) < -(refPrec+40) {
				goto done
			}
			if (n/2)%2 == 1 {
				acc.Sub(acc, term)
			} else {
				acc.Add(acc, term)
			}
		}
	}
done:
	switch new(big.Int).And(k, big.NewInt(3)).Int64() {
	case 0:
		return s, c
	case 1:
		return c, s.Neg(s)
	case 2:
		return s.Neg(s), c.Neg(c)
	default:
		return c.Neg(c), s
	}
}

// refRound returns the float64 nearest to v (ties to even).
func refRound(v *big.Float) float64 {
	f, _ := v.Float64()
	return f
}

// ulpsOff returns (y - v)/ulp(v), where ulp(v) = 2^(e-52) for
// 2^e ≤ |v| < 2^(e+1) (normal range).
func ulpsOff(y float64, v *big.Float) float64 {
	d := new(big.Float).SetPrec(refPrec).SetFloat64(y)
	d.Sub(d, v)
	d.SetMantExp(d, 53-v.MantExp(nil))
	f, _ := d.Float64()
	return f
}

// ddErr returns |hi+lo - v|/|v| and |hi+lo - v|/ulp(v) for the
// unevaluated sum hi+lo.
func ddErr(hi, lo float64, v *big.Float) (rel, ulps float64) {
	d := new(big.Float).SetPrec(refPrec).SetFloat64(hi)
	d.Add(d, new(big.Float).SetFloat64(lo))
	d.Sub(d, v)
	d.Abs(d)
	u := new(big.Float).SetMantExp(d, 53-v.MantExp(nil))
	ulps, _ = u.Float64()
	d.Quo(d, new(big.Float).Abs(v))
	rel, _ = d.Float64()
	return rel, ulps
}

func ddRel(hi, lo float64, v *big.Float) float64 {
	rel, _ := ddErr(hi, lo, v)
	return rel
}

func TestReferencePi(t *testing.T) {
	const digits = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"
	want, _, err := big.ParseFloat(digits, 10, refPrec+64, big.ToNearestEven)
	if err != nil {
		t.Fatal(err)
	}
	d := new(big.Float).Sub(refPi, want)
	if d.Sign() != 0 && d.MantExp(nil) > -330 {
		t.Fatalf("machinPi - π = %g", d)
	}
	// sin(π/6) = 1/2 and cos(π/3) = 1/2 through the reduction path.
	s, c := refSinCos(1)
	if v := refRound(s); v != 0.8414709848078965 {
		t.Errorf("ref sin(1) = %v", v)
	}
	if v := refRound(c); v != 0.5403023058681398 {
		t.Errorf("ref cos(1) = %v", v)
	}
	s, _ = refSinCos(1e5)
	if v := refRound(s); v != 0.03574879797201651 {
		t.Errorf("ref sin(1e5) = %v", v)
	}
}
