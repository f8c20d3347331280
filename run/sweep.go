// Sweeps: one configuration trained on many seeds, J at a time, each run in
// its own directory under the sweep's, summarized as Agarwal et al. (2021)
// ask (stats).

package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/stats"
)

// SweepOptions say which sweep to run.
type SweepOptions struct {
	// Env, Preset, ConfigFile, Set and Steps configure every seed's run as
	// the fields of Options do.
	Env, Preset, ConfigFile, Set string
	Steps                        int64
	// Seeds are the seeds to train, each once.
	Seeds SeedList
	// Jobs is the number of runs at a time, at least 1.
	Jobs int
	// Dir is the sweep's directory: seed S runs in Dir/seed-S, and the
	// summary goes to Dir/summary.json and Dir/curve.png.
	Dir string
	// SaveReplay saves the replay buffer with each run's checkpoints, so that
	// a seed cut off and resumed is bit for bit the run that never stopped.
	SaveReplay bool
	// Threshold, when not nil, is the score at or above which a run counts
	// as solved; nil takes Threshold(env).
	Threshold *float64
	// Bootstrap sets the confidence intervals; the zero value is
	// stats.DefaultBootstrap. BootstrapSeed seeds their resampling.
	Bootstrap     stats.Bootstrap
	BootstrapSeed uint64
	// Launch trains one seed's run to its end: a new run (o.Dir, o.Seed
	// set) or the resume of a cut-off one (o.Resume set). nil is InProcess.
	Launch Launcher
	// Progress, when not nil, gets a line as each seed starts and ends.
	Progress io.Writer
}

// A Launcher trains the run of o to its end, or until ctx is done.
type Launcher func(ctx context.Context, o Options) error

// InProcess is the Launcher that trains in this process: Open(o), then
// Train. Concurrent runs share nothing but the setting of net.SetThreads,
// which is process-wide: set it (to 1 for single-threaded runs) before the
// sweep. An interrupted run returns ErrInterrupted.
func InProcess(ctx context.Context, o Options) error {
	r, err := Open(o)
	if err != nil {
		return err
	}
	res, err := r.Train(ctx)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err == nil && res.Interrupted {
		err = ErrInterrupted
	}
	return err
}

// ErrInterrupted is the error of a run stopped before its end (it saved
// final.ckpt, so the sweep resumes it).
var ErrInterrupted = errors.New("interrupted")

// SeedList is a list of seeds, written as a count N alone (the seeds 1 to
// N), or as comma-separated items, each a seed or a range A-B (A to B
// inclusive): "20", "101-120", "1-5,42".
type SeedList []uint64

// UnmarshalText parses a seed list, refusing empty, reversed or repeated
// seeds.
func (s *SeedList) UnmarshalText(b []byte) error {
	var out SeedList
	seen := map[uint64]bool{}
	count := !strings.ContainsAny(string(b), ",-")
	for item := range strings.SplitSeq(string(b), ",") {
		item = strings.TrimSpace(item)
		var lo, hi uint64
		var err error
		if a, z, ok := strings.Cut(item, "-"); ok {
			if lo, err = strconv.ParseUint(a, 10, 64); err == nil {
				hi, err = strconv.ParseUint(z, 10, 64)
			}
			if err == nil && hi < lo {
				err = fmt.Errorf("the range ends before it starts")
			}
		} else if hi, err = strconv.ParseUint(item, 10, 64); err == nil {
			lo = hi
			if count {
				lo = 1
				if hi == 0 {
					err = fmt.Errorf("a count of seeds must be at least 1")
				}
			}
		}
		if err != nil {
			return fmt.Errorf("seeds %q: %q is not a count N (seeds 1 to N), a seed or a range A-B: %v", b, item, unwrapNum(err))
		}
		if hi-lo >= 100_000 {
			return fmt.Errorf("seeds %q: %q is more than 100000 seeds", b, item)
		}
		for v := lo; ; v++ {
			if seen[v] {
				return fmt.Errorf("seeds %q: seed %d is listed twice", b, v)
			}
			seen[v] = true
			out = append(out, v)
			if v == hi {
				break
			}
		}
	}
	*s = out
	return nil
}

func unwrapNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

// String writes the list back so that UnmarshalText reads it again,
// consecutive seeds as ranges.
func (s SeedList) String() string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", s[i], s[j])
		} else {
			fmt.Fprintf(&b, "%d", s[i])
		}
		i = j + 1
	}
	if len(s) == 1 {
		return fmt.Sprintf("%d-%d", s[0], s[0]) // "5" alone would be a count
	}
	return b.String()
}

// MarshalText is String.
func (s SeedList) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Threshold is the score at or above which a run of the env counts as
// solved, and where it comes from: Acrobot −80 (issue 22's acceptance,
// stricter than Gymnasium's −100), otherwise the env's
// Spec.RewardThreshold (CartPole 475, MountainCar −110, a deterministic
// GridWorld map its optimal return). ok is false for an env without one.
func Threshold(name string) (v float64, source string, ok bool) {
	e, err := env.Make(name)
	if err != nil {
		return 0, "", false
	}
	if base, _, _ := strings.Cut(name, ":"); base == "acrobot" {
		return -80, "acrobot: deepq's acceptance; Gymnasium's reward_threshold is -100", true
	}
	// 0 is Spec's "none" (a map whose optimum is exactly 0 has none either).
	if t := e.Spec().RewardThreshold; t != 0 {
		return t, "the env's reward threshold", true
	}
	return 0, "", false
}

// solved reports score ≥ threshold, forgiving the rounding of a mean of
// equal returns (a GridWorld's optimum averaged over 100 episodes).
func solved(score, threshold float64) bool {
	return score >= threshold-1e-9*math.Max(1, math.Abs(threshold))
}

// SeedResult is one seed's run in a sweep's summary.
type SeedResult struct {
	Seed uint64 `json:"seed"`
	Dir  string `json:"dir"`
	// Final is the mean return of the final greedy evaluation; Best the
	// largest evaluation mean of the run (periodic or final), at BestStep.
	Final    float64 `json:"final"`
	Best     float64 `json:"best"`
	BestStep int64   `json:"best_step"`
	Solved   bool    `json:"solved"`
	// How is "new", "resumed" or "kept" (finished before this sweep ran);
	// Seconds is the wall time of this sweep's part of it (0 if kept).
	How     string  `json:"how"`
	Seconds float64 `json:"seconds"`
}

// Estimate is a statistic over the seeds with its confidence interval.
type Estimate struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// CurvePoint is the mean evaluation of the seeds at one step, with its
// bootstrap interval.
type CurvePoint struct {
	Step int64 `json:"step"`
	Estimate
}

// SweepSummary is summary.json.
type SweepSummary struct {
	Env        string       `json:"env"`
	Preset     string       `json:"preset"`
	ConfigFile string       `json:"config_file,omitempty"`
	Set        string       `json:"set,omitempty"`
	Steps      int64        `json:"steps"`
	Seeds      SeedList     `json:"seeds"`
	Runs       []SeedResult `json:"runs"`
	// Threshold is nil for an env without one; then Solved is 0.
	Threshold       *float64 `json:"threshold,omitempty"`
	ThresholdSource string   `json:"threshold_source,omitempty"`
	Solved          int      `json:"solved"`
	// Mean, Median and IQM are of the runs' final evaluations, with
	// stratified-bootstrap percentile intervals (one stratum: the env).
	Mean   Estimate `json:"mean"`
	Median Estimate `json:"median"`
	IQM    Estimate `json:"iqm"`
	// Curve is the mean learning curve over the steps every run evaluated
	// at (a final evaluation replaces a periodic one at the same step).
	Curve      []CurvePoint `json:"curve"`
	Resamples  int          `json:"bootstrap_resamples"`
	Confidence float64      `json:"confidence"`
	Jobs       int          `json:"jobs"`
	Seconds    float64      `json:"seconds"`
}

// Sweep trains every seed of o not yet finished in o.Dir, o.Jobs at a time,
// then writes Dir/summary.json and Dir/curve.png and returns the summary.
//
// A seed's run is finished when its directory holds final.ckpt and its log a
// final evaluation; it is kept. A seed cut off with a checkpoint (final.ckpt
// of an interrupted run, or latest.ckpt) is resumed from it; one cut off
// before any checkpoint starts again. A seed's directory must hold the run
// of the same configuration, else Sweep refuses it. When ctx is done the
// runs stop (saving final.ckpt) and Sweep returns ErrInterrupted; when runs
// fail it returns their errors after the others have finished. Either way
// no summary is written, and calling Sweep again resumes.
func Sweep(ctx context.Context, o SweepOptions) (*SweepSummary, error) {
	start := time.Now()
	cfg, preset, err := o.check()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the sweep directory: %w", err)
	}
	launch := o.Launch
	if launch == nil {
		launch = InProcess
	}
	runs := make([]SeedResult, len(o.Seeds))
	var todo []int
	for i, seed := range o.Seeds {
		runs[i] = SeedResult{Seed: seed, Dir: seedDir(o.Dir, seed)}
		c := cfg
		c.Seed = seed
		state, err := seedState(runs[i].Dir, c)
		if err != nil {
			return nil, err
		}
		runs[i].How = state
		if state != "kept" {
			todo = append(todo, i)
		}
	}

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan int)
	)
	logf := func(format string, a ...any) {
		if o.Progress != nil {
			mu.Lock()
			fmt.Fprintf(o.Progress, format+"\n", a...)
			mu.Unlock()
		}
	}
	logf("sweep %s (preset %s): %d seeds, %d finished before, %d to run, %d at a time; runs in %s",
		cfg.Env, preset, len(o.Seeds), len(o.Seeds)-len(todo), len(todo), o.Jobs, o.Dir)
	for range min(o.Jobs, len(todo)) {
		wg.Go(func() {
			for i := range next {
				r := &runs[i]
				ro := Options{Resume: r.Dir}
				if r.How == "new" {
					ro = Options{Env: o.Env, Preset: o.Preset, ConfigFile: o.ConfigFile, Set: o.Set, Seed: &r.Seed, Steps: o.Steps, Dir: r.Dir}
					if o.SaveReplay {
						ro.SaveReplay = &o.SaveReplay
					}
				}
				logf("seed %d: %s", r.Seed, map[string]string{"new": "started", "resumed": "resumed"}[r.How])
				t := time.Now()
				err := launch(ctx, ro)
				r.Seconds = time.Since(t).Seconds()
				if err != nil {
					if !errors.Is(err, ErrInterrupted) {
						mu.Lock()
						errs = append(errs, fmt.Errorf("seed %d (%s): %w", r.Seed, r.Dir, err))
						mu.Unlock()
					}
					logf("seed %d: %v after %.1fs", r.Seed, err, r.Seconds)
					continue
				}
				logf("seed %d: done in %.1fs", r.Seed, r.Seconds)
			}
		})
	}
feed:
	for _, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d of %d seeds failed (rerun the sweep to retry them): %w", len(errs), len(o.Seeds), errors.Join(errs...))
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("sweep %w: rerun the same command to resume it", ErrInterrupted)
	}
	s, err := summarize(o, cfg, preset, runs)
	if err != nil {
		return nil, err
	}
	s.Seconds = time.Since(start).Seconds()
	if err := writeJSON(filepath.Join(o.Dir, "summary.json"), s); err != nil {
		return nil, err
	}
	if err := WriteSweepCurvePNG(s, filepath.Join(o.Dir, "curve.png")); err != nil {
		return s, fmt.Errorf("drawing the sweep's curve: %w", err)
	}
	return s, nil
}

// check validates o and fills its defaults; it returns the configuration of
// the runs (of seed 0: each run sets its own).
func (o *SweepOptions) check() (agent.Config, string, error) {
	switch {
	case len(o.Seeds) == 0:
		return agent.Config{}, "", usage(errors.New("a sweep needs at least one seed"))
	case o.Jobs < 1:
		return agent.Config{}, "", usage(fmt.Errorf("jobs must be at least 1, got %d", o.Jobs))
	case o.Dir == "":
		return agent.Config{}, "", usage(errors.New("a sweep needs a directory"))
	case o.Steps < 0:
		return agent.Config{}, "", usage(fmt.Errorf("steps must be at least 1, got %d", o.Steps))
	}
	if o.Bootstrap == (stats.Bootstrap{}) {
		o.Bootstrap = stats.DefaultBootstrap()
	}
	if err := o.Bootstrap.Validate(); err != nil {
		return agent.Config{}, "", usage(err)
	}
	var zero uint64
	cfg, preset, err := Configure(Options{Env: o.Env, Preset: o.Preset, ConfigFile: o.ConfigFile, Set: o.Set, Steps: o.Steps, Seed: &zero})
	if err != nil {
		return cfg, preset, err
	}
	if cfg.FinalEvalEpisodes < 1 {
		return cfg, preset, usage(errors.New("a sweep reports each run's final evaluation: final_eval_episodes must be at least 1"))
	}
	if d := cfg.ReplayStorage.Disk; d != nil {
		return cfg, preset, usage(fmt.Errorf("replay_storage %s: a sweep's seeds would share one replay directory; keep the replay in memory, or train each seed with deepq train and a directory of its own", cfg.ReplayStorage))
	}
	return cfg, preset, nil
}

func seedDir(dir string, seed uint64) string { return filepath.Join(dir, fmt.Sprintf("seed-%d", seed)) }

// seedState says what the sweep does with the run directory of cfg.Seed:
// "kept" (finished), "resumed" (cut off after a checkpoint) or "new"
// (absent, or cut off before any checkpoint: its files are removed). A
// directory holding another configuration's run is an error.
func seedState(dir string, cfg agent.Config) (string, error) {
	stored, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "new", clearRun(dir)
	}
	if err != nil {
		return "", err
	}
	var have agent.Config
	if err := json.Unmarshal(stored, &have); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	a, _ := json.Marshal(have)
	b, _ := json.Marshal(cfg)
	if !bytes.Equal(a, b) {
		return "", usage(fmt.Errorf("%s holds a run of another configuration than this sweep's (compare its config.json); choose another --out", dir))
	}
	lg, err := ReadLog(filepath.Join(dir, "log.jsonl"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	_, ferr := os.Stat(filepath.Join(dir, "final.ckpt"))
	if ferr == nil && lg != nil && finalEval(lg) != nil {
		return "kept", nil
	}
	for _, f := range []string{"latest.ckpt", "final.ckpt"} {
		// A checkpoint that does not load fails the seed's resume, naming it.
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return "resumed", nil
		}
	}
	return "new", clearRun(dir)
}

// clearRun removes the files of a run cut off before its first checkpoint,
// so that it can start again in dir.
func clearRun(dir string) error {
	for _, f := range []string{"config.json", "log.jsonl", "best.ckpt", "curve.png"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func finalEval(lg *Log) *Eval {
	for i := len(lg.Evals) - 1; i >= 0; i-- {
		if lg.Evals[i].Final {
			return &lg.Evals[i]
		}
	}
	return nil
}

// summarize reads the runs' logs and computes the summary.
func summarize(o SweepOptions, cfg agent.Config, preset string, runs []SeedResult) (*SweepSummary, error) {
	s := &SweepSummary{Env: cfg.Env, Preset: preset, ConfigFile: o.ConfigFile, Set: o.Set, Steps: cfg.TotalSteps,
		Seeds: o.Seeds, Runs: runs, Resamples: o.Bootstrap.Resamples, Confidence: o.Bootstrap.Confidence, Jobs: o.Jobs}
	if o.Threshold != nil {
		t := *o.Threshold
		s.Threshold, s.ThresholdSource = &t, "given"
	} else if t, src, ok := Threshold(cfg.Env); ok {
		s.Threshold, s.ThresholdSource = &t, src
	}
	finals := make([]float64, len(runs))
	curves := make([]map[int64]float64, len(runs))
	for i := range runs {
		r := &runs[i]
		lg, err := ReadLog(filepath.Join(r.Dir, "log.jsonl"))
		if err != nil {
			return nil, err
		}
		f := finalEval(lg)
		if f == nil {
			return nil, fmt.Errorf("%s: the run has no final evaluation", r.Dir)
		}
		r.Final, finals[i] = f.Mean, f.Mean
		r.Best, r.BestStep = math.Inf(-1), 0
		curves[i] = map[int64]float64{}
		for _, e := range lg.Evals {
			if e.Mean > r.Best {
				r.Best, r.BestStep = e.Mean, e.Step
			}
			if _, seen := curves[i][e.Step]; !seen || e.Final {
				curves[i][e.Step] = e.Mean
			}
		}
		if s.Threshold != nil && solved(r.Final, *s.Threshold) {
			r.Solved = true
			s.Solved++
		}
	}
	rng := rand.New(rand.NewPCG(o.BootstrapSeed, 0x5eed))
	for _, e := range []struct {
		est *Estimate
		f   func([]float64) float64
	}{{&s.Mean, stats.Mean}, {&s.Median, stats.Median}, {&s.IQM, stats.IQM}} {
		iv := o.Bootstrap.CI([][]float64{finals}, stats.Pooled(e.f), rng)
		*e.est = Estimate{Value: e.f(finals), Lo: iv.Lo, Hi: iv.Hi}
	}
	s.Curve = meanCurve(curves, o.Bootstrap, rng)
	return s, nil
}

// meanCurve is the mean over runs of their evaluations at the steps all of
// them evaluated at, with bootstrap intervals from resampling the runs.
func meanCurve(curves []map[int64]float64, b stats.Bootstrap, rng *rand.Rand) []CurvePoint {
	var steps []int64
	for step := range curves[0] {
		if !slices.ContainsFunc(curves, func(c map[int64]float64) bool { _, ok := c[step]; return !ok }) {
			steps = append(steps, step)
		}
	}
	slices.Sort(steps)
	// Resample runs (indices), each resample giving the mean at every step.
	idx := make([]float64, len(curves))
	for i := range idx {
		idx[i] = float64(i)
	}
	mean := func(runs []float64, out []float64) {
		for j, step := range steps {
			sum := 0.0
			for _, r := range runs {
				sum += curves[int(r)][step]
			}
			out[j] = sum / float64(len(runs))
		}
	}
	ivs := b.CIs([][]float64{idx}, func(s [][]float64, out []float64) { mean(s[0], out) }, len(steps), rng)
	pts := make([]CurvePoint, len(steps))
	m := make([]float64, len(steps))
	mean(idx, m)
	for j, step := range steps {
		pts[j] = CurvePoint{Step: step, Estimate: Estimate{Value: m[j], Lo: ivs[j].Lo, Hi: ivs[j].Hi}}
	}
	return pts
}

// changes names what the sweep changed in the preset: ", config F, set K=V".
func (s *SweepSummary) changes() string {
	var c string
	if s.ConfigFile != "" {
		c += ", config " + s.ConfigFile
	}
	if s.Set != "" {
		c += ", set " + s.Set
	}
	return c
}

// WriteTable prints the summary: a line per seed, then the aggregates.
func (s *SweepSummary) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, preset %s%s, %d steps, %d seeds (%s)\n\n", s.Env, s.Preset, s.changes(), s.Steps, len(s.Runs), s.Seeds)
	fmt.Fprintf(&b, "%8s %10s %10s %10s %7s  %s\n", "seed", "final", "best", "at step", "solved", "time")
	for _, r := range s.Runs {
		sol := "-"
		if s.Threshold != nil {
			sol = map[bool]string{true: "yes", false: "no"}[r.Solved]
		}
		t := "kept"
		if r.How != "kept" {
			t = fmt.Sprintf("%.1fs", r.Seconds)
			if r.How == "resumed" {
				t += " (resumed)"
			}
		}
		fmt.Fprintf(&b, "%8d %10.2f %10.2f %10d %7s  %s\n", r.Seed, r.Final, r.Best, r.BestStep, sol, t)
	}
	b.WriteByte('\n')
	if s.Threshold != nil {
		fmt.Fprintf(&b, "final ≥ %.6g: %d of %d (%s)\n", *s.Threshold, s.Solved, len(s.Runs), s.ThresholdSource)
	}
	pct := math.Round(100 * s.Confidence)
	for _, e := range []struct {
		name string
		e    Estimate
	}{{"mean", s.Mean}, {"median", s.Median}, {"IQM", s.IQM}} {
		fmt.Fprintf(&b, "final %-6s %10.2f   %g%% CI [%.2f, %.2f]\n", e.name, e.e.Value, pct, e.e.Lo, e.e.Hi)
	}
	fmt.Fprintf(&b, "(stratified bootstrap, %d resamples; sweep time %.1fs)\n", s.Resamples, s.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown prints the summary as a row of the README's preset table,
// after the table's header when header is set: the env (its reference name)
// and preset with what the sweep changed, the steps per run, the seeds, how
// many finals reached the threshold, the IQM and mean of the finals with
// their confidence intervals, and the seeds whose final fell short.
func (s *SweepSummary) WriteMarkdown(w io.Writer, header bool) error {
	var b strings.Builder
	if header {
		pct := math.Round(100 * s.Confidence)
		fmt.Fprintf(&b, "| env, preset | steps | seeds | final ≥ threshold | final IQM [%g%% CI] | final mean [%g%% CI] | finals below the threshold |\n", pct, pct)
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	}
	name := s.Env
	if e, err := env.Make(s.Env); err == nil && e.Spec().ID != "" {
		name = e.Spec().ID
	}
	ch := strings.TrimPrefix(s.changes(), ", ")
	if ch != "" {
		ch = " (" + ch + ")"
	}
	solved, below := "–", "–"
	if s.Threshold != nil {
		solved = fmt.Sprintf("%d of %d ≥ %s", s.Solved, len(s.Runs), num(*s.Threshold))
		var low []string
		for _, r := range s.Runs {
			if !r.Solved {
				low = append(low, fmt.Sprintf("seed %d: %s", r.Seed, num(r.Final)))
			}
		}
		below = "none"
		if len(low) > 0 {
			below = strings.Join(low, ", ")
		}
	}
	est := func(e Estimate) string { return fmt.Sprintf("%s [%s, %s]", num(e.Value), num(e.Lo), num(e.Hi)) }
	fmt.Fprintf(&b, "| %s, `%s`%s | %s | %d: %s | %s | %s | %s | %s |\n",
		name, s.Preset, ch, steps(s.Steps), len(s.Runs), strings.ReplaceAll(s.Seeds.String(), "-", "–"), solved, est(s.IQM), est(s.Mean), below)
	_, err := io.WriteString(w, b.String())
	return err
}

// num writes a return with four significant digits, a minus sign for
// negatives: 500, 499.9, −72.35, 0.93.
func num(v float64) string {
	f := strconv.FormatFloat(v, 'g', 4, 64)
	if math.Abs(v) >= 1e4 {
		f = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.Replace(f, "-", "−", 1)
}

// steps writes a step count as the README does: 50k, 1.5M, 1234.
func steps(n int64) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.FormatInt(n/1000, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}
