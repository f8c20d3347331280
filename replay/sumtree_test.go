package replay

import (
	"math"
	"math/rand/v2"
	"testing"
)

// chiSquareCritical returns the upper 0.1% point of the χ² distribution with
// df degrees of freedom (Wilson–Hilferty; within 1% of the table for df ≥ 10).
func chiSquareCritical(df int) float64 {
	const z = 3.0902 // standard normal quantile at 0.999
	k := float64(df)
	c := 1 - 2/(9*k) + z*math.Sqrt(2/(9*k))
	return k * c * c * c
}

// chiSquare returns Σ (Oᵢ − Eᵢ)²/Eᵢ over the items with Eᵢ > 0 and the
// degrees of freedom; an item with Eᵢ = 0 but Oᵢ > 0 gives +Inf.
func chiSquare(observed []int, p []float64, draws int) (stat float64, df int) {
	total := 0.0
	for _, v := range p {
		total += v
	}
	for i, o := range observed {
		e := float64(draws) * p[i] / total
		if e == 0 {
			if o > 0 {
				return math.Inf(1), 0
			}
			continue
		}
		stat += (float64(o) - e) * (float64(o) - e) / e
		df++
	}
	return stat, df - 1
}

// TestSumTreeFrequencies draws leaves with uniform masses and checks the
// frequencies against the priorities with a χ² test (fixed seed); leaves of
// priority 0 must never be drawn.
func TestSumTreeFrequencies(t *testing.T) {
	const n, draws = 100, 200_000
	tree := newSumMinTree(n)
	p := make([]float64, n)
	for i := range p {
		if i%11 != 3 {
			p[i] = math.Pow(float64(i%7+1), 1.3)
		}
		tree.set(i, p[i])
	}
	rng := rand.New(rand.NewPCG(42, 42))
	counts := make([]int, n)
	for range draws {
		counts[tree.find(rng.Float64()*tree.total())]++
	}
	stat, df := chiSquare(counts, p, draws)
	crit := chiSquareCritical(df)
	t.Logf("χ² = %.1f with %d degrees of freedom (0.1%% critical value %.1f)", stat, df, crit)
	if !(stat < crit) {
		t.Errorf("sampling frequencies do not match the priorities: χ² = %.1f ≥ %.1f", stat, crit)
	}
}

// TestSumTreeQueries checks sums, minima and find against a linear scan
// after random updates, and find's handling of masses at the edges.
func TestSumTreeQueries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 7, 64, 100} {
		tree := newSumMinTree(n)
		p := make([]float64, n)
		for range 500 {
			i := rng.IntN(n)
			p[i] = 0
			if rng.IntN(4) > 0 {
				p[i] = rng.ExpFloat64()
			}
			tree.set(i, p[i])
			sum, lo := 0.0, math.Inf(1)
			for _, v := range p {
				sum += v
				if v > 0 {
					lo = math.Min(lo, v)
				}
			}
			if math.Abs(tree.total()-sum) > 1e-12*sum || tree.minimum() != lo {
				t.Fatalf("n=%d: total %v min %v, want %v %v", n, tree.total(), tree.minimum(), sum, lo)
			}
			if sum == 0 {
				continue
			}
			// find(mass) must return the leaf whose prefix interval holds mass.
			mass := rng.Float64() * sum
			j := tree.find(mass)
			prefix := 0.0
			for _, v := range p[:j] {
				prefix += v
			}
			if p[j] == 0 || mass < prefix-1e-9 || mass >= prefix+p[j]+1e-9 {
				t.Fatalf("n=%d: find(%v) = %d with prefix %v and leaf %v", n, mass, j, prefix, p[j])
			}
			// Masses at or beyond the total, by rounding, end on the last positive leaf.
			last := n - 1
			for p[last] == 0 {
				last--
			}
			for _, m := range []float64{sum, sum * (1 + 1e-15), math.Nextafter(sum, math.Inf(1))} {
				if j := tree.find(m); j != last {
					t.Fatalf("n=%d: find(total) = %d (leaf %v), want the last positive leaf %d", n, j, p[j], last)
				}
			}
		}
	}
}
