package replay

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// seqCfg is a small configuration: sequences of 4 trained steps every 2
// steps, after up to 2 steps of burn-in (T = 6), 2-element observations and
// a state of width 3.
func seqCfg() SequenceConfig {
	c := DefaultSequenceConfig(2, 3)
	c.Capacity, c.Length, c.BurnIn, c.Period = 64, 4, 2, 2
	return c
}

// stepOf returns step t of episode ep as an actor would add it: observation
// (ep, t), state h = (t, t, t), c = (−t, …), action t%3, reward 10·t, next
// observation (ep, t+1).
func stepOf(ep, t int, H int, end int, terminal bool) SequenceStep {
	st := SequenceStep{
		Obs: []float32{float32(ep), float32(t)}, Next: []float32{float32(ep), float32(t + 1)},
		H: make([]float32, H), C: make([]float32, H),
		Action: t % 3, Reward: 10 * float64(t),
	}
	for j := range H {
		st.H[j], st.C[j] = float32(t), -float32(t)
	}
	if t == end-1 {
		st.Terminated, st.Truncated = terminal, !terminal
	}
	return st
}

// stored is one stored sequence read back from its slot.
type stored struct {
	obsSteps        []int // the step number of each observation row up to the first zero row
	actions         []int32
	rewards         []float32
	term, valid     []uint8
	burnIn          int
	h, c            []float32
	zeroRowsFrom    int
	episodeOfRows0  float32
	finalObsStepRow float32
}

func readSlot(b *SequenceBuffer, g int64) stored {
	i := int(g % int64(b.cfg.Capacity))
	T, d, H := b.T, b.cfg.ObsSize, b.cfg.Hidden
	obs := b.obs[i*(T+1)*d : (i+1)*(T+1)*d]
	s := stored{
		actions: slices.Clone(b.actions[i*T : (i+1)*T]), rewards: slices.Clone(b.rewards[i*T : (i+1)*T]),
		term: slices.Clone(b.terminated[i*T : (i+1)*T]), valid: slices.Clone(b.valid[i*T : (i+1)*T]),
		burnIn: int(b.burnIn[i]), h: slices.Clone(b.h[i*H : (i+1)*H]), c: slices.Clone(b.c[i*H : (i+1)*H]),
		zeroRowsFrom: T + 1, episodeOfRows0: obs[0],
	}
	for r := 0; r <= T; r++ {
		if obs[r*d] == 0 && obs[r*d+1] == 0 {
			s.zeroRowsFrom = r
			break
		}
		s.obsSteps = append(s.obsSteps, int(obs[r*d+1]))
	}
	return s
}

func seqRange(a, b int) []int {
	var r []int
	for t := a; t < b; t++ {
		r = append(r, t)
	}
	return r
}

// TestSequenceCutting adds episodes of several lengths and checks every
// stored sequence: which steps it holds (overlapping by Length − Period),
// its burn-in, the next/final observation row, padding after the episode's
// end, the per-step valid and terminal flags, the state stored at its first
// row, and when it is stored.
func TestSequenceCutting(t *testing.T) {
	for _, c := range []struct {
		length   int
		terminal bool
		// want: per sequence, the first and last+1 step of its rows and its burn-in
		want [][3]int
	}{
		{9, true, [][3]int{{0, 4, 0}, {0, 6, 2}, {2, 8, 2}, {4, 9, 2}, {6, 9, 2}}},
		{9, false, [][3]int{{0, 4, 0}, {0, 6, 2}, {2, 8, 2}, {4, 9, 2}, {6, 9, 2}}},
		{3, true, [][3]int{{0, 3, 0}, {0, 3, 2}}},
		{1, false, [][3]int{{0, 1, 0}}},
		{8, true, [][3]int{{0, 4, 0}, {0, 6, 2}, {2, 8, 2}, {4, 8, 2}}},
		{10, true, [][3]int{{0, 4, 0}, {0, 6, 2}, {2, 8, 2}, {4, 10, 2}, {6, 10, 2}}},
	} {
		cfg := seqCfg()
		b, err := NewSequenceBuffer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		H, T := cfg.Hidden, cfg.Steps()
		// Episode 1 then episode 2, so that sequences never mix episodes.
		for ep := 1; ep <= 2; ep++ {
			before := b.Added()
			for s := range c.length {
				b.Add(0, stepOf(ep, s, H, c.length, c.terminal))
				// A sequence is stored once its last trained step is added:
				// after step kP + Length − 1, or at the episode's end.
				want := int64(0)
				for k := range len(c.want) {
					if k*cfg.Period+cfg.Length-1 <= s || s == c.length-1 {
						want++
					}
				}
				if got := b.Added() - before; got != want {
					t.Fatalf("length %d: %d sequences stored after step %d, want %d", c.length, got, s, want)
				}
			}
			for k, w := range c.want {
				g := before + int64(k)
				s := readSlot(b, g)
				first, end, burn := w[0], w[1], w[2]
				n := end - first
				name := func(what string) string {
					return "length " + strconv.Itoa(c.length) + " episode " + strconv.Itoa(ep) + " sequence " + strconv.Itoa(k) + ": " + what
				}
				if s.episodeOfRows0 != float32(ep) {
					t.Fatalf("%s", name("holds another episode's steps"))
				}
				// Rows 0…n−1 hold steps first…end−1, row n the observation
				// after (the next step, or the final one), then zeros.
				if want := seqRange(first, end+1); !slices.Equal(s.obsSteps, want) {
					t.Fatalf("%s observation rows hold steps %v, want %v", name(""), s.obsSteps, want)
				}
				if s.burnIn != burn {
					t.Errorf("%s", name("burn-in "+strconv.Itoa(s.burnIn)+", want "+strconv.Itoa(burn)))
				}
				for r := range T {
					wantValid, wantAct, wantRew, wantTerm := uint8(0), int32(0), float32(0), uint8(0)
					if r < n {
						wantValid, wantAct, wantRew = 1, int32((first+r)%3), float32(10*(first+r))
						if c.terminal && first+r == c.length-1 {
							wantTerm = 1
						}
					}
					if s.valid[r] != wantValid || s.actions[r] != wantAct || s.rewards[r] != wantRew || s.term[r] != wantTerm {
						t.Fatalf("%s row %d: valid %d action %d reward %v terminal %d, want %d %d %v %d", name(""), r,
							s.valid[r], s.actions[r], s.rewards[r], s.term[r], wantValid, wantAct, wantRew, wantTerm)
					}
				}
				for j := range H {
					if s.h[j] != float32(first) || s.c[j] != -float32(first) {
						t.Fatalf("%s stored state h %v c %v, want the state before step %d", name(""), s.h, s.c, first)
					}
				}
			}
		}
		if b.Added() != int64(2*len(c.want)) {
			t.Fatalf("length %d: %d sequences for two episodes, want %d", c.length, b.Added(), 2*len(c.want))
		}
	}
}

// TestSequenceStreams interleaves two streams step by step: each is cut on
// its own, so no sequence mixes them.
func TestSequenceStreams(t *testing.T) {
	cfg := seqCfg()
	cfg.Streams = 2
	b, err := NewSequenceBuffer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 7 {
		b.Add(0, stepOf(1, s, cfg.Hidden, 7, true))
		if s < 5 {
			b.Add(1, stepOf(2, s, cfg.Hidden, 5, false))
		}
	}
	eps := map[float32]int{}
	for g := range b.Added() {
		s := readSlot(b, g)
		eps[s.episodeOfRows0]++
		for r, step := range s.obsSteps[1:] {
			if step != s.obsSteps[r]+1 {
				t.Fatalf("sequence %d holds steps %v: not consecutive", g, s.obsSteps)
			}
		}
	}
	// 7 steps: sequences k = 0…3 (kP < 7); 5 steps: k = 0…2.
	if eps[1] != 4 || eps[2] != 3 {
		t.Fatalf("sequences per episode %v, want 4 of stream 0 and 3 of stream 1", eps)
	}
}

// TestSequencePriority checks R2D2's priority, η·max|δ| + (1−η)·mean|δ| over
// the masked steps, directly and through UpdatePriorities and sampling.
func TestSequencePriority(t *testing.T) {
	td := []float32{1, -3, 2, 100, -50}
	mask := []float32{1, 1, 1, 0, 0}
	if got, want := SequencePriority(td, mask, 0.9), 0.9*3+0.1*2; math.Abs(got-want) > 1e-12 {
		t.Fatalf("priority %v, want 0.9·3 + 0.1·2 = %v", got, want)
	}
	if got := SequencePriority(td, mask, 0); math.Abs(got-2) > 1e-12 {
		t.Fatalf("η = 0: priority %v, want the mean 2", got)
	}
	if got := SequencePriority(td, mask, 1); got != 3 {
		t.Fatalf("η = 1: priority %v, want the max 3", got)
	}
	if got := SequencePriority(td, make([]float32, 5), 0.9); got != 0 {
		t.Fatalf("no masked step: priority %v, want 0", got)
	}

	cfg := seqCfg()
	cfg.Length, cfg.Period, cfg.BurnIn = 2, 2, 0 // T = 2: one sequence per 2 steps
	b, err := NewSequenceBuffer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 6 {
		b.Add(0, stepOf(1, s, cfg.Hidden, 6, true))
	}
	if b.Added() != 3 {
		t.Fatalf("%d sequences, want 3", b.Added())
	}
	// New sequences share the largest priority so far (1 at the start).
	for g := range int64(3) {
		if b.Priority(g) != 1 {
			t.Fatalf("new sequence %d has priority %v, want 1", g, b.Priority(g))
		}
	}
	tds := []float32{1, -4, 0.5, 0.5, 2, 0}
	masks := []float32{1, 1, 1, 1, 1, 0}
	if err := b.UpdatePriorities([]int64{0, 1, 2}, tds, masks); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 3)
	for g := range 3 {
		p := 0.9 * math.Max(math.Abs(float64(tds[2*g])*float64(masks[2*g])), math.Abs(float64(tds[2*g+1])*float64(masks[2*g+1])))
		n, sum := 0.0, 0.0
		for j := 2 * g; j < 2*g+2; j++ {
			if masks[j] != 0 {
				n++
				sum += math.Abs(float64(tds[j]))
			}
		}
		p += 0.1 * sum / n
		want[g] = math.Pow(p+cfg.Eps, cfg.Alpha)
		if got := b.Priority(int64(g)); math.Abs(got-want[g]) > 1e-12*want[g] {
			t.Fatalf("sequence %d: priority^α %v, want %v", g, got, want[g])
		}
	}
	// Sampling frequencies follow p^α, weights are (min p^α / p^α)^β.
	rng := rand.New(rand.NewPCG(1, 2))
	batch := NewSequenceBatch(16, cfg)
	counts := make([]float64, 3)
	const rounds = 4000
	total := want[0] + want[1] + want[2]
	pmin := min(want[0], want[1], want[2])
	for range rounds {
		b.Sample(rng, batch)
		for k, g := range batch.Indices {
			counts[g]++
			if w := math.Pow(pmin/want[g], cfg.Beta); math.Abs(float64(batch.Weights[k])-w) > 1e-6 {
				t.Fatalf("sequence %d weight %v, want %v", g, batch.Weights[k], w)
			}
		}
	}
	n := float64(rounds * batch.Size())
	for g, c := range counts {
		p := want[g] / total
		if sigma := math.Sqrt(p * (1 - p) / n); math.Abs(c/n-p) > 5*sigma {
			t.Errorf("sequence %d drawn %.4f of the time, want %.4f ± %.4f", g, c/n, p, 5*sigma)
		}
	}
	// The largest priority goes to the next new sequence.
	for s := range 2 {
		b.Add(0, stepOf(2, s, cfg.Hidden, 2, false))
	}
	if got := b.Priority(3); got != max(1, want[0], want[1], want[2]) {
		t.Fatalf("new sequence has priority %v, want the largest so far", got)
	}
	bad := []float32{float32(math.NaN()), 0}
	if err := b.UpdatePriorities([]int64{0}, bad, []float32{1, 1}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN TD error: %v", err)
	}
	if b.Priority(0) != want[0] {
		t.Fatal("a rejected update changed a priority")
	}
	// A masked-out NaN (padding) is ignored.
	if err := b.UpdatePriorities([]int64{0}, bad, []float32{0, 1}); err != nil {
		t.Fatalf("masked NaN: %v", err)
	}
}

// TestSequenceSample checks a sampled batch against the stored sequence
// (observations, state, masks: Mask = Valid after the burn-in), that the
// same seed gives the same batch, and that overwritten sequences leave.
func TestSequenceSample(t *testing.T) {
	cfg := seqCfg()
	cfg.Capacity = 3
	b, err := NewSequenceBuffer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 9 { // 5 sequences into 3 slots
		b.Add(0, stepOf(1, s, cfg.Hidden, 9, true))
	}
	if b.Len() != 3 || b.Added() != 5 {
		t.Fatalf("Len %d Added %d, want 3 and 5", b.Len(), b.Added())
	}
	batch := NewSequenceBatch(8, cfg)
	b.Sample(rand.New(rand.NewPCG(4, 4)), batch)
	T, d, H := cfg.Steps(), cfg.ObsSize, cfg.Hidden
	for k, g := range batch.Indices {
		if g < 2 || g > 4 {
			t.Fatalf("sampled sequence %d, overwritten or never stored", g)
		}
		s := readSlot(b, g)
		if batch.BurnIn[k] != s.burnIn || !slices.Equal(batch.H[k*H:(k+1)*H], s.h) || !slices.Equal(batch.C[k*H:(k+1)*H], s.c) {
			t.Fatalf("row %d: burn-in or state differ from sequence %d", k, g)
		}
		if got := int(batch.Obs[k*(T+1)*d+1]); got != s.obsSteps[0] {
			t.Fatalf("row %d starts at step %d, sequence %d at %d", k, got, g, s.obsSteps[0])
		}
		for r := range T {
			v := float32(s.valid[r])
			m := float32(0)
			if r >= s.burnIn {
				m = v
			}
			if batch.Valid[k*T+r] != v || batch.Mask[k*T+r] != m || batch.Terminated[k*T+r] != float32(s.term[r]) {
				t.Fatalf("row %d step %d: valid %v mask %v terminated %v, want %v %v %v", k, r, batch.Valid[k*T+r], batch.Mask[k*T+r], batch.Terminated[k*T+r], v, m, s.term[r])
			}
		}
		// Steps trained: kP … kP+Length−1 of the episode, cut at its end.
		trained := 0
		for r := range T {
			trained += int(batch.Mask[k*T+r])
		}
		if first := s.obsSteps[0] + s.burnIn; trained != min(cfg.Length, 9-first) {
			t.Fatalf("sequence %d trains %d steps from step %d, want %d", g, trained, first, min(cfg.Length, 9-first))
		}
	}
	again := NewSequenceBatch(8, cfg)
	b.Sample(rand.New(rand.NewPCG(4, 4)), again)
	if !slices.Equal(again.Indices, batch.Indices) || !slices.Equal(again.Obs, batch.Obs) || !slices.Equal(again.Weights, batch.Weights) {
		t.Fatal("the same seed sampled another batch")
	}
	// Updating an overwritten sequence changes nothing.
	before := []float64{b.Priority(2), b.Priority(3), b.Priority(4)}
	if err := b.UpdatePriorities([]int64{0, 1}, make([]float32, 2*T), make([]float32, 2*T)); err != nil {
		t.Fatal(err)
	}
	if after := []float64{b.Priority(2), b.Priority(3), b.Priority(4)}; !slices.Equal(before, after) || b.Priority(0) != 0 {
		t.Fatalf("priorities %v -> %v after updating overwritten sequences", before, after)
	}
}

func TestSequenceConfigValidate(t *testing.T) {
	if err := DefaultSequenceConfig(4, 64).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		field string
		edit  func(*SequenceConfig)
	}{
		{"capacity", func(c *SequenceConfig) { c.Capacity = 0 }},
		{"obs_size", func(c *SequenceConfig) { c.ObsSize = 0 }},
		{"hidden", func(c *SequenceConfig) { c.Hidden = 0 }},
		{"length", func(c *SequenceConfig) { c.Length = 0 }},
		{"burn_in", func(c *SequenceConfig) { c.BurnIn = -1 }},
		{"period", func(c *SequenceConfig) { c.Period = 81 }},
		{"period", func(c *SequenceConfig) { c.Period = 0 }},
		{"streams", func(c *SequenceConfig) { c.Streams = 0 }},
		{"eta", func(c *SequenceConfig) { c.Eta = 1.5 }},
		{"alpha", func(c *SequenceConfig) { c.Alpha = math.NaN() }},
		{"beta", func(c *SequenceConfig) { c.Beta = -1 }},
		{"eps", func(c *SequenceConfig) { c.Eps = 0 }},
		{"bytes", func(c *SequenceConfig) { c.Capacity, c.ObsSize = 1<<30, 1<<20 }},
	} {
		cfg := DefaultSequenceConfig(4, 64)
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: Validate() = %v, want an error naming it", c.field, err)
		}
	}
}

// BenchmarkSequence measures R2D2's sequence replay (80 trained steps after
// 40 of burn-in, every 40 steps, LSTM state of 64) on CartPole-sized (2
// floats, velocities hidden) and MinAtar-sized (400 floats) observations:
// adding one step (a sequence stored every 40) and sampling a batch of 32
// sequences with their priorities updated.
func BenchmarkSequence(b *testing.B) {
	for _, c := range []struct {
		name    string
		obs     int
		episode int
	}{{"cartpole-pomdp", 2, 500}, {"minatar", 400, 1000}} {
		cfg := DefaultSequenceConfig(c.obs, 64)
		cfg.Capacity = 2000
		rng := rand.New(rand.NewPCG(1, 2))
		obs := make([]float32, c.obs)
		for i := range obs {
			obs[i] = float32(rng.NormFloat64())
		}
		h := make([]float32, 64)
		step := func(buf *SequenceBuffer, t int) {
			buf.Add(0, SequenceStep{Obs: obs, H: h, C: h, Action: t % 3, Reward: 1, Next: obs, Terminated: t%c.episode == c.episode-1})
		}
		b.Run(c.name+"/add", func(b *testing.B) {
			buf, _ := NewSequenceBuffer(cfg)
			b.ReportAllocs()
			t := 0
			for b.Loop() {
				step(buf, t)
				t++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/step")
			b.ReportMetric(float64(SequenceMemoryBytes(cfg))/float64(cfg.Capacity), "bytes/sequence")
			b.ReportMetric(0, "ns/op")
		})
		b.Run(c.name+"/sample-b32", func(b *testing.B) {
			buf, _ := NewSequenceBuffer(cfg)
			for t := range 40 * cfg.Capacity {
				step(buf, t)
			}
			batch := NewSequenceBatch(32, cfg)
			td := make([]float32, len(batch.Mask))
			for i := range td {
				td[i] = float32(rng.NormFloat64())
			}
			b.ReportAllocs()
			for b.Loop() {
				buf.Sample(rng, batch)
				if err := buf.UpdatePriorities(batch.Indices, td, batch.Mask); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/batch")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestSequenceEndEpisode: ending an episode by hand stores its remaining
// sequences as a truncation at the last step (no terminal flag, the last
// Next kept to bootstrap from), and the next Add starts a new episode.
func TestSequenceEndEpisode(t *testing.T) {
	cfg := seqCfg()
	b, _ := NewSequenceBuffer(cfg)
	for s := range 5 { // an episode of 9 steps, cut after 5
		b.Add(0, stepOf(1, s, cfg.Hidden, 9, true))
	}
	if b.Added() != 1 {
		t.Fatalf("%d sequences before EndEpisode, want 1", b.Added())
	}
	b.EndEpisode(0)
	// k = 1 (steps 0…4, trained 2…4) and k = 2 (steps 2…4, trained 4).
	if b.Added() != 3 {
		t.Fatalf("%d sequences after EndEpisode, want 3", b.Added())
	}
	for g, want := range map[int64][]int{1: seqRange(0, 6), 2: seqRange(2, 6)} {
		s := readSlot(b, g)
		if !slices.Equal(s.obsSteps, want) || slices.Contains(s.term, 1) {
			t.Fatalf("sequence %d: rows %v terminal %v, want rows %v and no terminal step", g, s.obsSteps, s.term, want)
		}
	}
	b.EndEpisode(0) // nothing pending: nothing stored
	b.Add(0, stepOf(2, 0, cfg.Hidden, 1, true))
	if s := readSlot(b, 3); b.Added() != 4 || s.episodeOfRows0 != 2 || s.burnIn != 0 || !slices.Equal(s.obsSteps, []int{0, 1}) {
		t.Fatalf("after EndEpisode the next episode is cut as %v (added %d)", s.obsSteps, b.Added())
	}
}

// TestSequenceMemoryBytes: the figure counts exactly what NewSequenceBuffer
// allocates for its sequences and tree.
func TestSequenceMemoryBytes(t *testing.T) {
	for _, cfg := range []SequenceConfig{seqCfg(), DefaultSequenceConfig(400, 128)} {
		cfg.Capacity = 37
		b, err := NewSequenceBuffer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := int64(4*(len(b.obs)+len(b.actions)+len(b.rewards)+len(b.burnIn)+len(b.h)+len(b.c)) +
			len(b.terminated) + len(b.valid) + 16*len(b.tree.nodes))
		if want := SequenceMemoryBytes(cfg); got != want {
			t.Errorf("%+v: %d bytes allocated, SequenceMemoryBytes says %d", cfg, got, want)
		}
	}
}
