package metrics

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/deepq/deepq/env"
)

// Config says what an Observer labels its metrics with and how it buckets
// its histograms. Start from DefaultConfig and set Run, Preset, Seed and
// Version; Validate before use.
type Config struct {
	// Env is the environment's name as the run was configured (the argument
	// of env.Make, options included). It is the const label env of every
	// metric.
	Env string
	// Run names the run, e.g. its run directory's base name. It is the const
	// label run of every metric and what the dashboard's run variable
	// selects, so give each run its own name.
	Run string
	// Preset, Seed and Version become the labels of deepq_run_info (with env
	// and run). An empty Preset or Version is exported as "none" or
	// "unknown".
	Preset  string
	Seed    uint64
	Version string
	// TotalSteps is the number of environment steps the run is to take,
	// exported as deepq_env_steps_planned so that a dashboard can show
	// progress; 0 leaves that metric out.
	TotalSteps int64
	// ReturnBuckets and LengthBuckets are the upper bounds of the buckets of
	// the episode return and episode length histograms: finite and strictly
	// increasing. DefaultConfig derives them from the env's spec.
	ReturnBuckets, LengthBuckets []float64
	// Runtime also registers the Go runtime and process collectors (go_* and
	// process_* metrics: memory, GC, goroutines, CPU, file descriptors),
	// labelled with env and run like the rest. Turn it off when the registry
	// already has them.
	Runtime bool
}

// DefaultConfig returns the configuration for a run on the env named envName
// with spec: histogram buckets from the spec's reward range and time limit
// (see ReturnBuckets and LengthBuckets), Run set to envName, and the runtime
// collectors on.
func DefaultConfig(envName string, spec *env.Spec) Config {
	return Config{
		Env:           envName,
		Run:           envName,
		ReturnBuckets: ReturnBuckets(spec),
		LengthBuckets: LengthBuckets(spec),
		Runtime:       true,
	}
}

// Validate reports the first field that is unusable, naming it.
func (c *Config) Validate() error {
	label := func(field, v string) error {
		switch {
		case strings.TrimSpace(v) == "":
			return fmt.Errorf("metrics: config %s is empty", field)
		case !utf8.ValidString(v):
			return fmt.Errorf("metrics: config %s %q is not valid UTF-8", field, v)
		}
		return nil
	}
	if err := label("Env", c.Env); err != nil {
		return err
	}
	if err := label("Run", c.Run); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"Preset", c.Preset}, {"Version", c.Version}} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("metrics: config %s %q is not valid UTF-8", f.name, f.v)
		}
	}
	if c.TotalSteps < 0 {
		return fmt.Errorf("metrics: config TotalSteps must be ≥ 0, got %d", c.TotalSteps)
	}
	if err := checkBuckets(c.ReturnBuckets); err != nil {
		return fmt.Errorf("metrics: config ReturnBuckets %w", err)
	}
	if err := checkBuckets(c.LengthBuckets); err != nil {
		return fmt.Errorf("metrics: config LengthBuckets %w", err)
	}
	return nil
}

func checkBuckets(b []float64) error {
	if len(b) == 0 {
		return errors.New("is empty")
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("[%d] = %v is not finite", i, v)
		}
		if i > 0 && v <= b[i-1] {
			return fmt.Errorf("is not strictly increasing at [%d]: %v after %v", i, v, b[i-1])
		}
	}
	return nil
}

// histogramBins is the number of equal-width buckets of a histogram over a
// bounded range.
const histogramBins = 20

// ReturnBuckets returns bucket upper bounds for episode returns in an env
// with spec. With a time limit T and a finite reward range [r₋, r₊] a return
// lies in [min(0, T·r₋), max(0, T·r₊)], which it splits into 20 equal
// buckets (CartPole-v1: 0, 25, ..., 500). Otherwise it uses powers of two up
// to 2¹⁵ in magnitude, on the sides of 0 that the reward range allows (both
// if the range is unset, [0, 0]).
func ReturnBuckets(spec *env.Spec) []float64 {
	lo, hi := spec.RewardRange[0], spec.RewardRange[1]
	T := float64(spec.MaxEpisodeSteps)
	finite := !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && !math.IsNaN(lo) && !math.IsNaN(hi)
	if T > 0 && finite {
		if rlo, rhi := min(0, T*lo), max(0, T*hi); rhi > rlo {
			return linear(rlo, rhi, histogramBins)
		}
	}
	if lo == 0 && hi == 0 { // an unset range: allow both signs
		lo, hi = math.Inf(-1), math.Inf(1)
	}
	pos := powersOfTwo(15)
	var b []float64
	if !(lo >= 0) { // also for NaN: make no assumption
		for _, v := range pos {
			b = append([]float64{-v}, b...)
		}
	}
	b = append(b, 0)
	if !(hi <= 0) {
		b = append(b, pos...)
	}
	return b
}

// LengthBuckets returns bucket upper bounds for episode lengths: with a time
// limit T, 20 equal buckets up to T (all of 1..T if T < 20); otherwise powers
// of two from 1 to 2¹⁶.
func LengthBuckets(spec *env.Spec) []float64 {
	T := spec.MaxEpisodeSteps
	switch {
	case T <= 0:
		return powersOfTwo(16)
	case T < histogramBins:
		return linear(1, float64(T), T-1)
	}
	return linear(0, float64(T), histogramBins)[1:]
}

// linear returns lo, lo+w, ..., hi with w = (hi−lo)/n: n+1 bounds.
func linear(lo, hi float64, n int) []float64 {
	if n < 1 {
		return []float64{hi}
	}
	b := make([]float64, n+1)
	for i := range b {
		b[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	b[n] = hi
	return b
}

// powersOfTwo returns 1, 2, 4, ..., 2ⁿ.
func powersOfTwo(n int) []float64 {
	b := make([]float64, n+1)
	for i := range b {
		b[i] = math.Ldexp(1, i)
	}
	return b
}

// decades returns the 1-2.5-5 sequence from lo to hi (both powers of ten):
// lo, 2.5·lo, 5·lo, 10·lo, ..., hi. Duration histograms use it.
func decades(lo, hi float64) []float64 {
	var b []float64
	for d := lo; d < hi*(1-1e-9); d *= 10 {
		b = append(b, d, 2.5*d, 5*d)
	}
	return append(b, hi)
}
