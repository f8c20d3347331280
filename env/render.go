package env

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/vector"
)

// RenderSizer is implemented by renderers that have a natural frame size (the
// size of Gymnasium's window for the classic-control envs).
type RenderSizer interface {
	RenderSize() (width, height int)
}

// RenderSize returns the natural frame size of e's renderer, or 400×400.
func RenderSize(e Env) (width, height int) {
	if s, ok := Find[RenderSizer](e); ok {
		return s.RenderSize()
	}
	return 400, 400
}

// canvas draws anti-aliased shapes in a world frame of W×H units (x right, y
// down, as Gymnasium's pygame surfaces after their final flip) scaled
// uniformly to fit an image and centred in it.
type canvas struct {
	img    *image.RGBA
	scale  float64 // pixels per unit
	ox, oy float64 // pixel position of the world origin, in image coordinates
	z      vector.Rasterizer
}

// newCanvas fills img with bg and maps a w×h world onto it.
func newCanvas(img *image.RGBA, w, h float64, bg color.RGBA) *canvas {
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	return fitCanvas(img, w, h)
}

// fitCanvas maps a w×h world onto img, as newCanvas, without drawing.
func fitCanvas(img *image.RGBA, w, h float64) *canvas {
	b := img.Bounds()
	s := math.Min(float64(b.Dx())/w, float64(b.Dy())/h)
	return &canvas{
		img:   img,
		scale: s,
		ox:    float64(b.Min.X) + (float64(b.Dx())-s*w)/2,
		oy:    float64(b.Min.Y) + (float64(b.Dy())-s*h)/2,
	}
}

// px maps world coordinates to pixel coordinates of the image.
func (c *canvas) px(x, y float64) [2]float64 {
	return [2]float64{c.ox + x*c.scale, c.oy + y*c.scale}
}

// fillPath rasterizes the closed path that path draws (in pixel coordinates,
// within the bounding box of pts) and fills it with col. Only the bounding box,
// clipped to the image, is rasterized.
func (c *canvas) fillPath(col color.RGBA, pts [][2]float64, path func(move, line func(p [2]float64), cube func(a, b, p [2]float64))) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x0, y0 = math.Min(x0, p[0]), math.Min(y0, p[1])
		x1, y1 = math.Max(x1, p[0]), math.Max(y1, p[1])
	}
	box := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(c.img.Bounds())
	if box.Empty() {
		return
	}
	c.z.Reset(box.Dx(), box.Dy())
	rel := func(p [2]float64) (float32, float32) {
		return float32(p[0] - float64(box.Min.X)), float32(p[1] - float64(box.Min.Y))
	}
	path(func(p [2]float64) { c.z.MoveTo(rel(p)) }, func(p [2]float64) { c.z.LineTo(rel(p)) },
		func(a, b, p [2]float64) {
			ax, ay := rel(a)
			bx, by := rel(b)
			px, py := rel(p)
			c.z.CubeTo(ax, ay, bx, by, px, py)
		})
	c.z.ClosePath()
	c.z.Draw(c.img, box, image.NewUniform(col), image.Point{})
}

// polygon fills the polygon with vertices pts (world units).
func (c *canvas) polygon(col color.RGBA, pts ...[2]float64) {
	if len(pts) < 3 {
		return
	}
	px := make([][2]float64, len(pts))
	for i, p := range pts {
		px[i] = c.px(p[0], p[1])
	}
	c.fillPath(col, px, func(move, line func([2]float64), _ func(a, b, p [2]float64)) {
		move(px[0])
		for _, p := range px[1:] {
			line(p)
		}
	})
}

// rect fills the axis-aligned rectangle [x0, x1]×[y0, y1].
func (c *canvas) rect(col color.RGBA, x0, y0, x1, y1 float64) {
	c.polygon(col, [2]float64{x0, y0}, [2]float64{x1, y0}, [2]float64{x1, y1}, [2]float64{x0, y1})
}

// segment fills a bar of the given width from (x0, y0) to (x1, y1), square-ended.
func (c *canvas) segment(col color.RGBA, width, x0, y0, x1, y1 float64) {
	dx, dy := x1-x0, y1-y0
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*width/2, dx/l*width/2
	c.polygon(col, [2]float64{x0 + nx, y0 + ny}, [2]float64{x1 + nx, y1 + ny},
		[2]float64{x1 - nx, y1 - ny}, [2]float64{x0 - nx, y0 - ny})
}

// polyline draws connected segments of the given width.
func (c *canvas) polyline(col color.RGBA, width float64, pts [][2]float64) {
	for i := 1; i < len(pts); i++ {
		c.segment(col, width, pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1])
	}
}

// circle fills a disc of radius r centred on (x, y), drawn as four cubic
// Bézier arcs.
func (c *canvas) circle(col color.RGBA, x, y, r float64) {
	const k = 0.5522847498307936 // 4/3·(√2 − 1): control distance of a quarter arc
	pt := func(dx, dy float64) [2]float64 { return c.px(x+dx*r, y+dy*r) }
	c.fillPath(col, [][2]float64{pt(-1, -1), pt(1, 1)}, func(move, _ func([2]float64), cube func(a, b, p [2]float64)) {
		move(pt(1, 0))
		for _, q := range [4][6]float64{
			{1, k, k, 1, 0, 1}, {-k, 1, -1, k, -1, 0}, {-1, -k, -k, -1, 0, -1}, {k, -1, 1, -k, 1, 0},
		} {
			cube(pt(q[0], q[1]), pt(q[2], q[3]), pt(q[4], q[5]))
		}
	})
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)
