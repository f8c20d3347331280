package replay

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/internal/ckpt"
)

// fillSequences adds steps [from, to) of two streams' episodes (stream 0:
// episodes of 13 steps, terminal; stream 1: of 7, truncated), so that both
// are mid-episode at most cut points.
func fillSequences(b *SequenceBuffer, from, to int) {
	H := b.cfg.Hidden
	for s := from; s < to; s++ {
		b.Add(0, stepOf(1+s/13, s%13, H, 13, true))
		b.Add(1, stepOf(100+s/7, s%7, H, 7, false))
	}
}

// TestSequenceSaveLoad: a buffer saved mid-episode and loaded into a new one
// continues exactly as the original: the same sequences stored, the same
// priorities, the same batches for the same seed.
func TestSequenceSaveLoad(t *testing.T) {
	cfg := seqCfg()
	cfg.Streams, cfg.Capacity = 2, 20
	orig, _ := NewSequenceBuffer(cfg)
	fillSequences(orig, 0, 30)
	batch := NewSequenceBatch(4, cfg)
	orig.Sample(rand.New(rand.NewPCG(1, 1)), batch)
	td := make([]float32, len(batch.Mask))
	for i := range td {
		td[i] = float32(i%5) - 2
	}
	if err := orig.UpdatePriorities(batch.Indices, td, batch.Mask); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seq.replay")
	if err := orig.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, _ := NewSequenceBuffer(cfg)
	if err := loaded.Load(path); err != nil {
		t.Fatal(err)
	}
	// Both go on; the ring wraps (more than 20 sequences in all).
	fillSequences(orig, 30, 61)
	fillSequences(loaded, 30, 61)
	if orig.Added() != loaded.Added() || orig.Added() <= int64(cfg.Capacity) {
		t.Fatalf("added %d and %d (capacity %d)", orig.Added(), loaded.Added(), cfg.Capacity)
	}
	same := slices.Equal(orig.obs, loaded.obs) && slices.Equal(orig.actions, loaded.actions) &&
		slices.Equal(orig.rewards, loaded.rewards) && slices.Equal(orig.terminated, loaded.terminated) &&
		slices.Equal(orig.valid, loaded.valid) && slices.Equal(orig.burnIn, loaded.burnIn) &&
		slices.Equal(orig.h, loaded.h) && slices.Equal(orig.c, loaded.c) && slices.Equal(orig.tree.nodes, loaded.tree.nodes)
	if !same {
		t.Fatal("the loaded buffer stored other sequences than the original")
	}
	a, b := NewSequenceBatch(8, cfg), NewSequenceBatch(8, cfg)
	orig.Sample(rand.New(rand.NewPCG(2, 2)), a)
	loaded.Sample(rand.New(rand.NewPCG(2, 2)), b)
	if !slices.Equal(a.Indices, b.Indices) || !slices.Equal(a.Weights, b.Weights) || !slices.Equal(a.Obs, b.Obs) {
		t.Fatal("the loaded buffer samples differently")
	}
}

// TestSequenceLoadErrors: damaged, foreign or mismatched files are errors
// that leave the buffer empty.
func TestSequenceLoadErrors(t *testing.T) {
	cfg := seqCfg()
	cfg.Streams = 2
	b, _ := NewSequenceBuffer(cfg)
	fillSequences(b, 0, 20)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := b.Save(good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	write := func(name string, d []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, d, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := slices.Clone(data)
	flipped[len(flipped)/2] ^= 1
	other := cfg
	other.Length = 6
	ob, _ := NewSequenceBuffer(other)
	for _, c := range []struct {
		name, path string
		into       *SequenceBuffer
		want       string
	}{
		{"missing", filepath.Join(dir, "nope"), nil, "no such file"},
		{"truncated", write("trunc", data[:len(data)-9]), nil, "seq"},
		{"flipped", write("flip", flipped), nil, ""},
		{"other config", good, ob, "another configuration"},
	} {
		into := c.into
		if into == nil {
			into, _ = NewSequenceBuffer(cfg)
			fillSequences(into, 0, 5)
		}
		err := into.Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Load = %v, want an error containing %q", c.name, err, c.want)
		}
		if into.Added() != 0 || into.Len() != 0 {
			t.Errorf("%s: a failed Load left %d sequences", c.name, into.Added())
		}
	}
	// A pending episode that Add could not have left is refused.
	b.streams[1].first++
	bad := filepath.Join(dir, "bad")
	if err := b.Save(bad); err != nil {
		t.Fatal(err)
	}
	fresh, _ := NewSequenceBuffer(cfg)
	if err := fresh.Load(bad); err == nil || !strings.Contains(err.Error(), "pending") {
		t.Errorf("inconsistent pending episode: %v", err)
	}
}

// FuzzSequenceDecode: arbitrary files load or fail, never panic, and what
// loads samples.
func FuzzSequenceDecode(f *testing.F) {
	cfg := seqCfg()
	cfg.Streams, cfg.Capacity = 2, 8
	b, _ := NewSequenceBuffer(cfg)
	fillSequences(b, 0, 12)
	var buf bytes.Buffer
	w := ckpt.NewWriter(&buf)
	if err := b.Encode(w); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ckpt.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		into, _ := NewSequenceBuffer(cfg)
		if err := into.Decode(r); err != nil {
			return
		}
		if into.Len() > 0 {
			into.Sample(rand.New(rand.NewPCG(1, 1)), NewSequenceBatch(4, cfg))
		}
		fillSequences(into, 0, 12)
	})
}

// TestSequenceConcurrent adds from one goroutine while another samples and
// reprioritises (run with -race).
func TestSequenceConcurrent(t *testing.T) {
	cfg := seqCfg()
	cfg.Streams, cfg.Capacity = 2, 16
	b, _ := NewSequenceBuffer(cfg)
	fillSequences(b, 0, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fillSequences(b, 10, 400)
	}()
	rng := rand.New(rand.NewPCG(1, 1))
	batch := NewSequenceBatch(4, cfg)
	td := make([]float32, len(batch.Mask))
	for range 200 {
		b.Sample(rng, batch)
		if err := b.UpdatePriorities(batch.Indices, td, batch.Mask); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
