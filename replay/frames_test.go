package replay

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFramesRoundTrip stores random frames of each storage, including sizes
// that leave a partial byte of bits, and reads them back exactly; equal
// tells a stored frame from one that differs in a single element.
func TestFramesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, kind := range []Storage{Float32, Uint8, Bits} {
		for _, size := range []int{1, 7, 8, 9, 100, 7056} {
			f := newFrames(kind, size, 3)
			if got, want := int64(len(f.f32)*4+len(f.u8)), 3*kind.frameBytes(size); got != want {
				t.Fatalf("%v×%d: %d bytes for 3 frames, want %d", kind, size, got, want)
			}
			src := make([][]float32, 3)
			for i := range src {
				src[i] = make([]float32, size)
				for j := range src[i] {
					switch kind {
					case Float32:
						src[i][j] = float32(rng.NormFloat64())
					case Uint8:
						src[i][j] = float32(rng.IntN(256))
					case Bits:
						src[i][j] = float32(rng.IntN(2))
					}
				}
				f.put(i, src[i])
			}
			dst := make([]float32, size)
			for i := range src {
				f.get(i, dst)
				if !slices.Equal(dst, src[i]) {
					t.Fatalf("%v×%d: frame %d read back as %v, stored %v", kind, size, i, brief(dst), brief(src[i]))
				}
				if !f.equal(i, src[i]) {
					t.Fatalf("%v×%d: frame %d not equal to itself", kind, size, i)
				}
				other := slices.Clone(src[i])
				j := rng.IntN(size)
				if other[j] == 0 {
					other[j] = 1
				} else {
					other[j] = 0
				}
				if f.equal(i, other) {
					t.Fatalf("%v×%d: frame %d equal to one differing in element %d", kind, size, i, j)
				}
			}
			if kind == Bits && size%8 != 0 {
				for i := range 3 {
					if last := f.u8[(i+1)*f.stride-1]; last>>(size%8) != 0 {
						t.Fatalf("bits×%d: unused bits set in %08b", size, last)
					}
				}
			}
		}
	}
}

// TestFramesRefuse: values a storage cannot hold exactly panic; float32
// holds anything, NaN included, bit for bit.
func TestFramesRefuse(t *testing.T) {
	for _, c := range []struct {
		kind Storage
		v    float32
	}{
		{Uint8, -1}, {Uint8, 256}, {Uint8, 0.5}, {Uint8, float32(math.NaN())}, {Uint8, float32(math.Inf(1))}, {Uint8, 1e10},
		{Bits, 2}, {Bits, -1}, {Bits, 0.5}, {Bits, float32(math.NaN())}, {Bits, 255},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v accepted %v", c.kind, c.v)
				}
			}()
			newFrames(c.kind, 3, 1).put(0, []float32{0, c.v, 1})
		}()
	}
	f := newFrames(Float32, 2, 1)
	nan := []float32{float32(math.NaN()), float32(math.Copysign(0, -1))}
	f.put(0, nan)
	if !f.equal(0, nan) || f.equal(0, []float32{nan[0], 0}) {
		t.Error("float32 frames must compare bit for bit")
	}
}
