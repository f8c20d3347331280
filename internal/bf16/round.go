package bf16

import "math"

// Round returns x rounded to bfloat16 (8 significant bits: float32's sign
// and exponent, the top 7 bits of its fraction) and widened back to
// float32, as the conversions of the bf16 kernels (VCVTNE2PS2BF16) do it:
//
//   - round to nearest, ties to even;
//   - subnormal inputs become zero of the same sign;
//   - NaNs stay NaN (made quiet), infinities stay infinite, and finite
//     values above the largest bf16 (≈ 3.39·10³⁸) round to ±Inf.
//
// For normal x the relative error is at most 2⁻⁸ (half a unit in the 8th
// bit): |Round(x) − x| ≤ 2⁻⁸·|x|.
func Round(x float32) float32 { return math.Float32frombits(uint32(Bits(x)) << 16) }

// Bits returns the bfloat16 encoding of Round(x): the upper 16 bits of the
// float32 Round(x).
func Bits(x float32) uint16 {
	b := math.Float32bits(x)
	switch {
	case b&0x7f800000 == 0: // zero or subnormal
		return uint16(b>>16) & 0x8000
	case b&0x7fffffff > 0x7f800000: // NaN: keep sign and payload top, quiet
		return uint16(b>>16) | 0x0040
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// roundInto writes dst(i, j) = Round(src(i, j)) for a rows×cols matrix,
// src with leading dimension lds, dst dense (leading dimension cols).
func roundInto(rows, cols int, src []float32, lds int, dst []float32) {
	for i := range rows {
		s, d := src[i*lds:i*lds+cols], dst[i*cols:(i+1)*cols]
		for j, v := range s {
			d[j] = Round(v)
		}
	}
}
