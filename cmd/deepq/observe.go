package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/deepq/deepq/agent"
)

// runLog writes log.jsonl: one JSON object a line, "type" episode or eval.
// Episode lines carry the mean loss of the gradient steps since the last one.
type runLog struct {
	agent.NopObserver
	w             *bufio.Writer
	enc           *json.Encoder
	lossSum       float64
	lossN         int
	firstWriteErr error
}

func newRunLog(w io.Writer) *runLog {
	bw := bufio.NewWriter(w)
	return &runLog{w: bw, enc: json.NewEncoder(bw)}
}

type episodeLine struct {
	Type       string   `json:"type"`
	Step       int64    `json:"step"`
	Episode    int      `json:"episode"`
	Return     float64  `json:"return"`
	Length     int      `json:"length"`
	Terminated bool     `json:"terminated"`
	Loss       *float64 `json:"loss,omitempty"`
}

type evalLine struct {
	Type     string  `json:"type"`
	Step     int64   `json:"step"`
	Episodes int     `json:"episodes"`
	Mean     float64 `json:"mean"`
	Std      float64 `json:"std"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Final    bool    `json:"final"`
}

func (l *runLog) write(v any) {
	if err := l.enc.Encode(v); err != nil && l.firstWriteErr == nil {
		l.firstWriteErr = err
	}
}

func (l *runLog) OnUpdate(e *agent.UpdateEvent) { l.lossSum += e.Loss; l.lossN++ }

func (l *runLog) OnEpisode(e *agent.EpisodeEvent) {
	line := episodeLine{Type: "episode", Step: e.Step, Episode: e.Episode, Return: e.Return, Length: e.Length, Terminated: e.Terminated}
	if l.lossN > 0 {
		m := l.lossSum / float64(l.lossN)
		line.Loss = &m
		l.lossSum, l.lossN = 0, 0
	}
	l.write(line)
}

func (l *runLog) OnEval(e *agent.EvalEvent) {
	l.write(evalLine{Type: "eval", Step: e.Step, Episodes: e.Episodes, Mean: e.Mean, Std: e.Std, Min: e.Min, Max: e.Max, Final: e.Final})
	l.w.Flush()
}

// err flushes the log and returns the first write error.
func (l *runLog) err() error {
	if err := l.w.Flush(); err != nil && l.firstWriteErr == nil {
		l.firstWriteErr = err
	}
	return l.firstWriteErr
}

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
	p := &progress{w: w, mode: mode, total: total, every: max(total/20, 1000), start: time.Now()}
	if mode == "bar" {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("steps"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
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
		if e.Step-p.last >= 500 || e.Step == p.total {
			p.bar.Describe(fmt.Sprintf("ep %d  ret100 %.1f  ε %.3f  loss %.4f%s", e.Episode, p.meanReturn(), p.eps, p.loss, p.eval))
			p.bar.Add64(e.Step - p.last)
			p.last = e.Step
		}
	case "lines":
		if e.Step%p.every == 0 || e.Step == p.total {
			sps := float64(e.Step) / time.Since(p.start).Seconds()
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
