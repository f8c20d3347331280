package env

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// checkGolden compares img with the PNG testdata/name, or rewrites that file
// with -update. Anti-aliasing may round differently where the rasterizer's
// assembly is not used, so a channel may differ by a few levels at a few
// pixels; anything more is a failure.
func checkGolden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s: frame is %v, golden %v", path, img.Bounds(), want.Bounds())
	}
	const maxDelta, maxFraction = 8, 0.002
	differ, worst := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := want.At(x, y).RGBA()
			c := img.RGBAAt(x, y)
			d := max(absDiff(int(r>>8), int(c.R)), absDiff(int(g>>8), int(c.G)), absDiff(int(bl>>8), int(c.B)), absDiff(int(a>>8), int(c.A)))
			if d > 0 {
				differ++
				worst = max(worst, d)
			}
		}
	}
	if worst > maxDelta || float64(differ) > maxFraction*float64(b.Dx()*b.Dy()) {
		t.Fatalf("%s: %d pixels differ, by up to %d levels (run go test -update to accept the new frame)", path, differ, worst)
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}
