// The sweep's learning curve: the mean greedy evaluation over the seeds
// against environment steps, with its bootstrap confidence band.

package run

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// PlotSweepCurve makes the plot of s.Curve: the mean evaluation as a line,
// its interval as a shaded band, and the threshold, if any, dashed.
func PlotSweepCurve(s *SweepSummary) (*plot.Plot, error) {
	if len(s.Curve) == 0 {
		return nil, fmt.Errorf("curve: the runs have no evaluation step in common")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, preset %s%s, %d seeds", s.Env, s.Preset, s.changes(), len(s.Runs))
	p.X.Label.Text = "environment steps"
	p.Y.Label.Text = "greedy evaluation return"
	// Bottom right: the mean curve rises towards the threshold and leaves
	// that corner empty.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	p.X.Tick.Marker = plot.TickerFunc(stepTicks)
	p.Add(plotter.NewGrid())

	n := len(s.Curve)
	mean := make(plotter.XYs, n)
	band := make(plotter.XYs, 0, 2*n)
	for i, c := range s.Curve {
		mean[i] = plotter.XY{X: float64(c.Step), Y: c.Value}
		band = append(band, plotter.XY{X: float64(c.Step), Y: c.Hi})
	}
	for i := n - 1; i >= 0; i-- {
		band = append(band, plotter.XY{X: float64(s.Curve[i].Step), Y: s.Curve[i].Lo})
	}
	blue := color.RGBA{R: 31, G: 119, B: 180, A: 255}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return nil, err
	}
	poly.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 70} // not premultiplied
	poly.LineStyle.Width = 0
	line, dots, err := plotter.NewLinePoints(mean)
	if err != nil {
		return nil, err
	}
	line.Color, dots.Color = blue, blue
	line.Width = vg.Points(2)
	dots.Radius = vg.Points(2)
	p.Add(poly, line, dots)
	p.Legend.Add("mean over seeds", line, dots)
	p.Legend.Add(fmt.Sprintf("%g%% bootstrap CI", math.Round(100*s.Confidence)), poly)
	if s.Threshold != nil {
		t := *s.Threshold
		th, err := plotter.NewLine(plotter.XYs{{X: float64(s.Curve[0].Step), Y: t}, {X: float64(s.Curve[n-1].Step), Y: t}})
		if err != nil {
			return nil, err
		}
		th.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		th.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(th)
		p.Legend.Add(fmt.Sprintf("threshold %.6g", t), th)
	}
	return p, nil
}

// WriteSweepCurvePNG plots s.Curve into path.
func WriteSweepCurvePNG(s *SweepSummary, path string) error {
	p, err := PlotSweepCurve(s)
	if err != nil {
		return err
	}
	return p.Save(curveWidth, curveHeight, path)
}
