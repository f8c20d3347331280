package replay

import (
	"math/rand/v2"
	"testing"
)

// TestSampleReturnsStoredTransitions adds a stream with known contents,
// wrapping the ring, and checks that every sampled transition is one of the
// last Capacity added, intact.
func TestSampleReturnsStoredTransitions(t *testing.T) {
	const capacity, d, total = 50, 3, 137
	b, err := New(Config{Capacity: capacity, ObsSize: d, Gamma: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	obs := func(k int) []float32 { return []float32{float32(k), float32(k) + 0.25, float32(k) + 0.5} }
	for k := 0; k < total; k++ {
		b.Add(obs(k), k%4, float64(k)/10, obs(k+1), k%7 == 6)
	}
	if b.Len() != capacity {
		t.Fatalf("Len = %d, want %d", b.Len(), capacity)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	batch := NewBatch(64, d)
	seen := map[int]bool{}
	for range 20 {
		b.Sample(rng, batch)
		for i := range batch.Size() {
			k := int(batch.Obs[i*d])
			seen[k] = true
			if k < total-capacity || k >= total {
				t.Fatalf("sampled transition %d, which is not among the last %d", k, capacity)
			}
			for j, v := range obs(k) {
				if batch.Obs[i*d+j] != v || batch.NextObs[i*d+j] != obs(k + 1)[j] {
					t.Fatalf("transition %d: observations mixed up", k)
				}
			}
			if int(batch.Actions[i]) != k%4 || batch.Rewards[i] != float32(float64(k)/10) {
				t.Fatalf("transition %d: action %d reward %v", k, batch.Actions[i], batch.Rewards[i])
			}
			want := float32(0.9)
			if k%7 == 6 {
				want = 0
			}
			if batch.Discounts[i] != want || batch.Weights[i] != 1 {
				t.Fatalf("transition %d: discount %v weight %v, want %v 1", k, batch.Discounts[i], batch.Weights[i], want)
			}
		}
	}
	if len(seen) < capacity*9/10 {
		t.Fatalf("uniform sampling reached only %d of %d transitions", len(seen), capacity)
	}
}

func TestSameSeedSameSample(t *testing.T) {
	b, _ := New(Config{Capacity: 100, ObsSize: 1, Gamma: 1})
	for k := range 100 {
		b.Add([]float32{float32(k)}, 0, 0, []float32{0}, false)
	}
	x, y := NewBatch(32, 1), NewBatch(32, 1)
	b.Sample(rand.New(rand.NewPCG(9, 9)), x)
	b.Sample(rand.New(rand.NewPCG(9, 9)), y)
	for i := range x.Obs {
		if x.Obs[i] != y.Obs[i] {
			t.Fatal("same seed, different samples")
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{0, 4, 0.9}, {10, 0, 0.9}, {10, 4, 1.5}, {10, 4, -0.1}, {1 << 30, 1 << 10, 0.9}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v): want an error", c)
		}
	}
}

func TestNoAllocation(t *testing.T) {
	b, _ := New(Config{Capacity: 1000, ObsSize: 4, Gamma: 0.99})
	o := make([]float32, 4)
	rng := rand.New(rand.NewPCG(1, 2))
	batch := NewBatch(64, 4)
	b.Add(o, 1, 1, o, false)
	if n := testing.AllocsPerRun(100, func() { b.Add(o, 1, 1, o, false); b.Sample(rng, batch) }); n != 0 {
		t.Fatalf("%v allocations per add+sample", n)
	}
}

func BenchmarkAddSample(b *testing.B) {
	buf, _ := New(Config{Capacity: 100_000, ObsSize: 4, Gamma: 0.99})
	o := []float32{1, 2, 3, 4}
	rng := rand.New(rand.NewPCG(1, 2))
	batch := NewBatch(64, 4)
	for range 10_000 {
		buf.Add(o, 1, 1, o, false)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Add(o, 1, 1, o, false)
		buf.Sample(rng, batch)
	}
	b.ReportMetric(float64(buf.BytesPerTransition()), "bytes/transition")
}
