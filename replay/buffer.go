package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Slot flags.
const (
	fStep  uint8 = 1 << iota // a transition starts here: action and reward are set, s′ is the next slot
	fTerm                    // ...and its s′ is terminal
	fTrunc                   // ...and its s′ ends the episode by truncation
	fValid                   // ...and it can be sampled (history and n-step window complete)

	fEnd   = fTerm | fTrunc
	fKnown = fStep | fTerm | fTrunc | fValid
)

// maxPos caps a slot's position in its episode; only min(pos, K−1) matters.
const maxPos = math.MaxUint8

// Buffer is an experience replay memory: rings of observation slots holding
// the streams of episodes as the agent saw them, from which it samples
// transitions (s_t, a_t, R, s_{t+m}, discount), uniformly or by priority.
//
// Each of the Streams (one per environment copy) owns a ring of
// n = Capacity/Streams slots. Slot g of a stream (counting every slot it ever
// wrote: the sequence number) lives at index g mod n of its ring and holds one
// frame, the action and reward of the step taken from it, flags, and its
// position in the episode. An episode of T steps fills T+1 consecutive slots:
// s₀ … s_{T−1}, whose steps are the transitions, and its final observation
// s_T. Slots [head−n, head) are live; slot head−1 is either the final
// observation of the last episode or, while an episode is open, its newest
// observation, whose step is not known yet.
//
// A transition at slot g can be sampled when all its data is live and final:
// its stack's frames g−min(K−1, pos) … g (never reaching before the episode's
// start: those are padded with its first frame) and its n-step window, the
// steps g … g+m−1 and the bootstrap slot g+m. Len counts these.
//
// A Buffer is safe for one goroutine adding and another sampling and updating
// priorities at the same time; every method takes its lock.
type Buffer struct {
	mu    sync.Mutex
	cfg   Config
	n     int64 // slots per stream
	k     int   // frames per observation
	fsize int   // elements per frame
	gamma float64

	// Slot i of stream s is index s·n + i of these arrays.
	frames  *frames
	actions []int32
	rewards []float32
	flags   []uint8
	pos     []uint8  // steps since the episode's first observation, capped at maxPos
	masks   []uint64 // the bootstrap mask of the slot's step (nil without Config.Masks)

	streams []stream
	valid   int   // transitions that can be sampled
	added   int64 // Add calls

	// Prioritized replay; tree is nil for a uniform buffer.
	tree      *sumMinTree
	maxP      float64 // largest p = |δ|+ε set so far, at least 1
	maxPAlpha float64 // maxP^α, the leaf of a new transition
	obsSlots  []int64 // scratch: the slots of a sample's stack of s
	nextSlots []int64 // scratch: ... and of s_{t+m}
	picks     []pick  // scratch: the transitions a Sample drew
	segs      []int32 // scratch: the disk segments they need
}

// stream is the state of one ring.
type stream struct {
	base int   // index of the ring's first slot
	head int64 // slots written so far
	open bool  // an episode is in progress; slot head−1 is its newest observation
}

// New allocates a buffer of cfg.Capacity slots. All its memory
// (MemoryBytes(cfg)) is allocated here; adding and sampling allocate nothing.
func New(cfg Config) (*Buffer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Prioritized != nil {
		p := *cfg.Prioritized // never share the caller's struct
		cfg.Prioritized = &p
	}
	if cfg.Disk != nil {
		d := *cfg.Disk
		cfg.Disk = &d
	}
	if cfg.Masks != nil {
		m := *cfg.Masks
		cfg.Masks = &m
	}
	n := cfg.Capacity
	b := &Buffer{
		cfg:       cfg,
		n:         int64(n / cfg.Streams),
		k:         cfg.FrameStack,
		fsize:     cfg.frameSize(),
		gamma:     cfg.Gamma,
		actions:   make([]int32, n),
		rewards:   make([]float32, n),
		flags:     make([]uint8, n),
		pos:       make([]uint8, n),
		streams:   make([]stream, cfg.Streams),
		obsSlots:  make([]int64, cfg.FrameStack),
		nextSlots: make([]int64, cfg.FrameStack),
	}
	if cfg.Disk == nil {
		b.frames = newFrames(cfg.Storage, cfg.frameSize(), n)
	} else {
		d, err := openDisk(cfg, b)
		if err != nil {
			return nil, err
		}
		b.frames = &frames{kind: cfg.Storage, size: cfg.frameSize(), stride: int(cfg.Storage.frameBytes(cfg.frameSize())), disk: d}
	}
	if cfg.Prioritized != nil {
		b.tree = newSumMinTree(n)
	}
	if cfg.Masks != nil {
		b.masks = make([]uint64, n)
	}
	b.reset()
	return b, nil
}

// Close releases a disk buffer's file and its reading goroutines (the buffer
// cannot be used after); it writes nothing: the state a later Load can reopen
// is the last Save's. On a buffer in memory it does nothing.
func (b *Buffer) Close() error {
	if b.frames.disk == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.frames.disk.close(); err != nil {
		return fmt.Errorf("replay: closing %s: %w", b.frames.disk.path, err)
	}
	return nil
}

// touch notes that the scalars of slot i changed, for disk storage.
func (b *Buffer) touch(i int) {
	if b.frames.disk != nil {
		b.frames.disk.touch(i)
	}
}

// reset empties the buffer (keeping its memory).
func (b *Buffer) reset() {
	for i := range b.streams {
		b.streams[i] = stream{base: i * int(b.n)}
	}
	b.valid, b.added = 0, 0
	clear(b.flags)
	if b.frames.disk != nil {
		b.frames.disk.reset()
	}
	b.maxP = 1
	if b.tree != nil {
		b.tree.clear()
		b.maxPAlpha = math.Pow(b.maxP, b.cfg.Prioritized.Alpha)
	}
}

// Config returns the buffer's configuration.
func (b *Buffer) Config() Config {
	c := b.cfg
	if c.Prioritized != nil {
		p := *c.Prioritized
		c.Prioritized = &p
	}
	if c.Disk != nil {
		d := *c.Disk
		c.Disk = &d
	}
	if c.Masks != nil {
		m := *c.Masks
		c.Masks = &m
	}
	return c
}

// Cap returns the capacity in slots.
func (b *Buffer) Cap() int { return b.cfg.Capacity }

// Len returns the number of transitions that can be sampled.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.valid
}

// Added returns the number of Add calls since New (the environment steps
// seen), which anneals β.
func (b *Buffer) Added() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.added
}

// Prioritized reports whether the buffer samples by priority.
func (b *Buffer) Prioritized() bool { return b.tree != nil }

// Beta returns the importance-sampling exponent β the next Sample uses
// (1 for a uniform buffer, whose weights are all 1).
func (b *Buffer) Beta() float64 {
	if b.tree == nil {
		return 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg.Prioritized.Beta(b.added)
}

// SizeBytes returns the memory the buffer holds, MemoryBytes(Config()) (for
// disk storage, without the file).
func (b *Buffer) SizeBytes() int64 { return MemoryBytes(b.cfg) }

// slot returns the index of sequence number g of stream st.
func (b *Buffer) slot(st *stream, g int64) int { return st.base + int(g%b.n) }

func (b *Buffer) tail(st *stream) int64 { return max(0, st.head-b.n) }

// index returns the Batch index of sequence number g of stream s.
func (b *Buffer) index(s int, g int64) int { return int(g)*len(b.streams) + s }

// Add records one environment step of stream 0 (the only one, unless
// Config.Streams > 1): from observation obs the agent took action and received
// reward (kept as float32), reaching next. terminated says next is a terminal
// state (its value is 0); truncated says the episode was cut short at next
// (by a time limit), so next is kept and bootstrapped from. After either, the
// stream's following Add starts a new episode; otherwise its obs must be this
// next.
//
// With frame stacking, obs and next are stacks of K frames, oldest first, and
// only the newest frame of each is stored; an episode's first obs must be K
// copies of its first frame.
//
// Add panics, before changing the buffer, if an observation has the wrong
// length or does not continue the open episode; it panics, leaving the
// buffer consistent, if an element does not fit the storage.
func (b *Buffer) Add(obs []float32, action int, reward float64, next []float32, terminated, truncated bool) {
	b.AddStream(0, obs, action, reward, next, terminated, truncated)
}

// AddStream is Add for stream s ∈ [0, Streams): copy s of a vector env. Each
// stream's steps must follow one another as Add requires; the streams'
// steps may interleave in any order.
func (b *Buffer) AddStream(s int, obs []float32, action int, reward float64, next []float32, terminated, truncated bool) {
	d, f := b.cfg.ObsSize, b.fsize
	if s < 0 || s >= len(b.streams) {
		panic(fmt.Sprintf("replay: stream %d of %d", s, len(b.streams)))
	}
	if len(obs) != d || len(next) != d {
		panic(fmt.Sprintf("replay: observations of %d and %d elements, want %d", len(obs), len(next), d))
	}
	if action < 0 || action > math.MaxInt32 {
		panic(fmt.Sprintf("replay: action %d out of range", action))
	}
	if math.IsNaN(reward) || math.IsInf(reward, 0) {
		panic(fmt.Sprintf("replay: reward %v is not finite", reward))
	}
	newest := obs[d-f:]
	b.mu.Lock()
	defer b.mu.Unlock()
	st := &b.streams[s]
	if !st.open {
		for j := range b.k - 1 {
			if !sameFrames(obs[j*f:(j+1)*f], newest) {
				panic(fmt.Sprintf("replay: an episode's first observation must stack %d copies of its first frame, as a frame-stack wrapper pads it; frame %d differs from the newest", b.k, j))
			}
		}
		b.write(st, newest, 0)
		st.open = true
	} else if !b.frames.equal(b.slot(st, st.head-1), newest) {
		panic(fmt.Sprintf("replay: obs does not continue stream %d's open episode (its newest frame differs from the last Add's next); "+
			"an episode's last Add must say terminated or truncated", s))
	}
	i := b.slot(st, st.head-1)
	b.write(st, next[d-f:], min(b.pos[i], maxPos-1)+1)
	// The step is recorded only once s′ is safely stored.
	fl := fStep
	if terminated {
		fl |= fTerm
	}
	if truncated {
		fl |= fTrunc
	}
	b.actions[i], b.rewards[i], b.flags[i] = int32(action), float32(reward), fl
	if b.masks != nil {
		b.masks[i] = b.cfg.Masks.draw(b.index(s, st.head-2))
	}
	b.touch(i)
	st.open = !(terminated || truncated)
	b.added++
	b.admit(st)
}

// EndEpisode closes every stream's open episode as truncated at its last
// step, which then bootstraps from the last next added. Call it when the
// environments' episodes are abandoned, e.g. when a run stops mid-episode and
// resumes with fresh ones; each stream's next Add starts a new episode.
func (b *Buffer) EndEpisode() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.streams {
		st := &b.streams[s]
		if !st.open {
			continue
		}
		st.open = false
		// The newest observation follows a step of this episode unless it is
		// the episode's first; then it stays a lone observation, never sampled.
		if b.pos[b.slot(st, st.head-1)] > 0 {
			b.flags[b.slot(st, st.head-2)] |= fTrunc
			b.touch(b.slot(st, st.head-2))
		}
		b.admit(st)
	}
}

// write stores frame in slot head of st with position p and advances head.
// Before it overwrites the oldest slot it withdraws every transition that
// needs that slot, so a panic in the frame's conversion leaves the buffer
// consistent.
func (b *Buffer) write(st *stream, frame []float32, p uint8) {
	g := st.head
	if g >= b.n {
		// The live window becomes [g+1−n, g+1): recheck the slots whose
		// stacks may reach the one overwritten.
		t := g + 1 - b.n
		for s := t - 1; s < min(t+int64(b.k)-1, g); s++ {
			if b.flags[b.slot(st, s)]&fValid != 0 && !b.isValid(st, s, t, g) {
				b.withdraw(b.slot(st, s))
			}
		}
	}
	i := b.slot(st, g)
	b.frames.put(i, frame)
	b.flags[i], b.pos[i], b.actions[i], b.rewards[i] = 0, p, 0, 0
	if b.masks != nil {
		b.masks[i] = 0
	}
	st.head = g + 1
}

// admit makes sampleable the transitions of st whose n-step windows the last
// step completed: those in the n slots before the newest.
func (b *Buffer) admit(st *stream) {
	tail := b.tail(st)
	for s := max(tail, st.head-1-int64(b.cfg.NStep)); s < st.head-1; s++ {
		i := b.slot(st, s)
		if b.flags[i]&(fStep|fValid) == fStep && b.isValid(st, s, tail, st.head) {
			b.flags[i] |= fValid
			b.valid++
			if b.tree != nil {
				b.tree.set(i, b.maxPAlpha)
			}
		}
	}
}

// withdraw makes the transition at index i unsampleable.
func (b *Buffer) withdraw(i int) {
	b.flags[i] &^= fValid
	b.valid--
	if b.tree != nil {
		b.tree.set(i, 0)
	}
}

// isValid reports whether the transition at sequence number s of st can be
// sampled when the live slots are [tail, head): s is a step, its stack's
// frames are live, and its n-step window is complete.
func (b *Buffer) isValid(st *stream, s, tail, head int64) bool {
	if s < tail || s >= head {
		return false
	}
	i := b.slot(st, s)
	if b.flags[i]&fStep == 0 || s-b.history(i) < tail {
		return false
	}
	for j := range int64(b.cfg.NStep) {
		t := s + j
		if t+1 >= head {
			return false // s_{t+1} not written (cannot happen for a stored step; guards loaded data)
		}
		f := b.flags[b.slot(st, t)]
		if f&fStep == 0 {
			return false // slot t is the open episode's newest observation: window not complete
		}
		if f&fEnd != 0 {
			return true
		}
	}
	return true
}

// history returns how many frames before index i its stack reaches back:
// min(K−1, pos).
func (b *Buffer) history(i int) int64 { return int64(min(b.k-1, int(b.pos[i]))) }

// Sample fills batch with transitions drawn with replacement, using rng only:
// uniformly from the Len() that can be sampled, or in proportion to their
// priorities pᵢ^α if the buffer is prioritized (stratified: sample i's mass is
// drawn from the i-th of B equal parts of the total). It panics if the buffer
// holds no transition that can be sampled or batch was made for another
// observation size.
func (b *Buffer) Sample(rng *rand.Rand, batch *Batch) {
	d := b.cfg.ObsSize
	B := batch.Size()
	if len(batch.Obs) != B*d || len(batch.NextObs) != B*d {
		panic(fmt.Sprintf("replay: batch was made for another observation size (want %d elements)", d))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.valid == 0 {
		panic("replay: Sample from a buffer with no complete transition")
	}
	if len(b.picks) < B {
		b.picks = make([]pick, B)
	}
	picks := b.picks[:B]
	if b.tree == nil {
		// Uniform over the live slots of all streams, retrying those that
		// hold no sampleable transition.
		var live int64
		for i := range b.streams {
			live += b.streams[i].head - b.tail(&b.streams[i])
		}
		for k := range B {
			for {
				r := rng.Int64N(live)
				s := 0
				for ; ; s++ {
					st := &b.streams[s]
					if n := st.head - b.tail(st); r >= n {
						r -= n
						continue
					}
					break
				}
				st := &b.streams[s]
				if g := b.tail(st) + r; b.flags[b.slot(st, g)]&fValid != 0 {
					picks[k] = pick{s, g, 1}
					break
				}
			}
		}
	} else {
		beta := b.cfg.Prioritized.Beta(b.added)
		total, pmin := b.tree.total(), b.tree.minimum()
		part := total / float64(B)
		for k := range B {
			i := b.tree.find((float64(k) + rng.Float64()) * part)
			s := i / int(b.n)
			st := &b.streams[s]
			// The sequence number whose slot is i: in the newest lap of the
			// ring, or the one before.
			g := st.head - 1 - (st.head-1)%b.n + int64(i-st.base)
			if g >= st.head {
				g -= b.n
			}
			picks[k] = pick{s, g, float32(math.Pow(pmin/b.tree.get(i), beta))}
		}
	}
	if b.frames.disk != nil {
		b.prefetch(picks)
	}
	for k, p := range picks {
		batch.Weights[k] = p.weight
		b.fill(batch, k, p.stream, p.seq)
	}
}

// pick is a transition Sample drew: stream, sequence number and weight.
type pick struct {
	stream int
	seq    int64
	weight float32
}

// prefetch has the disk store read in parallel the segments the picked
// transitions' frames lie in: the slots g−K+1 … g+n of each (within the
// live window), which hold its stack and that of its s_{t+m}.
func (b *Buffer) prefetch(picks []pick) {
	d := b.frames.disk
	segs := b.segs[:0]
	for _, p := range picks {
		st := &b.streams[p.stream]
		lo := max(p.seq-int64(b.k-1), b.tail(st))
		hi := min(p.seq+int64(b.cfg.NStep), st.head-1)
		last := int32(-1)
		for g := lo; g <= hi; g++ {
			if L := int32(b.slot(st, g) / d.S); L != last {
				segs, last = append(segs, L), L
			}
		}
	}
	b.segs = segs
	d.prefetch(segs)
}

// fill writes the transition at sequence number g of stream s into row k of
// batch.
func (b *Buffer) fill(batch *Batch, k int, s int, g int64) {
	st := &b.streams[s]
	i := b.slot(st, g)
	batch.Indices[k] = b.index(s, g)
	batch.Actions[k] = b.actions[i]
	if b.masks != nil {
		batch.Masks[k] = b.masks[i]
	} else if batch.Masks != nil {
		batch.Masks[k] = 0
	}
	// n-step return, cut at the episode's end.
	var r float64
	γk := 1.0 // γ^j
	m := int64(0)
	term := false
	for j := range int64(b.cfg.NStep) {
		t := b.slot(st, g+j)
		r += γk * float64(b.rewards[t])
		γk *= b.gamma
		m = j + 1
		if f := b.flags[t]; f&fEnd != 0 {
			term = f&fTerm != 0
			break
		}
	}
	batch.Rewards[k] = float32(r)
	batch.Terminated[k] = term
	if term {
		batch.Discounts[k] = 0
	} else {
		batch.Discounts[k] = float32(γk)
	}
	d, f := b.cfg.ObsSize, b.fsize
	obs, next := batch.Obs[k*d:(k+1)*d], batch.NextObs[k*d:(k+1)*d]
	if b.k == 1 {
		b.frames.get(i, obs)
		b.frames.get(b.slot(st, g+m), next)
		return
	}
	// Stacks: frame j of the observation at slot u is slot u − min(K−1−j, pos(u)).
	e := g + m
	hs, he := b.history(i), b.history(b.slot(st, e))
	K := int64(b.k)
	for j := range K {
		b.obsSlots[j] = g - min(K-1-j, hs)
		b.nextSlots[j] = e - min(K-1-j, he)
	}
	for j := range b.k {
		dst := obs[j*f : (j+1)*f]
		if j > 0 && b.obsSlots[j] == b.obsSlots[j-1] {
			copy(dst, obs[(j-1)*f:j*f]) // padding: same frame as the previous
		} else {
			b.frames.get(b.slot(st, b.obsSlots[j]), dst)
		}
	}
	for j := range b.k {
		dst := next[j*f : (j+1)*f]
		src := -1
		for jj := b.k - 1; jj >= 0; jj-- {
			if b.obsSlots[jj] == b.nextSlots[j] {
				src = jj
				break
			}
		}
		switch {
		case src >= 0:
			copy(dst, obs[src*f:(src+1)*f])
		case j > 0 && b.nextSlots[j] == b.nextSlots[j-1]:
			copy(dst, next[(j-1)*f:j*f])
		default:
			b.frames.get(b.slot(st, b.nextSlots[j]), dst)
		}
	}
}

// UpdatePriorities sets the priority of each transition indices[i] (from
// Batch.Indices) to pᵢ = |tdErrors[i]| + ε, sampled with weight pᵢ^α from now
// on; a transition sampled twice in the batch keeps its last TD error.
// Transitions that have left the buffer since they were sampled are skipped
// (their slots may hold newer ones). On a uniform buffer it does nothing.
//
// It returns an error, changing nothing, if a TD error is not finite; it
// panics if the slices differ in length.
func (b *Buffer) UpdatePriorities(indices []int, tdErrors []float32) error {
	if len(indices) != len(tdErrors) {
		panic(fmt.Sprintf("replay: %d indices and %d TD errors", len(indices), len(tdErrors)))
	}
	if b.tree == nil {
		return nil
	}
	for k, δ := range tdErrors {
		if math.IsNaN(float64(δ)) || math.IsInf(float64(δ), 0) {
			return fmt.Errorf("replay: TD error of transition %d (batch row %d) is %v; priorities unchanged", indices[k], k, δ)
		}
	}
	p := b.cfg.Prioritized
	b.mu.Lock()
	defer b.mu.Unlock()
	S := len(b.streams)
	for k, idx := range indices {
		if idx < 0 {
			continue
		}
		st, g := &b.streams[idx%S], int64(idx/S)
		if g < b.tail(st) || g >= st.head {
			continue
		}
		i := b.slot(st, g)
		if b.flags[i]&fValid == 0 {
			continue
		}
		pi := math.Abs(float64(tdErrors[k])) + p.Eps
		if pi > b.maxP {
			b.maxP = pi
			b.maxPAlpha = math.Pow(pi, p.Alpha)
		}
		b.tree.set(i, math.Pow(pi, p.Alpha))
	}
	return nil
}
