// Package half converts float32 to and from the two 16-bit float formats
// deepq stores observations and weights in when memory is the limit:
//
//	float16 (IEEE 754 binary16): 1 sign, 5 exponent, 10 fraction bits;
//	        11 significant bits, normal range 6.1·10⁻⁵ … 65504, subnormals
//	        down to 6.0·10⁻⁸.
//	bf16 (bfloat16): the upper half of a float32: 1 sign, 8 exponent, 7
//	        fraction bits; 8 significant bits, float32's range.
//
// Encoding rounds to nearest, ties to even, keeps the sign of zero,
// infinities and NaN (made quiet), and keeps subnormals of either format
// (unlike the bf16 GEMM kernels, which flush them). Decoding is exact.
//
// Error of one rounding: |x̃ − x| ≤ 2⁻¹¹·|x| for float16 in its normal range
// (and ≤ 2⁻²⁵ absolute below it), |x̃ − x| ≤ 2⁻⁸·|x| for bf16 at any normal
// float32. Finite values beyond a format's largest (65504 for float16,
// about 3.39·10³⁸ for bf16) round to ±Inf; the Fits functions say whether a
// value stays finite.
package half

import "math"

// F16Bits returns the float16 encoding of x rounded to nearest, ties to even.
func F16Bits(x float32) uint16 {
	b := math.Float32bits(x)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	frac := b & 0x7fffff
	switch {
	case exp == 0xff && frac != 0: // NaN: quiet, with the payload's top bits
		return sign | 0x7e00 | uint16(frac>>13)
	case exp == 0xff:
		return sign | 0x7c00
	}
	// x = m·2^(e−23) with the implicit bit in m (m < 2²⁴); float16 keeps the
	// multiples of 2^(E−10) at exponent E ≥ −14, of 2⁻²⁴ below.
	e := exp - 127
	m := frac
	if exp == 0 {
		e = -126
	} else {
		m |= 1 << 23
	}
	shift := 13 // from 23 fraction bits to 10
	if e < -14 {
		shift += -14 - e // subnormal float16: fewer bits
		if shift > 25 {
			return sign // below half the smallest subnormal: ±0
		}
	}
	q := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	if e < -14 {
		// q counts subnormal steps of 2⁻²⁴; a carry into 1024 is the
		// smallest normal, which the same bit pattern encodes.
		return sign | uint16(q)
	}
	// q holds the implicit bit at 1<<10; a rounding carry to 1<<11 bumps the
	// exponent, which adding the bits does.
	eb := e + 15
	if eb >= 31 || eb == 30 && q >= 1<<11 {
		return sign | 0x7c00
	}
	return sign | (uint16(eb-1)<<10 + uint16(q))
}

// F16 returns the float32 value of the float16 encoding h (exact).
func F16(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0: // zero, subnormal: frac·2⁻²⁴
		v := float32(frac) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(v))
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// F16Round returns x rounded to float16, as float32.
func F16Round(x float32) float32 { return F16(F16Bits(x)) }

// F16Fits reports whether x is NaN, infinite, or finite with a finite
// float16 rounding (|x| < 65520).
func F16Fits(x float32) bool {
	return !(math.Abs(float64(x)) < math.Inf(1)) || !math.IsInf(float64(F16Round(x)), 0)
}

// BF16Bits returns the bfloat16 encoding of x rounded to nearest, ties to
// even: the upper 16 bits of the rounded float32.
func BF16Bits(x float32) uint16 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep sign and payload top, quiet
		return uint16(b>>16) | 0x0040
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BF16 returns the float32 value of the bfloat16 encoding h (exact).
func BF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// BF16Round returns x rounded to bfloat16, as float32.
func BF16Round(x float32) float32 { return BF16(BF16Bits(x)) }

// BF16Fits reports whether x is NaN, infinite, or finite with a finite
// bfloat16 rounding.
func BF16Fits(x float32) bool {
	return !(math.Abs(float64(x)) < math.Inf(1)) || !math.IsInf(float64(BF16Round(x)), 0)
}
