// Package stats aggregates scores over runs as "Deep Reinforcement Learning at
// the Edge of the Statistical Precipice" (Agarwal et al., NeurIPS 2021, the
// rliable library) asks: the mean, the median and the interquartile mean of
// the runs' scores, each with a stratified-bootstrap confidence interval.
//
// Scores come as strata: strata[k] holds the scores of the runs of task k
// (one stratum for the seeds of a single env). A statistic sees all scores of
// all strata at once, as rliable's aggregate functions see its (runs × tasks)
// matrix flattened.
package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Mean is Σᵢ xᵢ / n; NaN for no values.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Median is Quantile(x, 0.5): the middle value, or the mean of the two
// middle values for even n (numpy's median); NaN for no values.
func Median(x []float64) float64 { return Quantile(x, 0.5) }

// Quantile is the p-quantile of x (0 ≤ p ≤ 1) with linear interpolation
// between order statistics, numpy's default ("linear", Hyndman & Fan type 7):
// with x₍₀₎ ≤ … ≤ x₍ₙ₋₁₎ the sorted values and h = (n−1)·p,
//
//	Q(p) = x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋₊₁₎ − x₍⌊h⌋₎).
//
// NaN for no values. x is not modified.
func Quantile(x []float64, p float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return quantileSorted(s, p)
}

func quantileSorted(s []float64, p float64) float64 {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("stats: quantile %v outside [0, 1]", p))
	}
	h := float64(len(s)-1) * p
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// IQM is the interquartile mean: the mean of the middle 50% of the values.
// With the n sorted values x₍₁₎ ≤ … ≤ x₍ₙ₎, value i covering [i−1, i) of the
// interval [0, n], the middle half is [n/4, 3n/4] and
//
//	IQM = (2/n) Σᵢ wᵢ·x₍ᵢ₎,  wᵢ = |[i−1, i) ∩ [n/4, 3n/4]|,
//
// so that when 4 does not divide n the boundary values count with the
// fraction of them inside the middle half (n = 5: weights 0, ¾, 1, ¾, 0).
// NaN for no values. x is not modified.
//
// rliable's aggregate_iqm is scipy.stats.trim_mean(x, 0.25), which instead
// drops ⌊n/4⌋ whole values at each end; the two agree when 4 divides n (20
// seeds, say) and differ otherwise (n = 5: scipy averages the middle three).
func IQM(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	lo, hi := float64(n)/4, 3*float64(n)/4
	sum := 0.0
	for i, v := range s {
		// Value i (0-based) covers [i, i+1).
		w := math.Min(float64(i+1), hi) - math.Max(float64(i), lo)
		if w > 0 {
			sum += w * v
		}
	}
	return sum / (hi - lo)
}

// Interval is a confidence interval [Lo, Hi] of a statistic.
type Interval struct{ Lo, Hi float64 }

func (iv Interval) String() string { return fmt.Sprintf("[%g, %g]", iv.Lo, iv.Hi) }

// Bootstrap holds the settings of a stratified bootstrap.
type Bootstrap struct {
	// Resamples is the number of bootstrap resamples, at least 1 (rliable
	// uses 50000 for interval estimates, 2000 for profiles).
	Resamples int
	// Confidence is the coverage of the interval, in (0, 1): 0.95 gives the
	// 2.5th and 97.5th percentiles.
	Confidence float64
}

// DefaultBootstrap is 10,000 resamples for a 95% interval.
func DefaultBootstrap() Bootstrap { return Bootstrap{Resamples: 10_000, Confidence: 0.95} }

// Validate reports a setting out of range.
func (b Bootstrap) Validate() error {
	switch {
	case b.Resamples < 1:
		return fmt.Errorf("stats: bootstrap resamples must be at least 1, got %d", b.Resamples)
	case !(b.Confidence > 0 && b.Confidence < 1):
		return fmt.Errorf("stats: bootstrap confidence must be in (0, 1), got %v", b.Confidence)
	}
	return nil
}

// CI is the stratified-bootstrap percentile confidence interval of stat on
// the scores in strata (Agarwal et al. 2021, rliable's StratifiedBootstrap
// with method "percentile"): each resample draws, within every stratum k
// independently, len(strata[k]) of its scores uniformly with replacement;
// stat is computed on each resample, and the interval is the (1−c)/2 and
// (1+c)/2 quantiles (Quantile) of those values, c = b.Confidence. With one
// stratum it is the ordinary percentile bootstrap. stat receives the
// resampled strata, which it must not keep; rng draws the indices, so the
// same rng state gives the same interval. An empty stratum panics.
func (b Bootstrap) CI(strata [][]float64, stat func(strata [][]float64) float64, rng *rand.Rand) Interval {
	return b.CIs(strata, func(s [][]float64, out []float64) { out[0] = stat(s) }, 1, rng)[0]
}

// CIs is CI for a statistic with m components computed together (a
// learning curve's mean at each of m steps, say): stat writes its m values
// into out. The intervals are per component, from the same resamples.
func (b Bootstrap) CIs(strata [][]float64, stat func(strata [][]float64, out []float64), m int, rng *rand.Rand) []Interval {
	if err := b.Validate(); err != nil {
		panic(err)
	}
	values := make([][]float64, m) // values[j][r]: component j of resample r
	for j := range values {
		values[j] = make([]float64, b.Resamples)
	}
	out := make([]float64, m)
	Resample(strata, b.Resamples, rng, func(r int, s [][]float64) {
		stat(s, out)
		for j, v := range out {
			values[j][r] = v
		}
	})
	return percentileIntervals(values, b.Confidence)
}

// Resample draws reps stratified bootstrap resamples of strata with rng and
// calls f with each, numbered from 0. Stratum k of resample r is
// strata[k][i₁], …, strata[k][iₙ] with n = len(strata[k]) and the indices
// drawn in that order by rng.IntN(n), stratum after stratum. The slices
// passed to f are reused by the next call.
func Resample(strata [][]float64, reps int, rng *rand.Rand, f func(r int, strata [][]float64)) {
	res := make([][]float64, len(strata))
	for k, s := range strata {
		if len(s) == 0 {
			panic(fmt.Sprintf("stats: stratum %d is empty", k))
		}
		res[k] = make([]float64, len(s))
	}
	for r := range reps {
		for k, s := range strata {
			for i := range res[k] {
				res[k][i] = s[rng.IntN(len(s))]
			}
		}
		f(r, res)
	}
}

// percentileIntervals returns, for each row of values (a statistic's value
// on every resample), its (1−c)/2 and (1+c)/2 quantiles; rows are sorted in
// place.
func percentileIntervals(values [][]float64, c float64) []Interval {
	ivs := make([]Interval, len(values))
	for j, v := range values {
		slices.Sort(v)
		ivs[j] = Interval{quantileSorted(v, (1-c)/2), quantileSorted(v, (1+c)/2)}
	}
	return ivs
}

// Pooled is a statistic of one sample applied to all strata together, as
// rliable applies aggregate_iqm to its whole score matrix: Pooled(IQM) is
// the IQM of every score of every stratum.
func Pooled(f func([]float64) float64) func(strata [][]float64) float64 {
	var buf []float64
	return func(strata [][]float64) float64 {
		buf = buf[:0]
		for _, s := range strata {
			buf = append(buf, s...)
		}
		return f(buf)
	}
}
