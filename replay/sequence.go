package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// SequenceConfig configures a SequenceBuffer, the replay of recurrent agents
// (R2D2, Kapturowski et al. 2019). Start from DefaultSequenceConfig.
//
// Each episode is cut into sequences whose trained parts start every Period
// steps: sequence k trains on steps [kP, kP+Length) of the episode (cut at its
// end) and is preceded by up to BurnIn earlier steps of the same episode,
// which only warm up the recurrent state:
//
//	episode steps   0 … 39 | 40 … 79 | 80 … 119 | 120 …       (P = 40, Length = 80, BurnIn = 40)
//	sequence 0      train    train
//	sequence 1      burn-in  train     train
//	sequence 2               burn-in   train      train
//
// so that every step is trained Length/P times (twice with R2D2's settings:
// 80-step sequences overlapping by 40) and, except near an episode's start,
// after BurnIn steps of warm-up from the stored state. A sequence is
// stored left-aligned in T = BurnIn + Length rows: its burn-in (fewer than
// BurnIn steps near the episode's start), its trained steps, then padding
// where the episode ended first.
type SequenceConfig struct {
	// Capacity is the number of sequences kept; the oldest is overwritten.
	Capacity int `json:"capacity"`
	// ObsSize is the number of float32 elements of one observation.
	ObsSize int `json:"obs_size"`
	// Hidden is the width H of the recurrent state (h, c) stored at each
	// sequence's start (H elements each).
	Hidden int `json:"hidden"`
	// Length is the number of trained steps of a sequence (R2D2: 80).
	Length int `json:"length"`
	// BurnIn is the most steps before the trained ones that a sequence
	// carries to warm up the state (R2D2: 40; 0 for none).
	BurnIn int `json:"burn_in"`
	// Period P ∈ [1, Length] is the distance between the starts of
	// consecutive sequences' trained parts: they overlap by Length − P
	// steps (R2D2: 40).
	Period int `json:"period"`
	// Streams is the number of environment copies adding steps (a vector
	// env's N), each cut into sequences on its own.
	Streams int `json:"streams"`
	// Eta η ∈ [0, 1] mixes the max and the mean of a sequence's absolute TD
	// errors into its priority, p = η·max|δ| + (1−η)·mean|δ| (R2D2: 0.9).
	Eta float64 `json:"eta"`
	// Alpha α ≥ 0 is the priority exponent: sequence i is drawn with
	// probability pᵢ^α / Σₖ pₖ^α (R2D2: 0.9; 0 samples uniformly).
	Alpha float64 `json:"alpha"`
	// Beta β ∈ [0, 1] is the importance-sampling exponent of the weights
	// wᵢ = (minₖ pₖ^α / pᵢ^α)^β (R2D2: 0.6).
	Beta float64 `json:"beta"`
	// Eps ε > 0 is added to every priority so that none is zero.
	Eps float64 `json:"eps"`
}

// DefaultSequenceConfig returns R2D2's settings for observations of obsSize
// elements and a recurrent state of width hidden: 80 trained steps after a
// burn-in of 40, sequences every 40 steps, η = 0.9, α = 0.9, β = 0.6, and
// room for 10,000 sequences.
func DefaultSequenceConfig(obsSize, hidden int) SequenceConfig {
	return SequenceConfig{
		Capacity: 10_000, ObsSize: obsSize, Hidden: hidden,
		Length: 80, BurnIn: 40, Period: 40, Streams: 1,
		Eta: 0.9, Alpha: 0.9, Beta: 0.6, Eps: 1e-6,
	}
}

// Steps returns T = BurnIn + Length, the rows of a stored sequence.
func (c SequenceConfig) Steps() int { return c.BurnIn + c.Length }

// Validate reports the first field that is out of range.
func (c SequenceConfig) Validate() error {
	switch {
	case c.Capacity < 1:
		return fmt.Errorf("replay: sequence capacity must be at least 1, got %d", c.Capacity)
	case c.ObsSize < 1:
		return fmt.Errorf("replay: sequence obs_size must be at least 1, got %d", c.ObsSize)
	case c.Hidden < 1:
		return fmt.Errorf("replay: sequence hidden (the recurrent state's width) must be at least 1, got %d", c.Hidden)
	case c.Length < 1:
		return fmt.Errorf("replay: sequence length must be at least 1, got %d", c.Length)
	case c.BurnIn < 0:
		return fmt.Errorf("replay: sequence burn_in must be at least 0, got %d", c.BurnIn)
	case c.Period < 1 || c.Period > c.Length:
		return fmt.Errorf("replay: sequence period must be in [1, length = %d] (a longer one skips steps), got %d", c.Length, c.Period)
	case c.Streams < 1:
		return fmt.Errorf("replay: sequence streams must be at least 1, got %d", c.Streams)
	case !(c.Eta >= 0 && c.Eta <= 1):
		return fmt.Errorf("replay: sequence eta must be in [0, 1], got %v", c.Eta)
	case !(c.Alpha >= 0 && c.Alpha <= 10):
		return fmt.Errorf("replay: sequence alpha must be in [0, 10], got %v", c.Alpha)
	case !(c.Beta >= 0 && c.Beta <= 1):
		return fmt.Errorf("replay: sequence beta must be in [0, 1], got %v", c.Beta)
	case !(c.Eps > 0 && c.Eps < 1e6):
		return fmt.Errorf("replay: sequence eps must be in (0, 1e6), got %v", c.Eps)
	}
	if b := SequenceMemoryBytes(c); b > maxBytes || b < 0 {
		return fmt.Errorf("replay: %d sequences of %d steps of %d elements need more than %d bytes", c.Capacity, c.Steps(), c.ObsSize, int64(maxBytes))
	}
	return nil
}

// SequenceMemoryBytes returns the bytes a SequenceBuffer of config c
// allocates for its sequences: per sequence (T+1)·ObsSize observation
// elements, T actions, rewards and flags, and the 2·H state, plus the sum
// tree. The pending steps of each stream add about (T+P)·ObsSize·4 bytes.
func SequenceMemoryBytes(c SequenceConfig) int64 {
	T := int64(c.Steps())
	per := (T+1)*int64(c.ObsSize)*4 + T*(4+4+1+1) + 4 + 2*int64(c.Hidden)*4
	return int64(c.Capacity)*per + 2*int64(treeLeaves(c.Capacity))*16
}

// SequencePriority returns a sequence's priority from the absolute TD errors
// of its trained steps, R2D2's mix of their maximum and mean:
//
//	p = η·maxₜ|δₜ| + (1−η)·meanₜ|δₜ|    over the steps t with mask[t] ≠ 0
//
// td and mask have one element per step; a sequence without a masked step
// has priority 0.
func SequencePriority(td, mask []float32, eta float64) float64 {
	if len(td) != len(mask) {
		panic(fmt.Sprintf("replay: %d TD errors and %d mask entries", len(td), len(mask)))
	}
	var mx, sum float64
	n := 0
	for t, d := range td {
		if mask[t] == 0 {
			continue
		}
		a := math.Abs(float64(d))
		mx = max(mx, a)
		sum += a
		n++
	}
	if n == 0 {
		return 0
	}
	return eta*mx + (1-eta)*sum/float64(n)
}

// SequenceStep is one environment step as an actor adds it.
type SequenceStep struct {
	// Obs is the observation the action was taken from (ObsSize).
	Obs []float32
	// H and C are the recurrent state the actor acted on Obs with, i.e.
	// before Obs was fed in (Hidden each; zeros at an episode's start).
	H, C []float32
	// Action is the action taken and Reward the reward received.
	Action int
	Reward float64
	// Next is the observation after the step: the next step's Obs, or the
	// episode's final observation when the step ended it (which a truncated
	// episode bootstraps from).
	Next []float32
	// Terminated and Truncated say how the step ended the episode, if it did.
	Terminated, Truncated bool
}

// pending holds the steps of a stream's current episode that a sequence not
// yet stored will need.
type pending struct {
	first int       // episode step of the first pending step
	steps int       // number of pending steps
	next  int       // k of the next sequence to store
	obs   []float32 // (steps+1, ObsSize): the pending steps' observations, then the newest next one
	h, c  []float32 // (steps, Hidden)
	acts  []int32
	rews  []float32
	term  bool // the episode terminated (at its last pending step)
}

// SequenceBuffer stores fixed-length sequences of steps with the recurrent
// state at their start, and samples them with priorities, as R2D2's replay.
// Actors add steps with Add; a sequence is stored as soon as its last
// trained step is added or its episode ends. One goroutine may add while
// another samples.
type SequenceBuffer struct {
	cfg SequenceConfig
	T   int

	mu      sync.Mutex
	streams []pending
	added   int64 // sequences stored so far; sequence g lives in slot g % Capacity
	// Sequence slots, row-major: slot i's observations are
	// obs[i*(T+1)*ObsSize : (i+1)*(T+1)*ObsSize], (T+1, ObsSize).
	obs        []float32
	actions    []int32
	rewards    []float32
	terminated []uint8 // (Capacity, T): 1 at a step that ended its episode in a terminal state
	valid      []uint8 // (Capacity, T): 1 at a real step, 0 at padding
	burnIn     []int32 // (Capacity): burn-in rows of each sequence
	h, c       []float32
	tree       *sumMinTree
	maxP       float64 // largest priority pᵢ^α so far, given to new sequences
}

// NewSequenceBuffer allocates a sequence buffer.
func NewSequenceBuffer(cfg SequenceConfig) (*SequenceBuffer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	T, n, d := cfg.Steps(), cfg.Capacity, cfg.ObsSize
	b := &SequenceBuffer{
		cfg: cfg, T: T,
		streams:    make([]pending, cfg.Streams),
		obs:        make([]float32, n*(T+1)*d),
		actions:    make([]int32, n*T),
		rewards:    make([]float32, n*T),
		terminated: make([]uint8, n*T),
		valid:      make([]uint8, n*T),
		burnIn:     make([]int32, n),
		h:          make([]float32, n*cfg.Hidden),
		c:          make([]float32, n*cfg.Hidden),
		tree:       newSumMinTree(n),
		maxP:       1,
	}
	return b, nil
}

// Config returns the buffer's configuration.
func (b *SequenceBuffer) Config() SequenceConfig { return b.cfg }

// Len returns the number of sequences that can be sampled.
func (b *SequenceBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(min(b.added, int64(b.cfg.Capacity)))
}

// Added returns the number of sequences stored so far (including those
// overwritten since).
func (b *SequenceBuffer) Added() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.added
}

// Add appends one step of stream s's current episode, storing every sequence
// it completes (its last trained step, or the episode's end). It panics on a
// stream out of range or slices of the wrong sizes.
func (b *SequenceBuffer) Add(s int, st SequenceStep) {
	d, H := b.cfg.ObsSize, b.cfg.Hidden
	if s < 0 || s >= len(b.streams) {
		panic(fmt.Sprintf("replay: stream %d out of range [0, %d)", s, len(b.streams)))
	}
	if len(st.Obs) != d || len(st.H) != H || len(st.C) != H {
		panic(fmt.Sprintf("replay: step with %d observation and %d, %d state elements, want %d and %d", len(st.Obs), len(st.H), len(st.C), d, H))
	}
	if len(st.Next) != d {
		panic(fmt.Sprintf("replay: next observation of %d elements, want %d", len(st.Next), d))
	}
	ended := st.Terminated || st.Truncated
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &b.streams[s]
	// The pending observations end with the newest step's next observation,
	// which the following step's Obs replaces (they are the same but for an
	// episode's end).
	p.obs = append(p.obs[:p.steps*d], st.Obs...)
	p.obs = append(p.obs, st.Next...)
	p.h = append(p.h[:p.steps*H], st.H...)
	p.c = append(p.c[:p.steps*H], st.C...)
	p.acts = append(p.acts[:p.steps], int32(st.Action))
	p.rews = append(p.rews[:p.steps], float32(st.Reward))
	p.steps++
	P, L := b.cfg.Period, b.cfg.Length
	if !ended {
		// Store each sequence whose trained part is complete, then drop the
		// steps no later sequence needs (before its burn-in).
		for end := p.next*P + L; p.first+p.steps >= end; end = p.next*P + L {
			b.store(p, p.next)
			p.next++
		}
		if drop := max(0, p.next*P-b.cfg.BurnIn) - p.first; drop > 0 {
			b.drop(p, drop)
		}
		return
	}
	p.term = st.Terminated
	b.flush(p)
}

// flush stores every sequence of the pending episode whose trained part
// starts within it, padded after its last observation, and starts a new
// episode.
func (b *SequenceBuffer) flush(p *pending) {
	for ; p.next*b.cfg.Period < p.first+p.steps; p.next++ {
		b.store(p, p.next)
	}
	*p = pending{obs: p.obs[:0], h: p.h[:0], c: p.c[:0], acts: p.acts[:0], rews: p.rews[:0]}
}

// EndEpisode ends stream s's episode where its last added step left it, as a
// truncation (the learner bootstraps from that step's Next): a run that
// restarts its environment mid-episode (e.g. after loading a checkpoint)
// calls it so that the next Add starts a new episode. It does nothing if the
// episode has no step.
func (b *SequenceBuffer) EndEpisode(s int) {
	if s < 0 || s >= len(b.streams) {
		panic(fmt.Sprintf("replay: stream %d out of range [0, %d)", s, len(b.streams)))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flush(&b.streams[s])
}

// drop removes the first n pending steps.
func (b *SequenceBuffer) drop(p *pending, n int) {
	d, H := b.cfg.ObsSize, b.cfg.Hidden
	p.obs = p.obs[:copy(p.obs, p.obs[n*d:])]
	p.h = p.h[:copy(p.h, p.h[n*H:])]
	p.c = p.c[:copy(p.c, p.c[n*H:])]
	p.acts = p.acts[:copy(p.acts, p.acts[n:])]
	p.rews = p.rews[:copy(p.rews, p.rews[n:])]
	p.first += n
	p.steps -= n
}

// store writes sequence k of the pending episode into the next slot: its
// burn-in from max(0, kP−BurnIn), its trained steps up to kP+Length or the
// episode's end (then the final observation and padding), the state at its
// first row, and the largest priority so far.
func (b *SequenceBuffer) store(p *pending, k int) {
	d, H, T := b.cfg.ObsSize, b.cfg.Hidden, b.T
	start := max(0, k*b.cfg.Period-b.cfg.BurnIn) // episode step of row 0
	end := min(k*b.cfg.Period+b.cfg.Length, p.first+p.steps)
	n := end - start // real rows
	o := start - p.first
	if o < 0 {
		panic("replay: internal error: a sequence's steps were dropped")
	}
	i := int(b.added % int64(b.cfg.Capacity))
	b.added++
	obs := b.obs[i*(T+1)*d : (i+1)*(T+1)*d]
	// Rows 0…n−1 are the steps' observations; row n is the next observation
	// (the step after, or the episode's final one when it ended here).
	copy(obs, p.obs[o*d:(o+n+1)*d])
	clear(obs[(n+1)*d:])
	row := func(s []uint8) []uint8 { return s[i*T : (i+1)*T] }
	copy(b.actions[i*T:(i+1)*T], p.acts[o:o+n])
	clear(b.actions[i*T+n : (i+1)*T])
	copy(b.rewards[i*T:(i+1)*T], p.rews[o:o+n])
	clear(b.rewards[i*T+n : (i+1)*T])
	term, valid := row(b.terminated), row(b.valid)
	clear(term)
	for t := range valid {
		valid[t] = 0
		if t < n {
			valid[t] = 1
		}
	}
	if p.term { // only set once the episode ended, which every sequence stored then reaches
		term[n-1] = 1
	}
	b.burnIn[i] = int32(k*b.cfg.Period - start)
	copy(b.h[i*H:(i+1)*H], p.h[o*H:(o+1)*H])
	copy(b.c[i*H:(i+1)*H], p.c[o*H:(o+1)*H])
	b.tree.set(i, b.maxP)
}

// SequenceBatch is a sample of B sequences of T = BurnIn + Length rows laid
// out for a learner. The learner sets the LSTM state to (H, C), runs it over
// Obs (B, T+1, ObsSize) and learns at the steps where Mask is 1 with
//
//	y_t = Rewards[t] + γ·(1 − Terminated[t])·max_a′ Q_target(Obs[t+1], a′)
//
// (or an n-step return over the same rows), weighting sequence i's loss by
// Weights[i]; then it sets priorities from the TD errors with
// UpdatePriorities.
type SequenceBatch struct {
	T, ObsSize, Hidden int
	// Obs holds (B, T+1, ObsSize): row t of sequence i is the observation of
	// its step t, row T (or the row after its last real step) the observation
	// after its last step; rows past that are zeros.
	Obs []float32
	// Actions, Rewards (B, T): the step's action and reward (0 on padding).
	Actions []int32
	Rewards []float32
	// Terminated (B, T): 1 where the step ended the episode in a terminal
	// state (do not bootstrap); a truncated episode's last step has 0.
	Terminated []float32
	// Valid (B, T): 1 at a real step (burn-in or trained), 0 at padding
	// after the episode's end.
	Valid []float32
	// Mask (B, T): 1 at the steps to learn from, the real steps after the
	// burn-in; 0 at burn-in and padding.
	Mask []float32
	// BurnIn (B): the burn-in rows of each sequence (BurnIn, or fewer near
	// an episode's start).
	BurnIn []int
	// H and C (B, Hidden): the recurrent state at each sequence's first row,
	// as the actor had it.
	H, C []float32
	// Weights (B): the importance-sampling weights wᵢ ∈ (0, 1].
	Weights []float32
	// Indices (B): each sequence's number in the buffer's history, for
	// UpdatePriorities (never naming a newer sequence that reused its slot).
	Indices []int64
}

// NewSequenceBatch allocates a batch of size sequences for buffers of cfg.
func NewSequenceBatch(size int, cfg SequenceConfig) *SequenceBatch {
	T := cfg.Steps()
	return &SequenceBatch{
		T: T, ObsSize: cfg.ObsSize, Hidden: cfg.Hidden,
		Obs:        make([]float32, size*(T+1)*cfg.ObsSize),
		Actions:    make([]int32, size*T),
		Rewards:    make([]float32, size*T),
		Terminated: make([]float32, size*T),
		Valid:      make([]float32, size*T),
		Mask:       make([]float32, size*T),
		BurnIn:     make([]int, size),
		H:          make([]float32, size*cfg.Hidden),
		C:          make([]float32, size*cfg.Hidden),
		Weights:    make([]float32, size),
		Indices:    make([]int64, size),
	}
}

// Size returns the number of sequences in the batch.
func (bt *SequenceBatch) Size() int { return len(bt.Weights) }

// Sample fills batch with sequences drawn with probability pᵢ^α / Σₖ pₖ^α
// (stratified: the k-th from the k-th of B equal parts of the total) from
// rng, and their importance-sampling weights. It panics if the buffer is
// empty or batch was made for another configuration.
func (b *SequenceBuffer) Sample(rng *rand.Rand, batch *SequenceBatch) {
	T, d, H := b.T, b.cfg.ObsSize, b.cfg.Hidden
	if batch.T != T || batch.ObsSize != d || batch.Hidden != H {
		panic(fmt.Sprintf("replay: sequence batch made for T=%d, obs %d, hidden %d; the buffer has %d, %d, %d", batch.T, batch.ObsSize, batch.Hidden, T, d, H))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.added == 0 {
		panic("replay: Sample from a sequence buffer with no sequence")
	}
	B := batch.Size()
	total, pmin := b.tree.total(), b.tree.minimum()
	part := total / float64(B)
	for k := range B {
		i := b.tree.find((float64(k) + rng.Float64()) * part)
		// The history number of slot i: in the newest lap, or the one before.
		g := b.added - 1 - (b.added-1)%int64(b.cfg.Capacity) + int64(i)
		if g >= b.added {
			g -= int64(b.cfg.Capacity)
		}
		batch.Indices[k] = g
		batch.Weights[k] = float32(math.Pow(pmin/b.tree.get(i), b.cfg.Beta))
		copy(batch.Obs[k*(T+1)*d:(k+1)*(T+1)*d], b.obs[i*(T+1)*d:(i+1)*(T+1)*d])
		copy(batch.Actions[k*T:(k+1)*T], b.actions[i*T:(i+1)*T])
		copy(batch.Rewards[k*T:(k+1)*T], b.rewards[i*T:(i+1)*T])
		burn := int(b.burnIn[i])
		batch.BurnIn[k] = burn
		for t := range T {
			v := float32(b.valid[i*T+t])
			batch.Valid[k*T+t] = v
			batch.Terminated[k*T+t] = float32(b.terminated[i*T+t])
			batch.Mask[k*T+t] = 0
			if t >= burn {
				batch.Mask[k*T+t] = v
			}
		}
		copy(batch.H[k*H:(k+1)*H], b.h[i*H:(i+1)*H])
		copy(batch.C[k*H:(k+1)*H], b.c[i*H:(i+1)*H])
	}
}

// UpdatePriorities sets the priority of each sampled sequence from the TD
// errors of its steps, td (B, T) laid out as the batch, over the steps of
// mask (B, T), usually the batch's Mask:
//
//	pᵢ = η·maxₜ|δᵢₜ| + (1−η)·meanₜ|δᵢₜ| + ε
//
// (SequencePriority), sampled from then on with weight pᵢ^α. Sequences
// overwritten since they were sampled are skipped. It returns an error,
// changing nothing, if a TD error is not finite; it panics if the sizes do
// not match.
func (b *SequenceBuffer) UpdatePriorities(indices []int64, td, mask []float32) error {
	T := b.T
	if len(td) != len(indices)*T || len(mask) != len(td) {
		panic(fmt.Sprintf("replay: %d indices, %d TD errors and %d mask entries; want T = %d per index", len(indices), len(td), len(mask), T))
	}
	for j, v := range td {
		if mask[j] != 0 && (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) {
			return fmt.Errorf("replay: TD error of sequence %d step %d is %v; priorities unchanged", indices[j/T], j%T, v)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, g := range indices {
		if g < 0 || g >= b.added || g < b.added-int64(b.cfg.Capacity) {
			continue
		}
		p := SequencePriority(td[k*T:(k+1)*T], mask[k*T:(k+1)*T], b.cfg.Eta) + b.cfg.Eps
		pa := math.Pow(p, b.cfg.Alpha)
		b.maxP = max(b.maxP, pa)
		b.tree.set(int(g%int64(b.cfg.Capacity)), pa)
	}
	return nil
}

// Priority returns the sampling weight pᵢ^α of the sequence numbered g, or
// 0 if it is no longer (or not yet) in the buffer.
func (b *SequenceBuffer) Priority(g int64) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if g < 0 || g >= b.added || g < b.added-int64(b.cfg.Capacity) {
		return 0
	}
	return b.tree.get(int(g % int64(b.cfg.Capacity)))
}
