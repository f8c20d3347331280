package gifrec

import (
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"testing"
)

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func decode(t *testing.T, path string) *gif.GIF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRoundTrip(t *testing.T) {
	red, blue := color.RGBA{200, 10, 10, 255}, color.RGBA{10, 10, 200, 255}
	r := New(4, 3, 50) // 2/100 s a frame
	a := solid(4, 3, red)
	a.Set(1, 2, blue)
	for _, img := range []*image.RGBA{a, a, solid(4, 3, blue)} {
		if err := r.Add(img); err != nil {
			t.Fatal(err)
		}
	}
	r.Hold(50)
	path := filepath.Join(t.TempDir(), "x.gif")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	g := decode(t, path)
	if r.Frames() != 3 || len(g.Image) != 2 || r.Colors() != 2 {
		t.Fatalf("%d frames added, %d in the GIF, %d colours; want 3, 2 (a repeat merged), 2", r.Frames(), len(g.Image), r.Colors())
	}
	if g.Delay[0] != 4 || g.Delay[1] != 52 {
		t.Fatalf("delays %v, want [4 52]", g.Delay)
	}
	if got := color.RGBAModel.Convert(g.Image[0].At(1, 2)).(color.RGBA); got != blue {
		t.Fatalf("pixel (1,2) %v, want %v", got, blue)
	}
	if got := color.RGBAModel.Convert(g.Image[0].At(0, 0)).(color.RGBA); got != red {
		t.Fatalf("pixel (0,0) %v, want %v", got, red)
	}
}

// TestManyColours: past 256 colours, new ones map to the nearest entry.
func TestManyColours(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 300, 1))
	for x := range 300 {
		img.SetRGBA(x, 0, color.RGBA{uint8(x % 256), uint8(x / 256 * 100), 0, 255})
	}
	r := New(300, 1, 10)
	if err := r.Add(img); err != nil {
		t.Fatal(err)
	}
	if r.Colors() != 256 {
		t.Fatalf("%d colours, want 256", r.Colors())
	}
	path := filepath.Join(t.TempDir(), "c.gif")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	g := decode(t, path)
	// The palette holds the first 256 colours, (0..255, 0, 0); x = 299 is
	// (43, 100, 0), whose nearest entry is (43, 0, 0).
	got := color.RGBAModel.Convert(g.Image[0].At(299, 0)).(color.RGBA)
	if got != (color.RGBA{43, 0, 0, 255}) {
		t.Fatalf("pixel 299 %v: want (43, 0, 0), the nearest entry to (43, 100, 0)", got)
	}
}

func TestWriteFailureKeepsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keep.gif")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := New(2, 2, 10).Write(path); err == nil {
		t.Fatal("writing a recorder without frames should fail")
	}
	r := New(2, 2, 10)
	r.Add(solid(2, 2, color.RGBA{1, 2, 3, 255}))
	if err := r.Write(filepath.Join(dir, "missing", "x.gif")); err == nil {
		t.Fatal("writing into a missing directory should fail")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("existing file changed to %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files left in the directory, want only keep.gif", len(entries))
	}
}

func TestSubImage(t *testing.T) {
	big := solid(10, 10, color.RGBA{9, 9, 9, 255})
	big.SetRGBA(5, 5, color.RGBA{255, 255, 255, 255})
	sub := big.SubImage(image.Rect(4, 4, 7, 7)).(*image.RGBA)
	r := New(3, 3, 10)
	r.Add(sub)
	path := filepath.Join(t.TempDir(), "s.gif")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	g := decode(t, path)
	if got := color.RGBAModel.Convert(g.Image[0].At(1, 1)).(color.RGBA); got.R != 255 {
		t.Fatalf("centre pixel %v, want white", got)
	}
}
