package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/deepq/deepq/agent"
)

// progress shows training progress: a bar on a terminal, plain lines
// otherwise (steps, SPS, episodes, mean return of the last 100, ε, loss).
type progress struct {
	agent.NopObserver
	w      io.Writer
	mode   string // "bar", "lines" or "none"
	total  int64
	every  int64 // lines mode: print every this many steps
	bar    *progressbar.ProgressBar
	start  time.Time
	last   int64 // step of the last bar update
	first  int64 // step the run started from (non-zero when resumed)
	recent [100]float64
	nRet   int
	eps    float64
	loss   float64
	eval   string
}

func newProgress(w io.Writer, mode string, total int64) *progress {
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	return &progress{w: w, mode: mode, total: total, every: max(total/20, 1000), start: time.Now()}
}

// startAt makes a resumed run's progress count from step.
func (p *progress) startAt(step int64) {
	p.last, p.first = step, step
}

// drawBar makes the bar, which draws its first frame at once. It is made at
// the first step, not with the progress, so that the lines train prints
// before training (the header) come before the bar and not on its line.
func (p *progress) drawBar() {
	p.bar = progressbar.NewOptions64(p.total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	if p.first > 0 {
		p.bar.Set64(p.first)
	}
}

func (p *progress) meanReturn() float64 {
	n := min(p.nRet, len(p.recent))
	if n == 0 {
		return 0
	}
	s := 0.0
	for _, r := range p.recent[:n] {
		s += r
	}
	return s / float64(n)
}

func (p *progress) OnStep(e *agent.StepEvent) {
	p.eps = e.Epsilon
	switch p.mode {
	case "bar":
		if p.bar == nil {
			p.drawBar()
		}
		if e.Step-p.last >= 500 || e.Step == p.total {
			p.bar.Describe(fmt.Sprintf("ep %d  ret100 %.1f  ε %.3f  loss %.4f%s", e.Episode, p.meanReturn(), p.eps, p.loss, p.eval))
			p.bar.Add64(e.Step - p.last)
			p.last = e.Step
		}
	case "lines":
		if e.Step%p.every == 0 || e.Step == p.total {
			sps := float64(e.Step-p.first) / time.Since(p.start).Seconds()
			fmt.Fprintf(p.w, "step %d/%d  %.0f steps/s  episodes %d  return(100) %.1f  ε %.3f  loss %.4f%s\n",
				e.Step, p.total, sps, e.Episode, p.meanReturn(), p.eps, p.loss, p.eval)
		}
	}
}

func (p *progress) OnEpisode(e *agent.EpisodeEvent) {
	p.recent[p.nRet%len(p.recent)] = e.Return
	p.nRet++
}

func (p *progress) OnUpdate(e *agent.UpdateEvent) { p.loss = e.Loss }

func (p *progress) OnEval(e *agent.EvalEvent) {
	p.eval = fmt.Sprintf("  eval %.1f", e.Mean)
	if p.mode == "lines" {
		kind := "evaluation"
		if e.Final {
			kind = "final evaluation"
		}
		fmt.Fprintf(p.w, "step %d  %s over %d episodes: mean %.2f ± %.2f\n", e.Step, kind, e.Episodes, e.Mean, e.Std)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
