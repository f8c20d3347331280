package viz

import (
	"image"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// glyphCache is a font.Face that rasterizes each glyph once: the HUD draws
// the same few dozen glyphs at every frame, and rasterizing them is most of
// its cost. Glyphs are cached per rune and sub-pixel offset of the dot.
type glyphCache struct {
	font.Face
	glyphs map[glyphKey]*glyph
}

type glyphKey struct {
	r      rune
	dx, dy fixed.Int26_6 // the dot's sub-pixel offset
}

type glyph struct {
	dr      image.Rectangle // relative to the dot's integer point
	mask    *image.Alpha
	advance fixed.Int26_6
	ok      bool
}

func newGlyphCache(f font.Face) *glyphCache {
	return &glyphCache{Face: f, glyphs: map[glyphKey]*glyph{}}
}

// Glyph implements font.Face.
func (c *glyphCache) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	k := glyphKey{r, dot.X & 63, dot.Y & 63}
	at := image.Pt(dot.X.Floor(), dot.Y.Floor())
	g, ok := c.glyphs[k]
	if !ok {
		g = &glyph{}
		dr, mask, mp, adv, ok := c.Face.Glyph(fixed.Point26_6{X: k.dx, Y: k.dy}, r)
		g.advance, g.ok = adv, ok
		if ok {
			g.dr = dr
			g.mask = image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
			draw.Draw(g.mask, g.mask.Bounds(), mask, mp, draw.Src)
		}
		c.glyphs[k] = g
	}
	if !g.ok {
		return image.Rectangle{}, nil, image.Point{}, g.advance, false
	}
	return g.dr.Add(at), g.mask, image.Point{}, g.advance, true
}
