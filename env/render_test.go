package env

import (
	"image"
	"image/color"
	"testing"
)

// TestRenderGolden renders each env's first frame after Seed(0) and Reset at
// its natural size and compares it with testdata/render_NAME.png.
func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct{ name, env string }{
		{"cartpole", "cartpole"},
		{"mountaincar", "mountaincar"},
		{"acrobot", "acrobot"},
		{"gridworld", "gridworld:map=four-rooms"},
		{"gridworld_maze", "gridworld:map=maze-8x8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Make(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			e.Seed(0)
			e.Reset()
			r, ok := Find[Renderer](e)
			if !ok {
				t.Fatal("not a Renderer")
			}
			w, h := RenderSize(e)
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			r.Render(img)
			checkGolden(t, "render_"+tc.name+".png", img)
		})
	}
}

// TestRenderFillsAnySize renders into odd sizes and offset rectangles: every
// pixel must be painted (no transparent pixel left) and nothing drawn outside.
func TestRenderFillsAnySize(t *testing.T) {
	for _, name := range []string{"cartpole", "mountaincar", "acrobot", "gridworld:map=cliff"} {
		e := must(Make(name))
		e.Reset()
		r, _ := Find[Renderer](e)
		for _, rect := range []image.Rectangle{image.Rect(0, 0, 64, 48), image.Rect(10, 20, 211, 91), image.Rect(0, 0, 1, 1)} {
			outer := image.NewRGBA(rect.Inset(-3))
			img := outer.SubImage(rect).(*image.RGBA)
			r.Render(img)
			b := outer.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					in := image.Pt(x, y).In(rect)
					if c := outer.RGBAAt(x, y); in && c.A != 255 || !in && c != (color.RGBA{}) {
						t.Fatalf("%s in %v: pixel (%d, %d) = %v", name, rect, x, y, c)
					}
				}
			}
		}
	}
}

// TestRenderShowsState checks that the drawing follows the state: the cart's
// black pixels move right with x, and the agent's blue moves with the agent.
func TestRenderShowsState(t *testing.T) {
	meanX := func(img *image.RGBA, want func(color.RGBA) bool) float64 {
		sum, n := 0, 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if want(img.RGBAAt(x, y)) {
					sum += x
					n++
				}
			}
		}
		if n == 0 {
			t.Fatal("no pixel of the colour")
		}
		return float64(sum) / float64(n)
	}
	cp := NewCartPole()
	img := image.NewRGBA(image.Rect(0, 0, 600, 400))
	isCart := func(c color.RGBA) bool { return c == black }
	cp.SetState([4]float64{-1, 0, 0, 0})
	cp.Render(img)
	left := meanX(img, isCart)
	cp.SetState([4]float64{1, 0, 0, 0})
	cp.Render(img)
	right := meanX(img, isCart)
	// 2 m at 125 px/m, diluted by the track line's fixed pixels.
	if right-left < 100 {
		t.Fatalf("cart moved %v px for 2 m", right-left)
	}
	g := Unwrapped(must(Make("gridworld:map=open-5x5"))).(*GridWorld)
	g.Reset()
	img = image.NewRGBA(image.Rect(0, 0, 160, 160))
	isAgent := func(c color.RGBA) bool { return c == gridAgentColor }
	g.Render(img)
	x0 := meanX(img, isAgent)
	g.Step(1)
	g.Render(img)
	if d := meanX(img, isAgent) - x0; d < 31 || d > 33 {
		t.Fatalf("agent moved %v px for one 32 px cell", d)
	}
}
