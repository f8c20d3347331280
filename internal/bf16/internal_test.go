package bf16

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specials are float32 inputs whose rounding is easy to get wrong: ties
// (to even, both ways), the largest finite values (overflow to Inf),
// subnormals (flushed to zero), NaNs (kept, quiet), signed zeros.
func specials() []float32 {
	f := math.Float32frombits
	return []float32{
		0, float32(math.Copysign(0, -1)), 1, -1, 1.5,
		f(0x3f808000), f(0x3f818000), f(0x3f808001), f(0x3f807fff), // ties to even down and up, just above, just below
		f(0xbf808000), f(0xbf818000),
		math.MaxFloat32, -math.MaxFloat32, f(0x7f7f7fff), f(0x7f7f8000),
		f(1), f(0x807fffff), f(0x00800000), f(0x00800000 | 0x8000),
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), f(0x7f800001), f(0xff812345),
		1e-30, 3.14159, -2.71828, 65504, 1e30,
	}
}

// TestRound checks Round against its definition on the special values and
// on random ones: the result has a bf16 encoding, is one of the two bf16
// neighbours of x, is the nearer one (ties to even), within 2⁻⁸·|x|.
func TestRound(t *testing.T) {
	want := map[uint32]uint16{
		0x3f808000: 0x3f80, 0x3f818000: 0x3f82, 0x3f808001: 0x3f81, 0x3f807fff: 0x3f80,
		0x7f7fffff: 0x7f80, 0x7f7f7fff: 0x7f7f, 0x7f7f8000: 0x7f80, // 7f7f is odd: the tie goes up to Inf
		0x00000001: 0x0000, 0x807fffff: 0x8000, 0x00800000: 0x0080, 0x00808000: 0x0080,
		0x7f800000: 0x7f80, 0xff800000: 0xff80, 0x7f800001: 0x7fc0, 0xff812345: 0xffc1,
	}
	for _, x := range specials() {
		b := math.Float32bits(x)
		got := Bits(x)
		if w, ok := want[b]; ok && got != w {
			t.Errorf("Bits(%#08x) = %#04x, want %#04x", b, got, w)
		}
		if math.IsNaN(float64(x)) != math.IsNaN(float64(Round(x))) {
			t.Errorf("Round(%#08x) = %v: NaN-ness changed", b, Round(x))
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		x := float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*10))
		r := Round(x)
		if math.Float32bits(r)&0xffff != 0 {
			t.Fatalf("Round(%v) = %v has low bits set", x, r)
		}
		lo := math.Float32frombits(math.Float32bits(x) &^ 0xffff)
		hi := math.Float32frombits(math.Float32bits(lo) + 0x10000)
		if r != lo && r != hi {
			t.Fatalf("Round(%v) = %v, not a neighbour (%v, %v)", x, r, lo, hi)
		}
		dr, do := math.Abs(float64(r)-float64(x)), math.Abs(float64(lo+hi-r)-float64(x))
		if dr > do || dr > 0x1p-8*math.Abs(float64(x)) {
			t.Fatalf("Round(%v) = %v is not the nearest (other %v) or off by more than 2⁻⁸", x, r, lo+hi-r)
		}
	}
}
