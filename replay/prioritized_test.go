package replay

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// fillChain adds one episode of `steps` steps with observations 0, 1, 2, …,
// so the transition of step i has s = i and sequence number i.
func fillChain(b *Buffer, steps int) {
	for i := range steps {
		b.Add([]float32{float32(i)}, 0, 1, []float32{float32(i + 1)}, false, false)
	}
}

// TestPrioritizedFrequencies sets TD errors and checks, with a χ² test, that
// Sample draws transition i with probability (|δᵢ|+ε)^α / Σ (|δₖ|+ε)^α, and
// that each weight is (min P / P(i))^β.
func TestPrioritizedFrequencies(t *testing.T) {
	const n, α, ε = 60, 0.6, 0.01
	cfg := DefaultConfig(1)
	cfg.Capacity = 100
	cfg.Prioritized = &Prioritized{Alpha: α, Beta0: 0.4, BetaSteps: 2 * n, Eps: ε}
	b, _ := New(cfg)
	fillChain(b, n)
	idx := make([]int, n)
	td := make([]float32, n)
	want := make([]float64, n)
	lo := math.Inf(1)
	for i := range n {
		idx[i] = i
		td[i] = float32(i%9) * 0.5
		if i%2 == 1 {
			td[i] = -td[i] // the sign does not matter
		}
		want[i] = math.Pow(math.Abs(float64(td[i]))+ε, α)
		lo = math.Min(lo, want[i])
	}
	if err := b.UpdatePriorities(idx, td); err != nil {
		t.Fatal(err)
	}
	β := b.Beta()
	if wantβ := 0.4 + 0.6*0.5; math.Abs(β-wantβ) > 1e-15 {
		t.Fatalf("β after %d of %d steps = %v, want %v", n, 2*n, β, wantβ)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	batch := NewBatch(32, 1)
	counts := make([]int, n)
	const batches = 4000
	for range batches {
		b.Sample(rng, batch)
		for k, g := range batch.Indices {
			counts[g]++
			if int(batch.Obs[k]) != g {
				t.Fatalf("index %d holds s = %v", g, batch.Obs[k])
			}
			if w := float32(math.Pow(lo/want[g], β)); batch.Weights[k] != w {
				t.Fatalf("transition %d: weight %v, want %v", g, batch.Weights[k], w)
			}
		}
	}
	// Stratified sampling spreads each batch over the priority mass, so the
	// statistic runs below its multinomial expectation (df); a bias still
	// shows as a large one.
	stat, df := chiSquare(counts, want, batches*batch.Size())
	crit := chiSquareCritical(df)
	t.Logf("χ² = %.1f with %d degrees of freedom (0.1%% critical value %.1f)", stat, df, crit)
	if !(stat < crit) {
		t.Errorf("sampling frequencies do not match the priorities: χ² = %.1f ≥ %.1f", stat, crit)
	}
}

// TestPrioritizedBookkeeping: new transitions enter at the largest priority
// seen, stale indices are ignored, weights are normalised by the buffer's
// largest weight (the least likely transition gets exactly 1), β anneals to 1
// and stops there, and a non-finite TD error changes nothing.
func TestPrioritizedBookkeeping(t *testing.T) {
	cfg := DefaultConfig(1)
	cfg.Capacity = 10
	cfg.Prioritized = &Prioritized{Alpha: 0.5, Beta0: 0.2, BetaSteps: 40, Eps: 1e-3}
	b, _ := New(cfg)
	fillChain(b, 5)
	leaf := func(g int) float64 { return b.tree.get(b.slot(&b.streams[0], int64(g))) }
	if leaf(0) != 1 || leaf(3) != 1 {
		t.Fatalf("new transitions at %v, %v; want the initial max priority 1", leaf(0), leaf(3))
	}
	if err := b.UpdatePriorities([]int{1, 2}, []float32{8, 0}); err != nil {
		t.Fatal(err)
	}
	if got, want := leaf(1), math.Sqrt(8+1e-3); got != want {
		t.Fatalf("leaf after δ = 8: %v, want %v", got, want)
	}
	b.Add([]float32{5}, 0, 1, []float32{6}, false, false)
	if got, want := leaf(5), math.Sqrt(8+1e-3); got != want {
		t.Fatalf("new transition at %v, want the max priority^α %v", got, want)
	}
	// The least likely transition, 2, has weight 1; others less.
	batch := NewBatch(64, 1)
	b.Sample(rand.New(rand.NewPCG(1, 1)), batch)
	for k, g := range batch.Indices {
		w := batch.Weights[k]
		if (g == 2) != (w == 1) || w > 1 {
			t.Fatalf("transition %d has weight %v", g, w)
		}
	}
	// Stale and unsampleable indices are skipped: the adds below overwrite
	// the slots of 0 and 1, and 11 is the newest observation, with no step yet.
	for i := 6; i < 11; i++ {
		b.Add([]float32{float32(i)}, 0, 1, []float32{float32(i + 1)}, false, false)
	}
	before := b.tree.total()
	if err := b.UpdatePriorities([]int{0, 1, 11, -1, 1 << 40}, []float32{100, 100, 100, 100, 100}); err != nil {
		t.Fatal(err)
	}
	if b.tree.total() != before {
		t.Fatal("stale indices changed the priorities")
	}
	// NaN: an error and nothing changed.
	err := b.UpdatePriorities([]int{5, 6}, []float32{1, float32(math.NaN())})
	if err == nil || !strings.Contains(err.Error(), "NaN") || b.tree.total() != before {
		t.Fatalf("NaN TD error: %v", err)
	}
	// β anneals linearly and stays at 1.
	b.EndEpisode()
	for b.Added() < 40 {
		fillChainFrom(b, 1)
	}
	if b.Beta() != 1 {
		t.Fatalf("β after BetaSteps = %v", b.Beta())
	}
	fillChainFrom(b, 5)
	if b.Beta() != 1 {
		t.Fatalf("β after more steps = %v", b.Beta())
	}
}

// fillChainFrom adds k steps of fresh one-step episodes.
func fillChainFrom(b *Buffer, k int) {
	for range k {
		b.Add([]float32{-1}, 0, 0, []float32{-2}, true, false)
	}
}

// TestPrioritizedLenAgreesWithTree: the sum tree holds exactly the
// sampleable transitions, through wrap-around and episode ends.
func TestPrioritizedLenAgreesWithTree(t *testing.T) {
	cfg := Config{Capacity: 37, ObsSize: 8, FrameStack: 4, Storage: Bits, Gamma: 0.9, NStep: 3, Streams: 1, Prioritized: DefaultPrioritized(100)}
	b, _ := New(cfg)
	w := newWorld(t, cfg, 3, 0.15)
	for range 2000 {
		w.add(b)
		n := 0
		for i := range cfg.Capacity {
			if (b.tree.get(i) > 0) != (b.flags[i]&fValid != 0) {
				t.Fatalf("slot %d: leaf %v, flags %b", i, b.tree.get(i), b.flags[i])
			}
			if b.tree.get(i) > 0 {
				n++
			}
		}
		if n != b.Len() {
			t.Fatalf("%d positive leaves, Len %d", n, b.Len())
		}
	}
}

// TestPrioritizedStreams: with several streams, a batch index names one
// stream's transition, and its TD error lands on that transition only.
func TestPrioritizedStreams(t *testing.T) {
	const S, steps = 3, 10
	cfg := DefaultConfig(1)
	cfg.Capacity, cfg.Streams = S*16, S
	cfg.Prioritized = &Prioritized{Alpha: 1, Beta0: 1, BetaSteps: 1, Eps: 0.5}
	b, _ := New(cfg)
	// Stream s's step i observes 100s + i; its sequence number is i.
	for i := range steps {
		for s := range S {
			v := float32(100*s + i)
			b.AddStream(s, []float32{v}, 0, 0, []float32{v + 1}, false, false)
		}
	}
	batch := NewBatch(64, 1)
	b.Sample(rand.New(rand.NewPCG(1, 1)), batch)
	td := make([]float32, batch.Size())
	want := map[[2]int]float64{}
	for k := range batch.Size() {
		s, g := int(batch.Obs[k])/100, int(batch.Obs[k])%100
		td[k] = float32(s*10 + g + 1)
		want[[2]int{s, g}] = float64(td[k]) + 0.5 // the last TD error of a repeated index wins
	}
	if err := b.UpdatePriorities(batch.Indices, td); err != nil {
		t.Fatal(err)
	}
	for s := range S {
		for g := range steps {
			got := b.tree.get(b.slot(&b.streams[s], int64(g)))
			w, ok := want[[2]int{s, g}]
			if !ok {
				w = 1 // untouched: the initial max priority
			}
			if got != w {
				t.Errorf("stream %d transition %d: priority %v, want %v", s, g, got, w)
			}
		}
	}
}
