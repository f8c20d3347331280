package replay

import (
	"math"
	"testing"
)

// TestSetPriorityStates follows a transition of a 3-step buffer from its
// step to its sampling: pending while its window is open, set once complete,
// gone after EndStream cuts a window short of a start and once overwritten.
func TestSetPriorityStates(t *testing.T) {
	cfg := DefaultConfig(1)
	cfg.Capacity, cfg.NStep, cfg.Streams = 16, 3, 2
	cfg.Prioritized = DefaultPrioritized(100)
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := func(v float32) []float32 { return []float32{v} }
	idx := b.NextIndex(1)
	b.AddStream(1, o(0), 0, 1, o(1), false, false)
	if st, _ := b.SetPriority(idx, 2); st != PriorityPending {
		t.Fatalf("after 1 of 3 steps: %v, want pending", st)
	}
	if open, cont := b.Open(1, o(1)); !open || !cont {
		t.Fatalf("Open(1, s′) = %v, %v, want an open episode that continues", open, cont)
	}
	if _, cont := b.Open(1, o(5)); cont {
		t.Fatal("another frame continues the episode")
	}
	b.AddStream(1, o(1), 0, 1, o(2), false, false)
	b.AddStream(1, o(2), 0, 1, o(3), false, false)
	if st, _ := b.SetPriority(idx, 2); st != PrioritySet {
		t.Fatalf("after 3 of 3 steps: %v, want set", st)
	}
	// The second transition's window is open; EndStream truncates it, which
	// completes it (it bootstraps from the last s′).
	idx2 := idx + 2 // the stream's next slot: index g·Streams + s
	if st, _ := b.SetPriority(idx2, 1); st != PriorityPending {
		t.Fatalf("second transition: %v, want pending", st)
	}
	b.EndStream(1)
	if st, _ := b.SetPriority(idx2, 1); st != PrioritySet {
		t.Fatalf("second transition after EndStream: %v, want set", st)
	}
	if open, _ := b.Open(1, o(3)); open {
		t.Fatal("the stream is open after EndStream")
	}
	if b.Len() != 3 {
		t.Fatalf("Len %d after EndStream, want 3", b.Len())
	}
	// The sampled priorities: p = |δ|+ε over the α-weighted tree.
	if got, want := b.tree.get(b.slot(&b.streams[1], 0)), math.Pow(2+1e-6, 0.6); math.Abs(got-want) > 1e-12 {
		t.Errorf("leaf %v, want (2+ε)^0.6 = %v", got, want)
	}
	if _, err := b.SetPriority(idx, float32(math.NaN())); err == nil {
		t.Error("a NaN priority was taken")
	}
	// Overwrite stream 1's ring (8 slots): the first transition is gone.
	for i := range 10 {
		b.AddStream(1, o(float32(10+i)), 0, 0, o(float32(11+i)), false, false)
	}
	if st, _ := b.SetPriority(idx, 2); st != PriorityGone {
		t.Fatalf("an overwritten transition: %v, want gone", st)
	}
	if !b.FrameFits([]float32{0.5}) || b.FrameSize() != 1 {
		t.Error("float32 storage refuses 0.5")
	}
}

// TestFrameFits matches what put accepts.
func TestFrameFits(t *testing.T) {
	for _, c := range []struct {
		s    Storage
		v    float32
		want bool
	}{{Uint8, 255, true}, {Uint8, 256, false}, {Uint8, 1.5, false}, {Uint8, float32(math.NaN()), false},
		{Bits, 1, true}, {Bits, 2, false}, {Bits, float32(math.NaN()), false}, {Float32, -3.25, true}} {
		cfg := DefaultConfig(8)
		cfg.Storage, cfg.Capacity = c.s, 8
		b, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f := []float32{0, 0, 0, 0, 0, 0, 0, c.v}
		if got := b.FrameFits(f); got != c.want {
			t.Errorf("%v holds %v: %v, want %v", c.s, c.v, got, c.want)
		}
	}
}
