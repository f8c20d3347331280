package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deepq/deepq/internal/half"
)

// step is one environment step as the trainer sees it, with stacked
// observations built by a reference frame-stack wrapper.
type step struct {
	obs, next []float32
	action    int
	reward    float64
	term      bool
	trunc     bool // truncated, or cut by EndEpisode after this step
	episode   int
	pos       int   // steps since the episode's first observation
	slot      int64 // sequence number of the slot of obs, counted independently
}

// world generates episodes of random lengths, feeds them to a buffer exactly
// as the trainer does (next of the final step, then a reset), and keeps the
// whole stream so that every transition can be reconstructed from it.
type world struct {
	t       *testing.T
	rng     *rand.Rand
	cfg     Config
	stream  int   // the buffer stream it adds to
	ring    int64 // slots of its stream's ring
	frame   int   // elements per frame
	steps   []step
	stack   []float32 // the wrapper's current stacked observation
	open    bool
	slots   int64 // slots the buffer should have written
	episode int
	pos     int
	endProb float64 // per-step probability that the episode ends
}

func newWorld(t *testing.T, cfg Config, seed uint64, endProb float64) *world {
	return &world{t: t, rng: rand.New(rand.NewPCG(seed, 7)), cfg: cfg, frame: cfg.ObsSize / cfg.FrameStack, endProb: endProb,
		ring: int64(cfg.Capacity / cfg.Streams)}
}

// newFrame draws a frame the storage holds: exactly, or for the 16-bit
// float storages values over six decades (below float16's 65504) that they
// round.
func (w *world) newFrame() []float32 {
	f := make([]float32, w.frame)
	for i := range f {
		switch w.cfg.Storage {
		case Float32:
			f[i] = float32(w.rng.NormFloat64())
		case Uint8:
			f[i] = float32(w.rng.IntN(256))
		case Bits:
			f[i] = float32(w.rng.IntN(2))
		case Float16, BF16:
			f[i] = float32(w.rng.NormFloat64() * math.Pow(10, 6*w.rng.Float64()-3))
		}
	}
	return f
}

// stored returns x as the storage gives it back: rounded to float16 or
// bfloat16 (by package half, tested on its own), else unchanged.
func (w *world) stored(x []float32) []float32 {
	out := slices.Clone(x)
	for i, v := range out {
		switch w.cfg.Storage {
		case Float16:
			out[i] = half.F16Round(v)
		case BF16:
			out[i] = half.BF16Round(v)
		}
	}
	return out
}

// reset is the frame-stack wrapper's reset: K copies of the first frame.
func (w *world) reset() {
	f := w.newFrame()
	w.stack = make([]float32, 0, w.cfg.ObsSize)
	for range w.cfg.FrameStack {
		w.stack = append(w.stack, f...)
	}
}

// advance is the wrapper's step: drop the oldest frame, append a new one.
func (w *world) advance() []float32 {
	next := append(slices.Clone(w.stack[w.frame:]), w.newFrame()...)
	return next
}

// add plays one step into b.
func (w *world) add(b *Buffer) {
	if !w.open {
		w.reset()
	}
	next := w.advance()
	action := w.rng.IntN(5)
	reward := math.Round(w.rng.NormFloat64()*100) / 8
	var term, trunc bool
	if w.rng.Float64() < w.endProb {
		switch w.rng.IntN(4) {
		case 0, 1:
			term = true
		case 2:
			trunc = true
		case 3:
			term, trunc = true, true // Gymnasium allows both; termination wins
		}
	}
	b.AddStream(w.stream, w.stack, action, reward, next, term, trunc)
	w.record(w.stored(w.stack), action, reward, w.stored(next), term, trunc)
	w.stack = next
}

// record appends a step added to the buffer to the stream, counting slots
// as the buffer should: one for each episode's first observation, one for
// each s′.
func (w *world) record(obs []float32, action int, reward float64, next []float32, term, trunc bool) {
	if !w.open {
		w.episode++
		w.pos = 0
		w.slots++
		w.open = true
	}
	w.steps = append(w.steps, step{obs: slices.Clone(obs), next: slices.Clone(next), action: action, reward: reward,
		term: term, trunc: trunc, episode: w.episode, pos: w.pos, slot: w.slots - 1})
	w.slots++
	w.pos++
	if term || trunc {
		w.open = false
	}
}

// abandon ends every stream's open episode with EndEpisode, as a stopped run
// does.
func abandon(b *Buffer, ws []*world) {
	b.EndEpisode()
	for _, w := range ws {
		if w.open {
			w.steps[len(w.steps)-1].trunc = true
			w.open = false
		}
	}
}

// want reconstructs the sample of the transition of step i from the stream:
// s, a, the n-step return, s_{t+m}, whether it terminated, the discount.
type sample struct {
	obs, next []float32
	action    int32
	reward    float32
	term      bool
	discount  float32
}

func (w *world) want(i int) (sample, bool) {
	s := w.steps[i]
	out := sample{obs: s.obs, action: int32(s.action)}
	var r float64
	g := 1.0
	for j := range w.cfg.NStep {
		if i+j >= len(w.steps) {
			return out, false // window not complete
		}
		t := w.steps[i+j]
		r += g * float64(float32(t.reward))
		g *= w.cfg.Gamma
		out.next = t.next
		if t.term || t.trunc {
			out.term = t.term
			break
		}
		if j == w.cfg.NStep-1 {
			break
		}
		if i+j+1 >= len(w.steps) || w.steps[i+j+1].episode != s.episode {
			return out, false // the episode is open and its next step not yet taken
		}
	}
	out.reward = float32(r)
	if !out.term {
		out.discount = float32(g)
	}
	return out, true
}

// sampleable lists the steps whose transitions the buffer must offer, by
// their Batch index: those whose stacks' frames are among the last slots
// written to the stream's ring and whose n-step windows are complete.
func (w *world) sampleable(m map[int]ref) {
	tail := max(0, w.slots-w.ring)
	for i := len(w.steps) - 1; i >= 0; i-- {
		s := w.steps[i]
		if s.slot < tail {
			break
		}
		if s.slot-int64(min(w.cfg.FrameStack-1, s.pos)) < tail {
			continue
		}
		if _, ok := w.want(i); ok {
			m[int(s.slot)*w.cfg.Streams+w.stream] = ref{w, i}
		}
	}
}

// ref names step i of world w.
type ref struct {
	w *world
	i int
}

func equalBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// check samples b and compares every row with the stream.
func (w *world) check(b *Buffer, rng *rand.Rand, batch *Batch, seen map[int]bool) {
	w.t.Helper()
	checkWorlds(w.t, []*world{w}, b, rng, batch, seen)
}

// checkWorlds samples b, fed by the worlds, and compares every row with the
// stream it came from; seen collects the sampled indices.
func checkWorlds(t *testing.T, ws []*world, b *Buffer, rng *rand.Rand, batch *Batch, seen map[int]bool) {
	t.Helper()
	ok := map[int]ref{}
	steps := 0
	for _, w := range ws {
		w.sampleable(ok)
		steps += len(w.steps)
	}
	if b.Len() != len(ok) {
		t.Fatalf("after %d steps: Len = %d, want %d", steps, b.Len(), len(ok))
	}
	if len(ok) == 0 {
		return
	}
	b.Sample(rng, batch)
	d := ws[0].cfg.ObsSize
	for k := range batch.Size() {
		r, found := ok[batch.Indices[k]]
		if !found {
			t.Fatalf("after %d steps: sampled index %d, which holds no sampleable transition", steps, batch.Indices[k])
		}
		seen[batch.Indices[k]] = true
		w, i := r.w, r.i
		want, _ := w.want(i)
		got := sample{
			obs: batch.Obs[k*d : (k+1)*d], next: batch.NextObs[k*d : (k+1)*d], action: batch.Actions[k],
			reward: batch.Rewards[k], term: batch.Terminated[k], discount: batch.Discounts[k],
		}
		if !equalBits(got.obs, want.obs) || !equalBits(got.next, want.next) || got.action != want.action ||
			got.reward != want.reward || got.term != want.term || got.discount != want.discount {
			t.Fatalf("after %d steps, stream %d step %d (episode %d, pos %d):\n got a=%d R=%v term=%v discount=%v s=%v s′=%v\nwant a=%d R=%v term=%v discount=%v s=%v s′=%v",
				steps, w.stream, i, w.steps[i].episode, w.steps[i].pos,
				got.action, got.reward, got.term, got.discount, brief(got.obs), brief(got.next),
				want.action, want.reward, want.term, want.discount, brief(want.obs), brief(want.next))
		}
		if wt := batch.Weights[k]; !(wt > 0 && wt <= 1) || (!b.Prioritized() && wt != 1) {
			t.Fatalf("weight %v", wt)
		}
	}
}

func brief(v []float32) string {
	if len(v) > 12 {
		return fmt.Sprint(v[:12]) + "…"
	}
	return fmt.Sprint(v)
}

// TestSamplesMatchStream is the property test: over random episode lengths
// (including episodes longer than the ring), terminations, truncations and
// abandoned episodes, with the ring wrapping many times, every sampled
// (s, a, R, s′, done, discount) equals the one reconstructed from the stream of
// added steps, Len equals the number of transitions whose data is complete,
// and sampling reaches all of them.
func TestSamplesMatchStream(t *testing.T) {
	type tc struct {
		storage    Storage
		frame, k   int
		n          int
		per        bool
		streams    int
		capacity   int // per stream
		endProb    float64
		abandonPct float64
	}
	var cases []tc
	for _, st := range []struct {
		s     Storage
		frame int
	}{{Float32, 4}, {Uint8, 12}, {Bits, 21}, {Float16, 5}, {BF16, 3}} {
		for _, k := range []int{1, 4} {
			for _, n := range []int{1, 3} {
				for _, per := range []bool{false, true} {
					if (st.s == Float16 || st.s == BF16) && (n == 1 || per) {
						continue // the rounding storages share the rest with the exact ones
					}
					cases = append(cases,
						tc{st.s, st.frame, k, n, per, 1, 29, 0.3, 0.02},  // short episodes
						tc{st.s, st.frame, k, n, per, 1, 41, 0.02, 0.01}, // episodes longer than the ring
						tc{st.s, st.frame, k, n, per, 3, 23, 0.1, 0.01},  // a vector env of 3
					)
				}
			}
		}
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/K=%d/n=%d/per=%v/streams=%d/cap=%d", c.storage, c.k, c.n, c.per, c.streams, c.capacity)
		t.Run(name, func(t *testing.T) {
			cfg := Config{Capacity: c.streams * c.capacity, ObsSize: c.frame * c.k, FrameStack: c.k, Storage: c.storage,
				Gamma: 0.9, NStep: c.n, Streams: c.streams}
			if c.per {
				cfg.Prioritized = &Prioritized{Alpha: 0.7, Beta0: 0.4, BetaSteps: 500, Eps: 0.01}
			}
			b, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var ws []*world
			for s := range c.streams {
				w := newWorld(t, cfg, uint64(len(name)+s), c.endProb)
				w.stream = s
				ws = append(ws, w)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			batch := NewBatch(16, cfg.ObsSize)
			td := make([]float32, batch.Size())
			seen := map[int]bool{}
			for range 1500 * c.streams {
				ws[rng.IntN(c.streams)].add(b) // the copies' steps interleave in any order
				if rng.Float64() < c.abandonPct {
					abandon(b, ws)
				}
				checkWorlds(t, ws, b, rng, batch, seen)
				if c.per {
					for i := range td {
						td[i] = float32(rng.NormFloat64())
					}
					if err := b.UpdatePriorities(batch.Indices, td); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Sample the final contents until every transition was drawn.
			final := map[int]bool{}
			for range 400 * c.streams {
				checkWorlds(t, ws, b, rng, batch, final)
			}
			if len(final) != b.Len() {
				t.Errorf("sampling reached %d of the %d transitions", len(final), b.Len())
			}
			if len(seen) < 1000*c.streams {
				t.Errorf("only %d distinct transitions sampled over the run", len(seen))
			}
		})
	}
}

// TestEpisodeEnds spells out the cases that replays get wrong, on a
// CartPole-like stream with γ = 0.5 and n = 3.
func TestEpisodeEnds(t *testing.T) {
	cfg := DefaultConfig(1)
	cfg.Capacity, cfg.Gamma, cfg.NStep = 8, 0.5, 3
	b, _ := New(cfg)
	o := func(v float32) []float32 { return []float32{v} }
	// Episode 1: 10 → 11 → 12, truncated at 12 (time limit).
	b.Add(o(10), 0, 1, o(11), false, false)
	b.Add(o(11), 1, 2, o(12), false, true)
	// Episode 2: 20 → 21, terminated.
	b.Add(o(20), 2, 4, o(21), true, false)
	// Episode 3: 30 → 31 → 32 → 33 → 34, open. The ring of 8 has wrapped:
	// slots hold 12 | 20 21 | 30 31 32 33 34, and 10, 11 are gone.
	for v := float32(30); v < 34; v++ {
		b.Add(o(v), 3, 8, o(v+1), false, false)
	}
	type row struct {
		s, next       float32
		r, discount   float32
		term, present bool
	}
	want := map[float32]row{
		// 11 → 12 (its predecessor 10 is gone, and 11's own slot too).
		20: {20, 21, 4, 0, true, true},              // terminated: no bootstrap, s′ still the final obs
		30: {30, 33, 8 + 4 + 2, 0.125, false, true}, // full 3-step window
		31: {31, 34, 8 + 4 + 2, 0.125, false, true}, // window ends at the newest obs
		32: {32, 0, 0, 0, false, false},             // window open: not yet sampleable
		33: {33, 0, 0, 0, false, false},             //
		12: {12, 0, 0, 0, false, false},             // a final observation starts no transition
		11: {11, 12, 2, 0.5, false, false},          // overwritten
		10: {10, 12, 1 + 0.5*2, 0.25, false, false}, // overwritten
		21: {21, 0, 0, 0, false, false},             // final
		34: {34, 0, 0, 0, false, false},             // newest
	}
	check := func(when string, want map[float32]row) {
		t.Helper()
		n := 0
		for _, r := range want {
			if r.present {
				n++
			}
		}
		if b.Len() != n {
			t.Fatalf("%s: Len = %d, want %d", when, b.Len(), n)
		}
		got := map[float32]bool{}
		batch := NewBatch(64, 1)
		rng := rand.New(rand.NewPCG(1, 1))
		for range 10 {
			b.Sample(rng, batch)
			for k := range batch.Size() {
				s := batch.Obs[k]
				r := want[s]
				got[s] = true
				if !r.present || batch.NextObs[k] != r.next || batch.Rewards[k] != r.r || batch.Discounts[k] != r.discount || batch.Terminated[k] != r.term {
					t.Fatalf("%s: sampled s=%v s′=%v R=%v discount=%v term=%v; want %+v",
						when, s, batch.NextObs[k], batch.Rewards[k], batch.Discounts[k], batch.Terminated[k], r)
				}
			}
		}
		if len(got) != n {
			t.Fatalf("%s: sampled %d distinct transitions, want %d", when, len(got), n)
		}
	}
	check("open episode", want)
	// A run stops: the open episode is cut, and its last steps bootstrap
	// from the newest observation.
	b.EndEpisode()
	want[32] = row{32, 34, 8 + 4, 0.25, false, true}
	want[33] = row{33, 34, 8, 0.5, false, true}
	check("after EndEpisode", want)
}

func TestAddPanics(t *testing.T) {
	img := func(v ...float32) []float32 { return v }
	for _, c := range []struct {
		name string
		cfg  Config
		run  func(b *Buffer)
		msg  string
	}{
		{"length", DefaultConfig(2), func(b *Buffer) { b.Add(img(1), 0, 0, img(1, 2), false, false) }, "elements"},
		{"action", DefaultConfig(1), func(b *Buffer) { b.Add(img(1), -1, 0, img(1), false, false) }, "action"},
		{"reward", DefaultConfig(1), func(b *Buffer) { b.Add(img(1), 0, math.NaN(), img(1), false, false) }, "reward"},
		{"uint8", Config{Capacity: 4, ObsSize: 2, FrameStack: 1, Storage: Uint8, NStep: 1, Streams: 1}, func(b *Buffer) {
			b.Add(img(1, 0.5), 0, 0, img(1, 2), false, false)
		}, "element 1 is 0.5"},
		{"uint8 range", Config{Capacity: 4, ObsSize: 2, FrameStack: 1, Storage: Uint8, NStep: 1, Streams: 1}, func(b *Buffer) {
			b.Add(img(1, 2), 0, 0, img(256, 2), false, false)
		}, "element 0 is 256"},
		{"bits", Config{Capacity: 4, ObsSize: 2, FrameStack: 1, Storage: Bits, NStep: 1, Streams: 1}, func(b *Buffer) {
			b.Add(img(1, 2), 0, 0, img(1, 0), false, false)
		}, "element 1 is 2"},
		{"float16 range", Config{Capacity: 4, ObsSize: 2, FrameStack: 1, Storage: Float16, NStep: 1, Streams: 1}, func(b *Buffer) {
			b.Add(img(1, 2), 0, 0, img(1, -65520), false, false)
		}, "element 1 is -65520, which float16 storage cannot hold"},
		{"bf16 range", Config{Capacity: 4, ObsSize: 2, FrameStack: 1, Storage: BF16, NStep: 1, Streams: 1}, func(b *Buffer) {
			b.Add(img(1, 2), 0, 0, img(math.MaxFloat32, 0), false, false)
		}, "element 0 is 3.4028235e+38, which bf16 storage cannot hold"},
		{"first stack", Config{Capacity: 8, ObsSize: 2, FrameStack: 2, NStep: 1, Streams: 1}, func(b *Buffer) {
			b.Add(img(0, 1), 0, 0, img(1, 2), false, false) // zero-padded, not first-frame padded
		}, "copies of its first frame"},
		{"stream", DefaultConfig(1), func(b *Buffer) { b.AddStream(1, img(1), 0, 0, img(1), false, false) }, "stream 1 of 1"},
		{"truncation not signalled", DefaultConfig(1), func(b *Buffer) {
			b.Add(img(1), 0, 0, img(2), false, false)
			b.Add(img(7), 0, 0, img(8), false, false) // a reset obs without an episode end
		}, "does not continue"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "replay: ") || !strings.Contains(s, c.msg) {
					t.Fatalf("panic %v, want a replay: panic about %q", r, c.msg)
				}
			}()
			c.run(b)
		})
	}
}

// TestStoragePanicLeavesBufferConsistent: an observation the storage cannot
// hold is refused without corrupting what is stored.
func TestStoragePanicLeavesBufferConsistent(t *testing.T) {
	cfg := Config{Capacity: 4, ObsSize: 1, FrameStack: 1, Storage: Uint8, Gamma: 1, NStep: 1, Streams: 1}
	b, _ := New(cfg)
	add := func(s, n float32, end bool) (panicked bool) {
		defer func() { panicked = recover() != nil }()
		b.Add([]float32{s}, 0, 1, []float32{n}, end, false)
		return false
	}
	for v := float32(0); v < 6; v++ {
		add(v, v+1, false)
	}
	if !add(6, 0.5, false) {
		t.Fatal("no panic for 0.5 in uint8 storage")
	}
	batch := NewBatch(32, 1)
	b.Sample(rand.New(rand.NewPCG(1, 1)), batch)
	for k := range batch.Size() {
		if batch.NextObs[k] != batch.Obs[k]+1 {
			t.Fatalf("after the refused add: sampled %v → %v", batch.Obs[k], batch.NextObs[k])
		}
	}
	if add(6, 7, true) { // the episode goes on from 6
		t.Fatal("the buffer refused a valid add after a refused one")
	}
}

func TestConfigErrors(t *testing.T) {
	ok := DefaultConfig(4)
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"capacity", func(c *Config) { c.Capacity = 1 }},
		{"capacity", func(c *Config) { c.Capacity, c.NStep, c.FrameStack, c.ObsSize = 6, 3, 4, 4 }},
		{"obs_size", func(c *Config) { c.ObsSize = 0 }},
		{"frame_stack", func(c *Config) { c.FrameStack = 0 }},
		{"frame_stack", func(c *Config) { c.FrameStack = 3 }},
		{"storage", func(c *Config) { c.Storage = 9 }},
		{"gamma", func(c *Config) { c.Gamma = 1.5 }},
		{"gamma", func(c *Config) { c.Gamma = math.NaN() }},
		{"n_step", func(c *Config) { c.NStep = 0 }},
		{"streams", func(c *Config) { c.Streams = 0 }},
		{"multiple of streams", func(c *Config) { c.Streams = 3 }},
		{"each of the 50000 streams", func(c *Config) { c.Streams, c.NStep = 50_000, 3 }},
		{"1 TiB", func(c *Config) { c.Capacity, c.ObsSize = 1<<40, 1<<10 }},
		{"alpha", func(c *Config) { c.Prioritized = &Prioritized{Alpha: -1, Beta0: 0.4, BetaSteps: 1, Eps: 1e-6} }},
		{"beta0", func(c *Config) { c.Prioritized = &Prioritized{Alpha: 0.6, Beta0: 2, BetaSteps: 1, Eps: 1e-6} }},
		{"beta_steps", func(c *Config) { c.Prioritized = &Prioritized{Alpha: 0.6, Beta0: 0.4, Eps: 1e-6} }},
		{"eps", func(c *Config) { c.Prioritized = &Prioritized{Alpha: 0.6, Beta0: 0.4, BetaSteps: 1} }},
	} {
		cfg := ok
		c.edit(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, c.field)
		}
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
}

func TestStorageText(t *testing.T) {
	for _, s := range []Storage{Float32, Uint8, Bits, Float16, BF16} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Storage
		if err := got.UnmarshalText(b); err != nil || got != s {
			t.Errorf("%v: round trip gave %v, %v", s, got, err)
		}
	}
	var s Storage
	if err := s.UnmarshalText([]byte("int4")); err == nil {
		t.Error("int4 accepted")
	}
}

func TestSameSeedSameSample(t *testing.T) {
	for _, per := range []bool{false, true} {
		cfg := DefaultConfig(1)
		if per {
			cfg.Prioritized = DefaultPrioritized(100)
		}
		b, _ := New(cfg)
		for k := range 100 {
			b.Add([]float32{float32(k)}, 0, 0, []float32{float32(k + 1)}, k%10 == 9, false)
		}
		x, y := NewBatch(32, 1), NewBatch(32, 1)
		b.Sample(rand.New(rand.NewPCG(9, 9)), x)
		b.Sample(rand.New(rand.NewPCG(9, 9)), y)
		if !slices.Equal(x.Obs, y.Obs) || !slices.Equal(x.Weights, y.Weights) {
			t.Fatalf("per=%v: same seed, different samples", per)
		}
	}
}

// TestNoAllocation: adding, sampling and updating priorities allocate nothing.
func TestNoAllocation(t *testing.T) {
	for _, cfg := range []Config{
		{Capacity: 1000, ObsSize: 4, FrameStack: 1, Gamma: 0.99, NStep: 3, Streams: 1, Prioritized: DefaultPrioritized(1000)},
		{Capacity: 1000, ObsSize: 4 * 20, FrameStack: 4, Storage: Bits, Gamma: 0.99, NStep: 1, Streams: 1},
	} {
		b, _ := New(cfg)
		o := make([]float32, cfg.ObsSize)
		rng := rand.New(rand.NewPCG(1, 2))
		batch := NewBatch(64, cfg.ObsSize)
		td := make([]float32, 64)
		for range 10 {
			b.Add(o, 1, 1, o, false, false)
		}
		if n := testing.AllocsPerRun(100, func() {
			b.Add(o, 1, 1, o, false, false)
			b.Sample(rng, batch)
			b.UpdatePriorities(batch.Indices, td)
		}); n != 0 {
			t.Fatalf("%v allocations per add+sample+update", n)
		}
	}
}

// TestConcurrentAddSample runs one adding and one sampling goroutine, as an
// agent that acts and learns concurrently does (run with -race), and checks
// that every sampled row is a consistent stack of one episode's frames. Frame
// elements encode (episode, position) so rows can be checked on their own.
func TestConcurrentAddSample(t *testing.T) {
	t.Run("memory", func(t *testing.T) { concurrentAddSample(t, nil) })
	// On disk, 10 segments of 310 slots with a cache of 2, and Save in the
	// sampling goroutine from time to time.
	t.Run("disk", func(t *testing.T) {
		concurrentAddSample(t, &Disk{Dir: t.TempDir(), CacheBytes: 2 * 310 * 3, SegmentBytes: 4096})
	})
}

func concurrentAddSample(t *testing.T, disk *Disk) {
	const K, f, γ = 4, 3, 0.5
	cfg := Config{Capacity: 300, ObsSize: K * f, FrameStack: K, Storage: Uint8, Gamma: γ, NStep: 3, Streams: 1,
		Prioritized: DefaultPrioritized(5000)}
	if disk != nil {
		cfg.Capacity, cfg.Disk = 3100, disk
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const adds = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 1))
		frame := func(ep, pos int) []float32 { return []float32{float32(ep % 256), float32(pos), float32(pos * 7 % 256)} }
		var obs []float32
		ep, pos := 0, 0
		for range adds {
			if obs == nil {
				ep, pos = ep+1, 0
				for range K {
					obs = append(obs, frame(ep, 0)...)
				}
			}
			next := append(slices.Clone(obs[f:]), frame(ep, pos+1)...)
			term := rng.Float64() < 0.05
			trunc := pos+1 == 200
			b.Add(obs, 0, 1, next, term, trunc)
			obs, pos = next, pos+1
			if term || trunc {
				obs = nil
			}
		}
	}()
	rng := rand.New(rand.NewPCG(5, 5))
	batch := NewBatch(32, cfg.ObsSize)
	td := make([]float32, 32)
	// stack checks that row holds frames of one episode at positions
	// max(0, p−K+1+j) and returns the episode and p.
	stack := func(row []float32) (ep, p int) {
		ep, p = int(row[(K-1)*f]), int(row[(K-1)*f+1])
		for j := range K {
			q := max(0, p-(K-1-j))
			if want := []float32{float32(ep), float32(q), float32(q * 7 % 256)}; !slices.Equal(row[j*f:(j+1)*f], want) {
				t.Fatalf("inconsistent stack %v (frame %d, want %v)", row, j, want)
			}
		}
		return ep, p
	}
	for b.Len() < 100 {
		runtime.Gosched() // let the writer fill some first
	}
	samples := 0
	for ; b.Added() < adds || samples < 200; samples++ {
		b.Sample(rng, batch)
		d := cfg.ObsSize
		for i := range batch.Size() {
			e0, p0 := stack(batch.Obs[i*d : (i+1)*d])
			e1, p1 := stack(batch.NextObs[i*d : (i+1)*d])
			m := p1 - p0
			if e0 != e1 || m < 1 || m > 3 || (m < 3 && !batch.Terminated[i] && p1 != 200) {
				t.Fatalf("s at (%d, %d), s′ at (%d, %d), terminated %v", e0, p0, e1, p1, batch.Terminated[i])
			}
			wantR, g := 0.0, 1.0
			for range m {
				wantR += g
				g *= γ
			}
			if batch.Terminated[i] {
				g = 0
			}
			if batch.Rewards[i] != float32(wantR) || batch.Discounts[i] != float32(g) {
				t.Fatalf("m = %d: R = %v, discount %v", m, batch.Rewards[i], batch.Discounts[i])
			}
			td[i] = float32(rng.Float64())
		}
		if err := b.UpdatePriorities(batch.Indices, td); err != nil {
			t.Fatal(err)
		}
		if disk != nil && samples%50 == 0 {
			if err := b.Save(filepath.Join(disk.Dir, "position")); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	t.Logf("%d batches sampled while %d steps were added", samples, adds)
}
