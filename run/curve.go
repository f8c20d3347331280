// The learning curve: draws a run's learning curve with gonum/plot: each episode's
// return, their moving average, and the greedy evaluations with ±1 std bars,
// against environment steps.

package run

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Window is the number of episodes the moving average spans.
const Window = 100

// PlotCurve makes the learning-curve plot of lg.
func PlotCurve(lg *Log, title string) (*plot.Plot, error) {
	if len(lg.Episodes) == 0 && len(lg.Evals) == 0 {
		return nil, fmt.Errorf("curve: the log has no episodes or evaluations")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "environment steps"
	p.Y.Label.Text = "return"
	// Top left: early in a run returns are low and no evaluation has run, so
	// a learning curve leaves that corner empty (for negative returns too).
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(4)
	p.X.Tick.Marker = plot.TickerFunc(stepTicks)
	p.Add(plotter.NewGrid())

	if n := len(lg.Episodes); n > 0 {
		raw := make(plotter.XYs, n)
		avg := make(plotter.XYs, n)
		sum := 0.0
		for i, e := range lg.Episodes {
			raw[i] = plotter.XY{X: float64(e.Step), Y: e.Return}
			sum += e.Return
			if i >= Window {
				sum -= lg.Episodes[i-Window].Return
			}
			avg[i] = plotter.XY{X: float64(e.Step), Y: sum / float64(min(i+1, Window))}
		}
		s, err := plotter.NewScatter(raw)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color = color.RGBA{R: 150, G: 170, B: 200, A: 255}
		s.GlyphStyle.Radius = vg.Points(1)
		l, err := plotter.NewLine(avg)
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		l.LineStyle.Width = vg.Points(2)
		p.Add(s, l)
		p.Legend.Add("episode return", s)
		p.Legend.Add(fmt.Sprintf("mean of last %d", Window), l)
	}
	if n := len(lg.Evals); n > 0 {
		pts := make(plotter.XYs, n)
		errs := make(plotter.YErrors, n)
		for i, e := range lg.Evals {
			pts[i] = plotter.XY{X: float64(e.Step), Y: e.Mean}
			errs[i].Low, errs[i].High = e.Std, e.Std
		}
		orange := color.RGBA{R: 255, G: 127, B: 14, A: 255}
		line, dots, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color, dots.Color = orange, orange
		dots.Radius = vg.Points(2.5)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{pts, errs})
		if err != nil {
			return nil, err
		}
		eb.Color = orange
		p.Add(line, dots, eb)
		p.Legend.Add("greedy evaluation (±1 std)", line, dots)
	}
	return p, nil
}

// stepTicks are gonum/plot's default ticks labelled in steps as a reader
// says them: 2500, 25k, 1.5M.
func stepTicks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = StepLabel(ticks[i].Value)
		}
	}
	return ticks
}

// StepLabel writes a step count compactly: 2500, 25k, 1.5M.
func StepLabel(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteCurvePNG plots lg and saves it at path, width×height in points.
func WriteCurvePNG(lg *Log, title, path string, width, height vg.Length) error {
	p, err := PlotCurve(lg, title)
	if err != nil {
		return err
	}
	return p.Save(width, height, path)
}

// The size of a run's curve.png, in points.
const (
	curveWidth  = 7 * vg.Inch
	curveHeight = 4 * vg.Inch
)
