package dashboards

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// renderedPanels are the dashboard panels renderDashboard draws, in a 2×3
// grid, by title.
var renderedPanels = []string{
	"Episode return", "Greedy evaluation return", "Env steps per second (SPS)",
	"TD loss", "Q values", "Exploration ε",
}

// Grafana's classic palette, for a familiar look.
var palette = []color.RGBA{
	{R: 0x73, G: 0xbf, B: 0x69, A: 255}, {R: 0xf2, G: 0xcc, B: 0x0c, A: 255}, {R: 0x8a, G: 0xb8, B: 0xff, A: 255},
	{R: 0xff, G: 0x78, B: 0x0a, A: 255}, {R: 0xf2, G: 0x49, B: 0x5c, A: 255},
}

// renderDashboard draws the dashboard's main panels for run from what
// Prometheus holds between from and to, running each panel's own queries
// (from deepq.json) with $run set, and writes the picture as a PNG to path.
func renderDashboard(api *promAPI, run string, from, to time.Time, path string) error {
	raw := decodeDashboard(api.t)
	queries := map[string][]query{}
	for _, q := range dashboardQueries(raw) {
		queries[q.panel] = append(queries[q.panel], q)
	}
	const rows, cols = 2, 3
	plots := make([][]*plot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
	}
	for k, title := range renderedPanels {
		qs := queries[title]
		if len(qs) == 0 {
			return fmt.Errorf("the dashboard has no panel %q", title)
		}
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "seconds into the run"
		p.Legend.Top, p.Legend.Left = true, true
		p.Add(plotter.NewGrid())
		for j, q := range qs {
			for _, s := range api.queryRange(strings.ReplaceAll(q.expr, "$run", run), from, to) {
				var pts plotter.XYs
				for _, v := range s.Values {
					y := value(v)
					if math.IsNaN(y) || math.IsInf(y, 0) {
						continue
					}
					ts, _ := v[0].(float64)
					pts = append(pts, plotter.XY{X: ts - float64(from.UnixMilli())/1000, Y: y})
				}
				if len(pts) == 0 {
					continue
				}
				l, err := plotter.NewLine(pts)
				if err != nil {
					return err
				}
				l.Color = palette[j%len(palette)]
				l.Width = vg.Points(1.5)
				if strings.Contains(q.legend, "std") {
					l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
					l.Width = vg.Points(1)
				}
				p.Add(l)
				if name := strings.TrimSpace(strings.TrimPrefix(q.legend, "{{run}}")); name != "" {
					p.Legend.Add(name, l)
				}
			}
		}
		plots[k/cols][k%cols] = p
	}

	img := vgimg.NewWith(vgimg.UseWH(15*vg.Inch, 7*vg.Inch), vgimg.UseDPI(80))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
