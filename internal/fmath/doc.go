// Package fmath provides correctly rounded sine and cosine for the
// simulators, whose reference trajectories (Gymnasium's CartPole, Acrobot,
// MountainCar) were computed with glibc's libm. Go's math.Sin and math.Cos
// are faithful but miss the correctly rounded value for a few percent to a
// quarter of arguments, depending on function and range; in a chaotic system
// such as CartPole a one-ulp difference grows to 1e-5 within an episode.
//
// # Accuracy
//
// For |x| ≤ ReduceMax (2^20), Sin, Cos and Sincos return the float64 nearest
// to the exact value (ties cannot occur). The only possible exceptions are
// arguments whose exact sine or cosine lies within 2^-44 ulp of the midpoint
// between two float64s (2^-20 ulp if x is within 2^-24 of a multiple of π/2),
// where the error is still below 0.5 ulp plus that margin; none is known, and
// none occurred among 400,000 random values and the 40,914 of testdata,
// checked against a 256-bit math/big reference. Beyond ReduceMax they return
// math.Sin and math.Cos.
//
// glibc's sin and cos are NOT always correctly rounded: glibc 2.36 returns the
// other neighbour of the exact value (error between 0.5 and about 0.56 ulp)
// for 0.01–0.3% of arguments, depending on function and range (0.25% for sin
// on CartPole's |θ| < 0.21), and its FMA and SSE2 variants, picked at run
// time by CPU, differ from each other for about 0.06% of arguments. So these
// functions equal glibc bit for bit exactly where glibc is correctly rounded:
// 64 of the 40,914 values in testdata/glibc_sincos.txt differ, each one a
// glibc misrounding. Reproducing glibc everywhere would need its algorithm
// (sysdeps/ieee754/dbl-64/s_sin.c) and its FMA contractions.
//
// # Technique
//
// Arguments with |x| > π/4 are reduced by Cody–Waite: k = round(x·2/π),
// r = x - k·π/2 with π/2 split into three float64s, the products k·part
// computed exactly with math.FMA and the differences with TwoSum, giving r as
// a double-double rh+rl with an error below 2^-104·|r| + 2^-134. Then r = a + d
// with a = i/64 and |d| ≤ 1/128, and
//
//	sin(a+d) = sin a + cos a·d + [sin a·(cos d - 1) + cos a·(sin d - d)]
//	cos(a+d) = cos a - sin a·d + [cos a·(cos d - 1) - sin a·(sin d - d)]
//
// with sin a and cos a from a 52-entry table of double-doubles, the leading
// sum and product exact (TwoSum, FMA) and the bracket, under 2^-14 of the
// result, by short Taylor polynomials in float64. This fast path gives an
// unevaluated sum hi+lo within 2^-62 relative of the exact value (worst-case
// analysis about 2^-63.5, observed at most 2^-65.5). If rounding hi+lo±error
// gives two different float64s, which happens for about 0.3% of arguments,
// an accurate path evaluates the Taylor series of sin r or cos r to degree
// 29 entirely in double-double arithmetic (error below 2^-98) and rounds
// that. Sincos shares the reduction, the table lookup and both polynomials.
//
// Speed (busy 2-core AMD EPYC, GOAMD64=v1, medians): for |x| < 0.3, Sincos
// 15–18 ns (math.Sin plus math.Cos: 15 ns), Sin or Cos alone 11–12 ns
// (math: 6–7 ns); for |x| < 15, with the reduction, Sincos 25 ns and Sin or
// Cos 18 ns. Nothing allocates.
package fmath
