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
func (g *GridWorld) Render(img *image.RGBA) {
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
	r, k := g.Pos()
	cv.circle(gridAgentColor, float64(k)+0.5, float64(r)+0.5, 0.35)
}
