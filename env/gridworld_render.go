package env

import (
	"image"
	"image/color"
)

var (
	_ Renderer    = (*GridWorld)(nil)
	_ RenderSizer = (*GridWorld)(nil)
)

// GridWorld's colours.
var (
	gridFreeColor  = color.RGBA{236, 236, 236, 255}
	gridWallColor  = color.RGBA{64, 64, 72, 255}
	gridGoalColor  = color.RGBA{46, 160, 67, 255}
	gridPitColor   = color.RGBA{222, 84, 30, 255}
	gridStartColor = color.RGBA{200, 214, 240, 255}
	gridLineColor  = color.RGBA{200, 200, 200, 255}
	gridAgentColor = color.RGBA{33, 90, 214, 255}
)

// RenderSize is 32 pixels a cell, shrunk to fit 640×640.
func (g *GridWorld) RenderSize() (int, int) {
	m := g.cfg.Map
	cell := max(4, min(32, 640/max(m.Rows, m.Cols)))
	return m.Cols * cell, m.Rows * cell
}

// Render draws the cells (free light grey, start light blue, walls dark grey,
// goals green, lava orange) with thin grid lines, and the agent as a blue disc.
// The map does not change, so the cells and lines are drawn once per image
// size and copied after (the live window renders many frames a second).
func (g *GridWorld) Render(img *image.RGBA) {
	b := img.Bounds()
	if g.background == nil || g.background.Rect != b {
		g.background = image.NewRGBA(b)
		g.renderMap(g.background)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i, j := img.PixOffset(b.Min.X, y), g.background.PixOffset(b.Min.X, y)
		copy(img.Pix[i:i+4*b.Dx()], g.background.Pix[j:j+4*b.Dx()])
	}
	m := g.cfg.Map
	cv := fitCanvas(img, float64(m.Cols), float64(m.Rows))
	r, k := g.Pos()
	cv.circle(gridAgentColor, float64(k)+0.5, float64(r)+0.5, 0.35)
}

// renderMap draws the cells and grid lines.
func (g *GridWorld) renderMap(img *image.RGBA) {
	m := g.cfg.Map
	cv := newCanvas(img, float64(m.Cols), float64(m.Rows), white)
	for i, c := range m.Cells {
		col := gridFreeColor
		switch {
		case c == Wall:
			col = gridWallColor
		case c == Goal:
			col = gridGoalColor
		case c == Pit:
			col = gridPitColor
		case i == m.Start:
			col = gridStartColor
		}
		r, k := float64(i/m.Cols), float64(i%m.Cols)
		cv.rect(col, k, r, k+1, r+1)
	}
	line := 1 / cv.scale // one pixel
	for r := 0; r <= m.Rows; r++ {
		cv.segment(gridLineColor, line, 0, float64(r), float64(m.Cols), float64(r))
	}
	for k := 0; k <= m.Cols; k++ {
		cv.segment(gridLineColor, line, float64(k), 0, float64(k), float64(m.Rows))
	}
}
