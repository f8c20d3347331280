package policy

import (
	"github.com/deepq/deepq/schedule"
	"math"
	"math/rand/v2"
	"testing"
)

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
	p := EpsilonGreedy{Epsilon: schedule.Constant(0.3), NumActions: 3}
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

func TestGreedyRandomTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	counts := map[int]int{}
	for range 30_000 {
		counts[GreedyRandomTies([]float32{1, 5, 2, 5, 5}, rng)]++
	}
	if len(counts) != 3 || counts[0]+counts[2] != 0 {
		t.Fatalf("picked %v; want only 1, 3 and 4", counts)
	}
	for _, a := range []int{1, 3, 4} {
		if f := float64(counts[a]) / 30_000; math.Abs(f-1.0/3) > 0.015 {
			t.Errorf("action %d picked %.3f of the time, want 1/3", a, f)
		}
	}
	if GreedyRandomTies([]float32{0, 2, 1}, rng) != 1 {
		t.Fatal("no tie: want the maximum")
	}
}

type batchQ struct {
	rows  [][]float32
	calls int
}

func (b *batchQ) QValuesBatch(obs []float32, n int) []float32 {
	b.calls++
	var out []float32
	for i := range n {
		out = append(out, b.rows[int(obs[i])]...)
	}
	return out
}

func TestEpsilonGreedyBatchMatchesFrequencies(t *testing.T) {
	q := &batchQ{rows: [][]float32{{0, 1}, {1, 0}}}
	p := EpsilonGreedy{Epsilon: schedule.Constant(0.2), NumActions: 2}
	rng := rand.New(rand.NewPCG(5, 6))
	obs := []float32{0, 1}
	acts := make([]int, 2)
	agree := [2]int{}
	const n = 20_000
	for range n {
		p.ActBatch(0, obs, 2, q, acts, rng)
		if acts[0] == 1 {
			agree[0]++
		}
		if acts[1] == 0 {
			agree[1]++
		}
	}
	for i, c := range agree {
		if f := float64(c) / n; math.Abs(f-0.9) > 0.01 {
			t.Errorf("row %d greedy %.3f of the time, want 0.9", i, f)
		}
	}
	// With ε = 1 no Q-values are computed at all.
	q.calls = 0
	EpsilonGreedy{Epsilon: schedule.Constant(1), NumActions: 2}.ActBatch(0, obs, 2, q, acts, rng)
	if q.calls != 0 {
		t.Fatal("Q computed while every row explores")
	}
}

func TestBoltzmann(t *testing.T) {
	q := fixedQ{1, 2, 3}
	p := Boltzmann{Temperature: schedule.Constant(0.5), NumActions: 3}
	want := make([]float64, 3)
	p.Probabilities(q, 0.5, want)
	z := math.Exp(2) + math.Exp(4) + math.Exp(6)
	for a, w := range []float64{math.Exp(2) / z, math.Exp(4) / z, math.Exp(6) / z} {
		if math.Abs(want[a]-w) > 1e-15 {
			t.Fatalf("p(%d) = %v, want %v", a, want[a], w)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	counts := make([]int, 3)
	const n = 100_000
	for range n {
		counts[p.Act(0, nil, q, rng)]++
	}
	for a := range counts {
		if f := float64(counts[a]) / n; math.Abs(f-want[a]) > 0.01 {
			t.Errorf("action %d sampled %.3f, want %.3f", a, f, want[a])
		}
	}
	// Extreme Q-values must not overflow.
	if a := p.Act(0, nil, fixedQ{1000, 1e30, -1e30}, rng); a != 1 {
		t.Fatalf("extreme values: picked %d", a)
	}
}

func TestUniformAndExploit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	counts := make([]int, 4)
	for range 40_000 {
		counts[Uniform{NumActions: 4}.Act(0, nil, nil, rng)]++
	}
	for a, c := range counts {
		if f := float64(c) / 40_000; math.Abs(f-0.25) > 0.01 {
			t.Errorf("Uniform picked action %d %.3f of the time, want 0.25", a, f)
		}
	}
	q := &countingQ{fixedQ: fixedQ{0, 3, 3, 1}}
	if a := (Exploit{}).Act(0, nil, q, nil); a != 1 || q.calls != 1 {
		t.Errorf("Exploit = %d after %d Q calls, want 1 after 1", a, q.calls)
	}
	acts := make([]int, 2)
	Exploit{}.ActBatch(0, []float32{0, 1}, 2, &batchQ{rows: [][]float32{{0, 1}, {1, 0}}}, acts, nil)
	if acts[0] != 1 || acts[1] != 0 {
		t.Errorf("Exploit.ActBatch = %v, want [1 0]", acts)
	}
	u := make([]int, 3)
	Uniform{NumActions: 2}.ActBatch(0, nil, 3, nil, u, rand.New(rand.NewPCG(1, 1)))
	r := rand.New(rand.NewPCG(1, 1))
	for i := range u {
		if want := r.IntN(2); u[i] != want {
			t.Fatalf("Uniform.ActBatch draws out of order: %v", u)
		}
	}
}

func TestRecorderKeepsLastQ(t *testing.T) {
	r := &Recorder{Q: fixedQ{1, 4}}
	if (Exploit{}).Act(0, nil, r, nil) != 1 || len(r.Last) != 2 || r.Last[1] != 4 {
		t.Fatalf("Recorder after a greedy action: %v", r.Last)
	}
	r.Last = nil
	Uniform{NumActions: 2}.Act(0, nil, r, rand.New(rand.NewPCG(1, 1)))
	if r.Last != nil {
		t.Fatalf("Recorder after a random action: %v, want nil", r.Last)
	}
}
