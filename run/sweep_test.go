package run

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/stats"
)

// sweepOptions is a small CartPole sweep whose runs differ: 2500 steps, an
// evaluation every 1000.
func sweepOptions(dir string, seeds ...uint64) SweepOptions {
	return SweepOptions{Env: "cartpole", Set: "eval_every=1000,eval_episodes=3,final_eval_episodes=5",
		Steps: 2500, Seeds: seeds, Jobs: 2, Dir: dir, SaveReplay: true,
		Bootstrap: stats.Bootstrap{Resamples: 2000, Confidence: 0.95}}
}

// TestSweep runs three seeds two at a time and checks the summary against
// a direct computation from the runs' logs.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	o := sweepOptions(dir, 3, 4, 5)
	var progress strings.Builder
	o.Progress = &progress
	s, err := Sweep(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var fromFile SweepSummary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fromFile); err != nil {
		t.Fatal(err)
	}
	if fromFile.IQM != s.IQM || len(fromFile.Runs) != 3 || len(fromFile.Curve) != len(s.Curve) {
		t.Errorf("summary.json differs from the returned summary")
	}
	if _, err := os.Stat(filepath.Join(dir, "curve.png")); err != nil {
		t.Error(err)
	}

	// Read the logs directly.
	var finals []float64
	byStep := map[int64][]float64{}
	for i, seed := range []uint64{3, 4, 5} {
		rdir := filepath.Join(dir, "seed-"+[]string{"3", "4", "5"}[i])
		for _, f := range []string{"config.json", "final.ckpt", "best.ckpt", "log.jsonl", "curve.png"} {
			if _, err := os.Stat(filepath.Join(rdir, f)); err != nil {
				t.Errorf("seed %d: %v", seed, err)
			}
		}
		raw, err := os.ReadFile(filepath.Join(rdir, "log.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var final, best float64 = math.NaN(), math.Inf(-1)
		for line := range strings.Lines(string(raw)) {
			var e struct {
				Type  string
				Step  int64
				Mean  float64
				Final bool
			}
			json.Unmarshal([]byte(line), &e)
			if e.Type != "eval" {
				continue
			}
			best = max(best, e.Mean)
			if e.Final {
				final = e.Mean
				byStep[e.Step] = append(byStep[e.Step], e.Mean)
			} else if e.Step != 2500 {
				byStep[e.Step] = append(byStep[e.Step], e.Mean)
			}
		}
		r := s.Runs[i]
		if r.Seed != seed || r.Final != final || r.Best != best || r.How != "new" {
			t.Errorf("seed %d: summary %+v; the log says final %v, best %v", seed, r, final, best)
		}
		if r.Solved != (final >= 475) {
			t.Errorf("seed %d: solved %v with final %v and threshold 475", seed, r.Solved, final)
		}
		finals = append(finals, final)
	}
	if s.Threshold == nil || *s.Threshold != 475 {
		t.Errorf("threshold %v, want CartPole's 475", s.Threshold)
	}
	sorted := slices.Sorted(slices.Values(finals))
	want := map[string]float64{
		"mean":   (finals[0] + finals[1] + finals[2]) / 3,
		"median": sorted[1],
		// n = 3: the middle half [0.75, 2.25] weighs the values ¼, 1, ¼.
		"iqm": (0.25*sorted[0] + sorted[1] + 0.25*sorted[2]) / 1.5,
	}
	for name, e := range map[string]Estimate{"mean": s.Mean, "median": s.Median, "iqm": s.IQM} {
		if math.Abs(e.Value-want[name]) > 1e-9 {
			t.Errorf("%s = %v, want %v (finals %v)", name, e.Value, want[name], finals)
		}
		// A mean of equal values may round an ulp away from them.
		const ε = 1e-9
		if !(e.Lo <= e.Value+ε && e.Value <= e.Hi+ε && e.Lo >= sorted[0]-ε && e.Hi <= sorted[2]+ε) {
			t.Errorf("%s: CI [%v, %v] must hold %v and lie within the finals %v", name, e.Lo, e.Hi, e.Value, sorted)
		}
	}
	if sorted[0] != sorted[2] && s.Mean.Lo == s.Mean.Hi {
		t.Errorf("mean CI %v is a point although the finals differ: %v", s.Mean, finals)
	}
	// The curve: 1000, 2000 and the final evaluation at 2500.
	if len(s.Curve) != 3 {
		t.Fatalf("curve %+v, want steps 1000, 2000, 2500", s.Curve)
	}
	for _, c := range s.Curve {
		v := byStep[c.Step]
		if len(v) != 3 || math.Abs(c.Value-(v[0]+v[1]+v[2])/3) > 1e-9 || c.Lo > c.Value+1e-9 || c.Hi < c.Value-1e-9 {
			t.Errorf("curve at %d: %+v, the logs' evaluations %v", c.Step, c, v)
		}
	}
	for _, w := range []string{"seed 3: started", "seed 5: done"} {
		if !strings.Contains(progress.String(), w) {
			t.Errorf("progress lacks %q:\n%s", w, progress.String())
		}
	}
	var table strings.Builder
	s.WriteTable(&table)
	for _, w := range []string{"preset cartpole, set eval_every=1000", "final ≥ 475", "IQM", "95% CI"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
}

// TestSweepResume interrupts a sweep in the middle of a seed, then runs it
// again: the finished seed is kept, the interrupted one resumes and ends as
// the uninterrupted run of its seed does, bit for bit, and a seed cut off
// before any checkpoint starts again.
func TestSweepResume(t *testing.T) {
	dir := t.TempDir()
	o := sweepOptions(dir, 7, 8, 9)
	o.Jobs = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Seed 7 ends; seed 8 is stopped at step 1700; seed 9 never starts.
	o.Launch = func(ctx context.Context, ro Options) error {
		r, err := Open(ro)
		if err != nil {
			return err
		}
		defer r.Close()
		if *ro.Seed == 8 {
			r.Trainer.Observe(stopAt{step: 1700, cancel: cancel})
		}
		res, err := r.Train(ctx)
		if err == nil && res.Interrupted {
			err = ErrInterrupted
		}
		return err
	}
	if _, err := Sweep(ctx, o); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted sweep: %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.json")); err == nil {
		t.Error("an interrupted sweep wrote a summary")
	}
	// Seed 9 as a run killed before its first checkpoint leaves it.
	var nine uint64 = 9
	r, err := Open(Options{Env: o.Env, Set: o.Set, Steps: o.Steps, Seed: &nine, Dir: filepath.Join(dir, "seed-9")})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()

	var mu sync.Mutex
	launched := map[uint64]string{}
	o.Launch = func(ctx context.Context, ro Options) error {
		mu.Lock()
		if ro.Resume != "" {
			launched[seedOf(t, ro.Resume)] = "resume"
		} else {
			launched[*ro.Seed] = "new"
		}
		mu.Unlock()
		return InProcess(ctx, ro)
	}
	s, err := Sweep(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[uint64]string{8: "resume", 9: "new"}; !mapsEqual(launched, want) {
		t.Errorf("launched %v, want %v", launched, want)
	}
	for i, how := range []string{"kept", "resumed", "new"} {
		if s.Runs[i].How != how {
			t.Errorf("seed %d: %q, want %q", s.Runs[i].Seed, s.Runs[i].How, how)
		}
	}
	// The resumed seed 8 is the run that never stopped.
	ref := filepath.Join(t.TempDir(), "ref")
	var eight uint64 = 8
	if err := InProcess(context.Background(), Options{Env: o.Env, Set: o.Set, Steps: o.Steps, Seed: &eight, Dir: ref, SaveReplay: &o.SaveReplay}); err != nil {
		t.Fatal(err)
	}
	got, _ := ReadLog(filepath.Join(dir, "seed-8", "log.jsonl"))
	want, _ := ReadLog(filepath.Join(ref, "log.jsonl"))
	if got == nil || want == nil || !slices.Equal(got.Evals, want.Evals) || len(got.Episodes) != len(want.Episodes) {
		t.Errorf("resumed seed 8 differs from its uninterrupted run:\n%+v\n%+v", got, want)
	}
}

// stopAt cancels the run's context once it reaches a step.
type stopAt struct {
	agent.NopObserver
	step   int64
	cancel func()
}

func (s stopAt) OnStep(e *agent.StepEvent) {
	if e.Step >= s.step {
		s.cancel()
	}
}

func seedOf(t *testing.T, dir string) uint64 {
	var cfg agent.Config
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Seed
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestSweepRefuses: options that cannot make a sweep, and a seed directory
// holding another configuration's run, are usage errors that leave the
// runs alone.
func TestSweepRefuses(t *testing.T) {
	dir := t.TempDir()
	var one uint64 = 1
	other := filepath.Join(dir, "seed-1")
	if err := InProcess(context.Background(), Options{Env: "cartpole", Steps: 1200, Seed: &one, Dir: other,
		Set: "eval_every=0,final_eval_episodes=2"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*SweepOptions)
		want string
	}{
		{"no seeds", func(o *SweepOptions) { o.Seeds = nil }, "at least one seed"},
		{"jobs 0", func(o *SweepOptions) { o.Jobs = 0 }, "jobs must be at least 1"},
		{"no dir", func(o *SweepOptions) { o.Dir = "" }, "needs a directory"},
		{"bad env", func(o *SweepOptions) { o.Env = "nope" }, `unknown environment "nope"`},
		{"no final eval", func(o *SweepOptions) { o.Set = "final_eval_episodes=0" }, "final_eval_episodes must be at least 1"},
		{"bad bootstrap", func(o *SweepOptions) { o.Bootstrap.Confidence = 1 }, "confidence must be in (0, 1)"},
		{"replay on disk", func(o *SweepOptions) { o.Set = "replay_storage=disk:/tmp/r" }, "share one replay directory"},
		{"another run", func(o *SweepOptions) {}, "another configuration"},
	}
	for _, c := range cases {
		o := sweepOptions(dir, 1)
		o.Launch = func(context.Context, Options) error { t.Errorf("%s: launched a run", c.name); return nil }
		c.edit(&o)
		_, err := Sweep(context.Background(), o)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a usage error with %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(other, "final.ckpt")); err != nil {
		t.Errorf("the other run lost its final.ckpt: %v", err)
	}
}

func TestSeedList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []uint64
		str  string
	}{
		{"3", []uint64{1, 2, 3}, "1-3"},
		{"101-104", []uint64{101, 102, 103, 104}, "101-104"},
		{"1-2, 7,9-10", []uint64{1, 2, 7, 9, 10}, "1-2,7,9-10"},
		{"5-5", []uint64{5}, "5-5"},
		{"0-1", []uint64{0, 1}, "0-1"},
		{"7,0", []uint64{7, 0}, "7,0"},
	} {
		var s SeedList
		if err := s.UnmarshalText([]byte(c.in)); err != nil || !slices.Equal(s, c.want) || s.String() != c.str {
			t.Errorf("%q: %v %v %q, want %v %q", c.in, s, err, s.String(), c.want, c.str)
		}
		var again SeedList
		if err := again.UnmarshalText([]byte(s.String())); err != nil || !slices.Equal(again, s) {
			t.Errorf("%q: String %q reads back as %v %v", c.in, s.String(), again, err)
		}
	}
	for _, in := range []string{"", "0", "x", "5-3", "1-3,2", "3,3", "-4", "1,,2", "1-", "1-200000"} {
		var s SeedList
		if err := s.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q: %v, want an error", in, s)
		}
	}
}

// TestSweepMarkdown: a summary as the README's preset table row.
func TestSweepMarkdown(t *testing.T) {
	thr := 475.0
	s := &SweepSummary{Env: "cartpole", Preset: "cartpole", Set: "n_step=1", Steps: 50_000, Seeds: SeedList{301, 302, 303, 305},
		Runs:      []SeedResult{{Seed: 301, Final: 500, Solved: true}, {Seed: 302, Final: 129.75}, {Seed: 303, Final: 499.87, Solved: true}, {Seed: 305, Final: -3.25}},
		Threshold: &thr, Solved: 2, Confidence: 0.95,
		IQM: Estimate{314.75, 129.75, 499.93}, Mean: Estimate{281.5925, 96.5, 499.9}}
	var b strings.Builder
	if err := s.WriteMarkdown(&b, true); err != nil {
		t.Fatal(err)
	}
	want := "| env, preset | steps | seeds | final ≥ threshold | final IQM [95% CI] | final mean [95% CI] | finals below the threshold |\n" +
		"| --- | --- | --- | --- | --- | --- | --- |\n" +
		"| CartPole-v1, `cartpole` (set n_step=1) | 50k | 4: 301–303,305 | 2 of 4 ≥ 475 | 314.8 [129.8, 499.9] | 281.6 [96.5, 499.9] | seed 302: 129.8, seed 305: −3.25 |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	s.Env, s.Set, s.Steps, s.Threshold, s.Solved = "gridworld:map=cliff", "", 1_500_000, nil, 0
	b.Reset()
	s.WriteMarkdown(&b, false)
	if want := "| GridWorld-cliff, `cartpole` | 1.5M | 4: 301–303,305 | – | 314.8 [129.8, 499.9] | 281.6 [96.5, 499.9] | – |\n"; b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
