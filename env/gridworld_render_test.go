package env

import (
	"bytes"
	"image"
	"testing"
)

// TestGridWorldRenderCache: frames drawn over a cached background are the
// frames drawn afresh, at every step and when the size changes.
func TestGridWorldRenderCache(t *testing.T) {
	mk := func() Env {
		e, err := Make("gridworld:map=four-rooms")
		if err != nil {
			t.Fatal(err)
		}
		e.Seed(3)
		e.Reset()
		return e
	}
	cached := mk()
	r, _ := Find[Renderer](cached)
	var actions []int
	for i, size := range []image.Rectangle{
		image.Rect(0, 0, 352, 352), image.Rect(0, 0, 352, 352), image.Rect(0, 0, 200, 120), image.Rect(10, 20, 362, 372),
	} {
		a := i % 4
		actions = append(actions, a)
		cached.Step(a)
		got := image.NewRGBA(size)
		r.Render(got)
		// A new env taken through the same steps draws everything.
		fresh := mk()
		for _, a := range actions {
			fresh.Step(a)
		}
		want := image.NewRGBA(size)
		rf, _ := Find[Renderer](fresh)
		rf.Render(want)
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("frame %d (%v) over the cached map differs from a fresh render", i, size)
		}
	}
}
