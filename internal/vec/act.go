package vec

import "math"

// The LSTM's float32 cells spend most of their time in σ and tanh. These
// compute in float64 from one exponential, e^−y for y ≥ 0, by a range
// reduction and a degree-8 Taylor polynomial (relative error below 3e-10, far
// under float32's 6e-8 ulp) instead of math.Exp's full float64 accuracy and
// special cases, and round once to float32. Sigmoid and Tanh apply them to
// slices, 16 values at a time in AVX-512 (8 float64 lanes per half) with the
// very operations of the scalar versions, so both give the same bits.

const (
	log2e = 1.4426950408889634073599 // 1/ln 2
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// expNeg returns e^−y for y ≥ 0 (and 0 for y > 708, +Inf or NaN): with
// y = n·ln2 + r, |r| ≤ ln2/2, e^−y = 2^−n · e^−r.
func expNeg(y float64) float64 {
	if !(y <= 708) {
		return 0
	}
	n := int(y*log2e + 0.5)
	z := -(y - float64(n)*ln2Hi - float64(n)*ln2Lo)
	// Estrin's scheme: a shorter dependency chain than Horner's.
	z2 := z * z
	z4 := z2 * z2
	p := (1 + z) + z2*(1./2+z*(1./6)) + z4*((1./24+z*(1./120))+z2*(1./720+z*(1./5040))+z4*(1./40320))
	return p * math.Float64frombits(uint64(1023-n)<<52)
}

// Sigmoid32 is σ(x) = 1/(1+e⁻ˣ) for float32, NaN for NaN.
func Sigmoid32(x float32) float32 {
	v := float64(x)
	if v >= 0 {
		return float32(1 / (1 + expNeg(v)))
	}
	if v != v {
		return x
	}
	e := expNeg(-v)
	return float32(e / (1 + e))
}

// Tanh32 is tanh(x) for float32: an odd Taylor polynomial for |x| < 1/16,
// (1 − e^−2|x|)/(1 + e^−2|x|) with x's sign beyond; NaN for NaN.
func Tanh32(x float32) float32 {
	v := float64(x)
	a := math.Abs(v)
	var t float64
	switch {
	case a < 1./16:
		s := a * a
		t = a * (1 + s*(-1./3+s*(2./15+s*(-17./315+s*(62./2835)))))
	case a <= 708:
		e := expNeg(2 * a)
		t = (1 - e) / (1 + e)
	case a > 708:
		t = 1
	default:
		return x // NaN
	}
	return float32(math.Copysign(t, v))
}

// Sigmoid sets dst[i] = Sigmoid32(src[i]) for i < len(src); dst may be src.
func Sigmoid(dst, src []float32) {
	dst = dst[:len(src)]
	if useAsm && len(src) > 0 {
		sigmoidAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, v := range src {
		dst[i] = Sigmoid32(v)
	}
}

// Tanh sets dst[i] = Tanh32(src[i]) for i < len(src); dst may be src.
func Tanh(dst, src []float32) {
	dst = dst[:len(src)]
	if useAsm && len(src) > 0 {
		tanhAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, v := range src {
		dst[i] = Tanh32(v)
	}
}
