package replay

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// TestMasks checks the bootstrap masks: each bit is set with frequency p
// (within 5 standard errors), bits are independent across heads (the
// frequency of two bits together is p²), a sampled transition carries the
// mask drawn for its index, a buffer without masks samples zeros, and the
// masks survive a save and load, after which the same steps give the same
// masks.
func TestMasks(t *testing.T) {
	const K, p = 10, 0.3
	cfg := DefaultConfig(3)
	cfg.Capacity, cfg.NStep = 4000, 2
	cfg.Masks = &Masks{Heads: K, P: p, Seed: 7}
	b, w := filled(t, cfg, 3000)
	batch := NewBatch(2000, 3)
	b.Sample(rand.New(rand.NewPCG(1, 1)), batch)
	ones, pairs := 0, 0
	for i, m := range batch.Masks {
		if m != cfg.Masks.draw(batch.Indices[i]) {
			t.Fatalf("sample %d (transition %d) has mask %#x, drawn %#x", i, batch.Indices[i], m, cfg.Masks.draw(batch.Indices[i]))
		}
		if m>>K != 0 {
			t.Fatalf("mask %#x has bits above head %d", m, K-1)
		}
		ones += bits.OnesCount64(m)
		if m&3 == 3 {
			pairs++
		}
	}
	n := float64(len(batch.Masks))
	if f, se := float64(ones)/(n*K), math.Sqrt(p*(1-p)/(n*K)); math.Abs(f-p) > 5*se {
		t.Errorf("bits set with frequency %.4f, want %v ± %.4f", f, p, 5*se)
	}
	if f, se := float64(pairs)/n, math.Sqrt(p*p*(1-p*p)/n); math.Abs(f-p*p) > 5*se {
		t.Errorf("bits 0 and 1 set together with frequency %.4f, want p² = %v ± %.4f", f, p*p, 5*se)
	}
	// Neighbouring transitions' masks are independent: bit 0 of i and of
	// i+1 together with frequency p².
	both := 0
	const N = 20000
	for i := range N {
		if cfg.Masks.draw(i)&cfg.Masks.draw(i+1)&1 != 0 {
			both++
		}
	}
	if f, se := float64(both)/N, math.Sqrt(p*p*(1-p*p)/N); math.Abs(f-p*p) > 5*se {
		t.Errorf("bit 0 of neighbouring transitions set together with frequency %.4f, want p² = %v ± %.4f", f, p*p, 5*se)
	}
	// Another seed, other masks.
	other := *cfg.Masks
	other.Seed = 8
	same := 0
	for i := range 200 {
		if other.draw(i) == cfg.Masks.draw(i) {
			same++
		}
	}
	if same > 20 {
		t.Errorf("seeds 7 and 8 give the same mask for %d of 200 transitions", same)
	}

	// Save, load, and go on: the same masks.
	path := filepath.Join(t.TempDir(), "m.replay")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	c, _ := New(cfg)
	if err := c.Load(path); err != nil {
		t.Fatal(err)
	}
	sameSamples(t, b, c, 3)
	wb, wc := *w, *w
	wb.rng, wc.rng = rand.New(rand.NewPCG(5, 5)), rand.New(rand.NewPCG(5, 5))
	for range 2000 {
		wb.add(b)
		wc.add(c)
	}
	sameSamples(t, b, c, 4)

	// A buffer without masks samples zero masks and cannot load a masked file.
	plain := cfg
	plain.Masks = nil
	u, _ := New(plain)
	if err := u.Load(path); err == nil || !strings.Contains(err.Error(), "masks is") {
		t.Errorf("loading a masked buffer into an unmasked one: %v, want an error naming masks", err)
	}
	u, _ = filled(t, plain, 100)
	u.Sample(rand.New(rand.NewPCG(1, 1)), batch)
	for _, m := range batch.Masks {
		if m != 0 {
			t.Fatalf("a buffer without masks sampled mask %#x", m)
		}
	}
}

// TestMasksConfigErrors: masks out of range are errors naming the field.
func TestMasksConfigErrors(t *testing.T) {
	for _, c := range []struct {
		m    Masks
		disk bool
		want string
	}{
		{Masks{Heads: 0, P: 0.5}, false, "masks heads must be in [1, 64], got 0"},
		{Masks{Heads: 65, P: 0.5}, false, "masks heads"},
		{Masks{Heads: 4, P: 0}, false, "masks p must be in (0, 1], got 0"},
		{Masks{Heads: 4, P: 1.5}, false, "masks p"},
		{Masks{Heads: 4, P: math.NaN()}, false, "masks p"},
		{Masks{Heads: 4, P: 0.5}, true, "without disk storage"},
	} {
		cfg := DefaultConfig(3)
		m := c.m
		cfg.Masks = &m
		if c.disk {
			cfg.Disk = &Disk{Dir: t.TempDir()}
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error containing %q", c.m, err, c.want)
		}
	}
}
