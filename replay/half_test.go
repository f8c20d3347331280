package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deepq/deepq/env"
)

// TestHalfStorageCartPole measures what float16 and bf16 storage do to
// CartPole's observations: the same 20,000 random-action steps go into a
// float32, a float16 and a bf16 buffer, the same batches are drawn from
// each, and every element is compared with the float32 one. Each is within
// one rounding of its format: 2⁻¹¹ (float16) or 2⁻⁸ (bf16) relative, or
// below float16's normal range (|x| < 2⁻¹⁴, which CartPole's elements near 0
// reach) half a subnormal step, 2⁻²⁵ absolute; and the frames take half the
// bytes. The figures are logged
// (go test -v) for replay/doc.go.
func TestHalfStorageCartPole(t *testing.T) {
	e, err := env.Make("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	e.Seed(5)
	const steps = 20_000
	bufs := map[Storage]*Buffer{}
	for _, s := range []Storage{Float32, Float16, BF16} {
		cfg := DefaultConfig(4)
		cfg.Capacity, cfg.Storage = steps+2000, s
		if bufs[s], err = New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	obs := slices.Clone(e.Reset())
	for range steps {
		next, r, term, trunc := e.Step(rng.IntN(2))
		for _, b := range bufs {
			b.Add(obs, 0, r, next, term, trunc)
		}
		if term || trunc {
			copy(obs, e.Reset())
		} else {
			copy(obs, next)
		}
	}
	f32 := DefaultConfig(4)
	for _, c := range []struct {
		s         Storage
		eps       float64 // relative bound of one rounding
		minNormal float64 // the least normal magnitude of the format
	}{{Float16, 0x1p-11, 0x1p-14}, {BF16, 0x1p-8, 0x1p-126}} {
		var worstRel, worstAbs [4]float64
		want, got := NewBatch(256, 4), NewBatch(256, 4)
		r1, r2 := rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9))
		n, tiny := 0, 0
		for range 200 {
			bufs[Float32].Sample(r1, want)
			bufs[c.s].Sample(r2, got)
			if !slices.Equal(want.Indices, got.Indices) {
				t.Fatal("the buffers sample different transitions")
			}
			ys := append(slices.Clone(got.Obs), got.NextObs...)
			for k, x := range append(slices.Clone(want.Obs), want.NextObs...) {
				y := ys[k]
				d := math.Abs(float64(y) - float64(x))
				j := k % 4
				worstAbs[j] = max(worstAbs[j], d)
				switch ax := math.Abs(float64(x)); {
				case ax >= c.minNormal:
					worstRel[j] = max(worstRel[j], d/ax)
				case d > c.minNormal*c.eps: // half a subnormal step
					t.Fatalf("%v: %v, below the normal range, stored as %v", c.s, x, y)
				default:
					tiny++
				}
				n++
			}
		}
		for j := range 4 {
			if worstRel[j] > c.eps {
				t.Errorf("%v: element %d off by %.3g relative, more than %.3g", c.s, j, worstRel[j], c.eps)
			}
		}
		if worstRel == [4]float64{} {
			t.Errorf("%v: no rounding at all: the storage is not in use", c.s)
		}
		cfg := f32
		cfg.Storage = c.s
		t.Logf("%v: %d elements of CartPole observations (%d below the normal range, within half a subnormal step): max relative error (x, ẋ, θ, θ̇) = %s (bound %.3g); max absolute %s; %d bytes per frame (float32 %d)",
			c.s, n, tiny, fmtAll(worstRel), c.eps, fmtAll(worstAbs), cfg.Storage.frameBytes(4), f32.Storage.frameBytes(4))
		if got, want := MemoryBytes(cfg), MemoryBytes(f32)-int64(f32.Capacity)*8; got != want {
			t.Errorf("%v: MemoryBytes %d, want %d (2 bytes less per element)", c.s, got, want)
		}
	}
}

func fmtAll(v [4]float64) string {
	return fmt.Sprintf("%.3g, %.3g, %.3g, %.3g", v[0], v[1], v[2], v[3])
}
