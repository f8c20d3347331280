package replay

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/internal/ckpt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldens are small buffers whose saved bytes are kept in testdata/: the
// file format must not change by accident, and the fuzz targets start from them.
var goldens = []struct {
	file  string
	cfg   Config
	steps int
}{
	{"cartpole.replay", Config{Capacity: 12, ObsSize: 4, FrameStack: 1, Storage: Float32, Gamma: 0.99, NStep: 1, Streams: 1}, 30},
	{"frames.replay", Config{Capacity: 16, ObsSize: 2 * 5, FrameStack: 2, Storage: Uint8, Gamma: 0.9, NStep: 2, Streams: 1,
		Prioritized: &Prioritized{Alpha: 0.6, Beta0: 0.4, BetaSteps: 100, Eps: 1e-6}}, 40},
	{"minatar.replay", Config{Capacity: 16, ObsSize: 3 * 11, FrameStack: 3, Storage: Bits, Gamma: 0.99, NStep: 3, Streams: 1}, 25},
}

// halfBuffers are saved and loaded as the goldens are, without golden files:
// the 16-bit float storages.
var halfBuffers = []struct {
	file  string
	cfg   Config
	steps int
}{
	{"float16.replay", Config{Capacity: 14, ObsSize: 2 * 3, FrameStack: 2, Storage: Float16, Gamma: 0.9, NStep: 2, Streams: 1}, 30},
	{"bf16.replay", Config{Capacity: 12, ObsSize: 5, FrameStack: 1, Storage: BF16, Gamma: 0.99, NStep: 1, Streams: 1,
		Prioritized: &Prioritized{Alpha: 0.6, Beta0: 0.4, BetaSteps: 100, Eps: 1e-6}}, 25},
}

// filled returns a buffer of cfg after `steps` steps of a seeded stream,
// with priorities updated from a seeded batch when prioritized.
func filled(t *testing.T, cfg Config, steps int) (*Buffer, *world) {
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, cfg, 11, 0.2)
	for range steps {
		w.add(b)
	}
	if b.Prioritized() {
		rng := rand.New(rand.NewPCG(2, 2))
		batch := NewBatch(8, cfg.ObsSize)
		b.Sample(rng, batch)
		td := make([]float32, 8)
		for i := range td {
			td[i] = float32(rng.NormFloat64() * 3)
		}
		if err := b.UpdatePriorities(batch.Indices, td); err != nil {
			t.Fatal(err)
		}
	}
	return b, w
}

func encode(t *testing.T, b *Buffer) []byte {
	var buf bytes.Buffer
	w := ckpt.NewWriter(&buf)
	if err := b.Encode(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(b *Buffer, data []byte) error {
	r, err := ckpt.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	return b.Decode(r)
}

func TestGoldenFiles(t *testing.T) {
	for _, g := range goldens {
		b, _ := filled(t, g.cfg, g.steps)
		got := encode(t, b)
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the saved bytes changed (%d bytes, golden %d); if the format changed on purpose, bump checkpointVersion and run go test -update", g.file, len(got), len(want))
		}
	}
}

// sameSamples checks that a and b give identical batches from identically
// seeded generators.
func sameSamples(t *testing.T, a, b *Buffer, seed uint64) {
	t.Helper()
	if a.Len() != b.Len() || a.Added() != b.Added() || a.Beta() != b.Beta() {
		t.Fatalf("Len %d/%d, Added %d/%d, β %v/%v", a.Len(), b.Len(), a.Added(), b.Added(), a.Beta(), b.Beta())
	}
	if a.Len() == 0 {
		return
	}
	x, y := NewBatch(32, a.cfg.ObsSize), NewBatch(32, a.cfg.ObsSize)
	a.Sample(rand.New(rand.NewPCG(seed, 1)), x)
	b.Sample(rand.New(rand.NewPCG(seed, 1)), y)
	if !reflect.DeepEqual(x, y) {
		t.Fatal("the loaded buffer samples differently")
	}
}

// TestSaveLoad saves buffers of each storage, loads them into fresh buffers,
// and checks that both sample alike, before and after more steps.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	for _, g := range append(slices.Clone(goldens), halfBuffers...) {
		a, w := filled(t, g.cfg, g.steps)
		path := filepath.Join(dir, g.file)
		if err := a.Save(path); err != nil {
			t.Fatal(err)
		}
		b, _ := New(g.cfg)
		if err := b.Load(path); err != nil {
			t.Fatal(err)
		}
		sameSamples(t, a, b, 1)
		// The open episode goes on in the loaded buffer: the same steps
		// give the same buffers.
		wa, wb := *w, *w
		wb.rng = rand.New(rand.NewPCG(99, 99))
		wa.rng = rand.New(rand.NewPCG(99, 99))
		for range 2 * g.cfg.Capacity {
			wa.add(a)
			wb.add(b)
		}
		sameSamples(t, a, b, 2)
		if !bytes.Equal(encode(t, a), encode(t, b)) {
			t.Fatal("after the same steps, the buffers save differently")
		}
	}
	// An empty buffer round-trips too.
	e, _ := New(DefaultConfig(3))
	if err := decode(e, encode(t, e)); err != nil || e.Len() != 0 {
		t.Fatalf("empty buffer: %v, Len %d", err, e.Len())
	}
}

// TestLoadErrors: a file of another configuration, or damaged, truncated or
// foreign, is an error naming the problem, and leaves the buffer empty.
func TestLoadErrors(t *testing.T) {
	g := goldens[1]
	data, err := os.ReadFile(filepath.Join("testdata", g.file))
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(cfg Config) *Buffer {
		b, _ := filled(t, cfg, 20) // holds data, which a failed load must clear
		return b
	}
	// Another configuration.
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"obs_size", func(c *Config) { c.ObsSize = 12 }},
		{"frame_stack", func(c *Config) { c.FrameStack = 5 }},
		{"storage", func(c *Config) { c.Storage = Bits }},
		{"capacity", func(c *Config) { c.Capacity = 17 }},
		{"gamma", func(c *Config) { c.Gamma = 0.99 }},
		{"n_step", func(c *Config) { c.NStep = 3 }},
		{"prioritized", func(c *Config) { c.Prioritized = nil }},
		{"streams", func(c *Config) { c.Streams = 2 }},
		{"prioritized", func(c *Config) { p := *c.Prioritized; p.Alpha = 0.7; c.Prioritized = &p }},
	} {
		cfg := g.cfg
		c.edit(&cfg)
		b := fresh(cfg)
		err := decode(b, data)
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s differs: error %v", c.field, err)
		}
		if b.Len() != 0 || b.Added() != 0 {
			t.Errorf("%s differs: the failed load left %d transitions", c.field, b.Len())
		}
	}
	// Every truncation and a flipped byte anywhere.
	b := fresh(g.cfg)
	for n := range len(data) {
		if err := decode(b, data[:n]); err == nil {
			t.Fatalf("file truncated to %d of %d bytes loaded", n, len(data))
		}
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x10
		if err := decode(b, bad); err == nil {
			t.Fatalf("file with byte %d changed loaded", i)
		} else if b.Len() != 0 {
			t.Fatal("a failed load left data behind")
		}
	}
	// A foreign container: an agent checkpoint has other sections.
	var buf bytes.Buffer
	w := ckpt.NewWriter(&buf)
	w.Bytes("meta", []byte(`{"format":"deepq-agent"}`))
	w.Close()
	if err := decode(b, buf.Bytes()); err == nil || !strings.Contains(err.Error(), "not a replay buffer") {
		t.Errorf("agent checkpoint: %v", err)
	}
	// Files: missing, and a directory.
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "none.replay"), dir} {
		if err := b.Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Load(%s): %v", p, err)
		}
	}
	if err := decode(b, data); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
}

// checkInvariants verifies what every operation must keep true: the flags
// and the count agree with a recomputation from scratch, and so do the
// priority trees.
func checkInvariants(b *Buffer) error {
	n := 0
	for s := range b.streams {
		st := &b.streams[s]
		tail := b.tail(st)
		for g := tail; g < st.head; g++ {
			v := b.isValid(st, g, tail, st.head)
			if v != (b.flags[b.slot(st, g)]&fValid != 0) {
				return errors.New("a valid flag disagrees with the recomputation")
			}
			if v {
				n++
			}
		}
	}
	if n != b.valid {
		return errors.New("Len disagrees with the flags")
	}
	if b.tree != nil {
		for i := range b.cfg.Capacity {
			if (b.tree.get(i) > 0) != (b.flags[i]&fValid != 0) {
				return errors.New("the sum tree disagrees with the flags")
			}
		}
	}
	return nil
}

// exercise uses a loaded buffer as a trainer would; nothing may panic.
func exercise(t *testing.T, b *Buffer) {
	if err := checkInvariants(b); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	batch := NewBatch(4, b.cfg.ObsSize)
	if b.Len() > 0 {
		b.Sample(rng, batch)
		b.UpdatePriorities(batch.Indices, []float32{1, 2, 3, 4})
	}
	b.EndEpisode()
	w := newWorld(t, b.cfg, 5, 0.3)
	for range b.cfg.Capacity + 3 {
		w.add(b)
	}
	b.Sample(rng, batch)
	if err := checkInvariants(b); err != nil {
		t.Fatal(err)
	}
}

// FuzzLoad feeds arbitrary files to Decode: errors, never panics, and a file
// that loads gives a working buffer.
func FuzzLoad(f *testing.F) {
	for _, g := range goldens {
		data, err := os.ReadFile(filepath.Join("testdata", g.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), data)
		f.Add(uint8(1), data[:len(data)/2])
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		b, err := New(goldens[int(which)%len(goldens)].cfg)
		if err != nil {
			t.Fatal(err)
		}
		if decode(b, data) != nil {
			if b.Len() != 0 {
				t.Fatal("a failed load left data behind")
			}
			return
		}
		exercise(t, b)
	})
}

// FuzzSections wraps arbitrary section payloads in a well-formed container
// with a valid checksum, to reach the checks behind it: sizes, the meta
// JSON, the episode structure and the priorities.
func FuzzSections(f *testing.F) {
	for gi, g := range goldens {
		data, err := os.ReadFile(filepath.Join("testdata", g.file))
		if err != nil {
			f.Fatal(err)
		}
		r, _ := ckpt.NewReader(bytes.NewReader(data), int64(len(data)))
		var s [4][]byte
		for i := 0; ; i++ {
			if _, _, err := r.Next(); err != nil {
				break
			}
			s[i], _ = r.ReadAll(1 << 20)
		}
		f.Add(uint8(gi), s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, which uint8, meta, frames, slots, prio []byte) {
		g := goldens[int(which)%len(goldens)]
		var buf bytes.Buffer
		w := ckpt.NewWriter(&buf)
		w.Bytes("replay.meta", meta)
		w.Bytes("replay.frames", frames)
		w.Bytes("replay.slots", slots)
		if g.cfg.Prioritized != nil {
			w.Bytes("replay.priorities", prio)
		}
		w.Close()
		b, _ := New(g.cfg)
		if decode(b, buf.Bytes()) != nil {
			if b.Len() != 0 {
				t.Fatal("a failed load left data behind")
			}
			return
		}
		exercise(t, b)
	})
}

// TestLoadRejectsInconsistent: files with a valid checksum but contents that
// contradict each other are refused with an error naming the problem.
func TestLoadRejectsInconsistent(t *testing.T) {
	g := goldens[1]
	data, _ := os.ReadFile(filepath.Join("testdata", g.file))
	r, _ := ckpt.NewReader(bytes.NewReader(data), int64(len(data)))
	var sec [4][]byte
	for i := 0; ; i++ {
		if _, _, err := r.Next(); err != nil {
			break
		}
		sec[i], _ = r.ReadAll(1 << 20)
	}
	ref, _ := New(g.cfg)
	if err := decode(ref, data); err != nil {
		t.Fatal(err)
	}
	n := g.cfg.Capacity
	// Slot indices (not sequence numbers) of a sampleable transition and of
	// a slot without a step, away from the oldest slot.
	st := &ref.streams[0]
	tailIdx := ref.slot(st, ref.tail(st))
	step, nonStep := -1, -1
	for i := range n {
		if i == tailIdx || i == ref.slot(st, ref.tail(st)+1) {
			continue
		}
		if ref.flags[i]&fValid != 0 && step < 0 {
			step = i
		}
		if ref.flags[i] == 0 && i != ref.slot(st, st.head-1) && nonStep < 0 {
			nonStep = i
		}
	}
	if step < 0 || nonStep < 0 {
		t.Fatal("the golden buffer lacks the slots this test needs")
	}
	actions, rewards, flags, pos := 0, 4*n, 8*n, 9*n
	for _, c := range []struct {
		name, want string
		edit       func(s *[4][]byte)
	}{
		{"unknown flag", "unknown flags", func(s *[4][]byte) { s[2][flags+step] |= 0x80 }},
		{"end without step", "without a step", func(s *[4][]byte) { s[2][flags+nonStep] = fTerm }},
		{"position", "position", func(s *[4][]byte) { s[2][pos+step]++ }},
		{"action", "negative action", func(s *[4][]byte) { s[2][actions+4*step+3] = 0x80 }},
		{"reward", "reward", func(s *[4][]byte) { copy(s[2][rewards+4*step:], []byte{0, 0, 0xc0, 0x7f}) }},
		{"priority", "priority", func(s *[4][]byte) { copy(s[3][8*step:], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}) }},
		{"zero priority", "priority", func(s *[4][]byte) { clear(s[3][8*step : 8*step+8]) }},
		{"head", "head", func(s *[4][]byte) { s[0] = bytes.Replace(s[0], []byte(`"heads":[`), []byte(`"heads":[-`), 1) }},
		{"max priority", "max_priority", func(s *[4][]byte) {
			s[0] = regexp.MustCompile(`"max_priority":[0-9.e+-]+`).ReplaceAll(s[0], []byte(`"max_priority":0.5`))
		}},
		{"unknown field", "unknown field", func(s *[4][]byte) { s[0] = bytes.Replace(s[0], []byte(`{`), []byte(`{"x":1,`), 1) }},
		{"format", "format", func(s *[4][]byte) { s[0] = bytes.Replace(s[0], []byte(`deepq-replay`), []byte(`deepq-agent`), 1) }},
		{"version", "version", func(s *[4][]byte) { s[0] = bytes.Replace(s[0], []byte(`"version":1`), []byte(`"version":2`), 1) }},
		{"open", "open episode", func(s *[4][]byte) {
			if o := []byte(`"open":[true]`); bytes.Contains(s[0], o) {
				s[0] = bytes.Replace(s[0], o, []byte(`"open":[false]`), 1)
			} else {
				s[0] = bytes.Replace(s[0], []byte(`"open":[false]`), o, 1)
			}
		}},
		{"size", "bytes, want", func(s *[4][]byte) { s[1] = s[1][:len(s[1])-1] }},
	} {
		s := sec
		for i := range s {
			s[i] = bytes.Clone(sec[i])
		}
		c.edit(&s)
		var buf bytes.Buffer
		w := ckpt.NewWriter(&buf)
		for i, name := range []string{"replay.meta", "replay.frames", "replay.slots", "replay.priorities"} {
			w.Bytes(name, s[i])
		}
		w.Close()
		b, _ := New(g.cfg)
		if err := decode(b, buf.Bytes()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one about %q", c.name, err, c.want)
		}
	}
}
