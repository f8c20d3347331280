// Package gifrec turns RGBA frames into an animated GIF: `deepq play --gif`
// and the live window's recordings (key R) share it.
//
// A Recorder keeps its frames in memory as paletted images (one byte a
// pixel) until Write encodes them, so a failed write leaves nothing behind and
// an existing file is replaced only by a complete one.
package gifrec

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"slices"

	"github.com/deepq/deepq/internal/atomicfile"
)

// MaxPixels bounds the frames a Recorder holds (one byte a pixel): 1 GiB,
// about 4,400 frames of 600×400.
const MaxPixels = 1 << 30

// Recorder turns RGBA frames into paletted GIF frames sharing one palette
// that grows with the colours the frames use: each new colour gets an entry
// while there are fewer than 256, later ones map to the nearest entry. A frame
// identical to the one before lengthens that one's delay instead.
type Recorder struct {
	g       gif.GIF
	w, h    int
	delay   int // per frame, in 1/100 s
	palette color.Palette
	index   map[color.RGBA]uint8
	frames  int
	pixels  int
}

// New returns a recorder of w×h frames played back at fps frames a second
// (30 if fps ≤ 0). GIF delays are whole hundredths of a second of at least
// 2, so rates above 50 fps play at 50.
func New(w, h, fps int) *Recorder {
	if fps <= 0 {
		fps = 30
	}
	return &Recorder{w: w, h: h, delay: max(2, (100+fps/2)/fps), index: map[color.RGBA]uint8{}}
}

// Frames returns the number of frames added, repeats included.
func (g *Recorder) Frames() int { return g.frames }

// Colors returns the number of palette entries in use.
func (g *Recorder) Colors() int { return len(g.palette) }

// Size returns the frame size.
func (g *Recorder) Size() (w, h int) { return g.w, g.h }

func (g *Recorder) lookup(c color.RGBA) uint8 {
	if i, ok := g.index[c]; ok {
		return i
	}
	var i uint8
	if len(g.palette) < 256 {
		i = uint8(len(g.palette))
		g.palette = append(g.palette, c)
	} else {
		i = uint8(g.palette.Index(c))
	}
	g.index[c] = i
	return i
}

// Add appends img, whose top-left w×h pixels (from its bounds' minimum) are
// the frame; it panics if img is smaller. It fails once the frames would
// exceed MaxPixels.
func (g *Recorder) Add(img *image.RGBA) error {
	b := img.Bounds()
	if b.Dx() < g.w || b.Dy() < g.h {
		panic(fmt.Sprintf("gifrec: %dx%d image for %dx%d frames", b.Dx(), b.Dy(), g.w, g.h))
	}
	g.frames++
	p := image.NewPaletted(image.Rect(0, 0, g.w, g.h), nil)
	prev, pi := color.RGBA{}, uint8(0) // alpha 0: never a frame's colour
	for y := range g.h {
		o := img.PixOffset(b.Min.X, b.Min.Y+y)
		row := img.Pix[o : o+4*g.w]
		for x := range g.w {
			// Runs of one colour are common: look up only where it changes.
			if c := (color.RGBA{row[4*x], row[4*x+1], row[4*x+2], 255}); c != prev {
				prev, pi = c, g.lookup(c)
			}
			p.Pix[y*p.Stride+x] = pi
		}
	}
	if n := len(g.g.Image); n > 0 && slices.Equal(g.g.Image[n-1].Pix, p.Pix) {
		g.g.Delay[n-1] += g.delay
		return nil
	}
	if g.pixels+g.w*g.h > MaxPixels {
		return fmt.Errorf("the GIF would exceed %d MiB of frames; record fewer or smaller frames", MaxPixels>>20)
	}
	g.pixels += g.w * g.h
	g.g.Image = append(g.g.Image, p)
	g.g.Delay = append(g.g.Delay, g.delay)
	return nil
}

// Hold lengthens the last frame by cs hundredths of a second.
func (g *Recorder) Hold(cs int) {
	if n := len(g.g.Delay); n > 0 {
		g.g.Delay[n-1] += cs
	}
}

// Write encodes the GIF to path through a temporary file in the same
// directory, so that a failure leaves any existing file untouched. A recorder
// without frames is an error.
func (g *Recorder) Write(path string) (err error) {
	if len(g.g.Image) == 0 {
		return fmt.Errorf("writing %s: no frames recorded", path)
	}
	for _, p := range g.g.Image {
		p.Palette = g.palette
	}
	g.g.Config = image.Config{ColorModel: g.palette, Width: g.w, Height: g.h}
	return atomicfile.WriteFile(path, func(w io.Writer) error { return gif.EncodeAll(w, &g.g) })
}
