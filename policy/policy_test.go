package policy

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLinear(t *testing.T) {
	l := Linear{Start: 1, End: 0.1, Steps: 100}
	for _, c := range []struct {
		t    int64
		want float64
	}{{-5, 1}, {0, 1}, {50, 0.55}, {100, 0.1}, {1000, 0.1}} {
		if got := l.Value(c.t); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Value(%d) = %v, want %v", c.t, got, c.want)
		}
	}
}

type fixedQ []float32

func (f fixedQ) QValues([]float32) []float32 { return f }

type countingQ struct {
	fixedQ
	calls int
}

func (c *countingQ) QValues(o []float32) []float32 { c.calls++; return c.fixedQ }

func TestEpsilonGreedyFrequencies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	q := &countingQ{fixedQ: fixedQ{0, 3, 1}}
	p := EpsilonGreedy{Epsilon: Constant(0.3), NumActions: 3}
	const n = 100_000
	counts := make([]int, 3)
	for i := range n {
		counts[p.Act(int64(i), nil, q, rng)]++
	}
	// P(greedy) = 0.7 + 0.3/3 = 0.8; others 0.1 each.
	for a, want := range []float64{0.1, 0.8, 0.1} {
		got := float64(counts[a]) / n
		if math.Abs(got-want) > 0.01 {
			t.Errorf("action %d chosen %.3f of the time, want %.2f", a, got, want)
		}
	}
	if f := float64(q.calls) / n; math.Abs(f-0.7) > 0.01 {
		t.Errorf("Q-values computed on %.3f of steps, want 0.7 (only when exploiting)", f)
	}
}

func TestGreedyTiesTakeFirst(t *testing.T) {
	if a := Greedy([]float32{1, 5, 5, 2}); a != 1 {
		t.Fatalf("Greedy = %d, want 1", a)
	}
}
