package replay

import (
	"fmt"
	"math/rand/v2"
)

// Config configures a Buffer.
type Config struct {
	// Capacity is the number of transitions kept; older ones are overwritten.
	Capacity int
	// ObsSize is the number of float32 elements of one observation.
	ObsSize int
	// Gamma is the discount γ ∈ [0, 1] applied to the bootstrap term.
	Gamma float64
}

// Validate reports the first field that is out of range.
func (c Config) Validate() error {
	switch {
	case c.Capacity < 1:
		return fmt.Errorf("replay: Capacity must be at least 1, got %d", c.Capacity)
	case c.ObsSize < 1:
		return fmt.Errorf("replay: ObsSize must be at least 1, got %d", c.ObsSize)
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return fmt.Errorf("replay: Gamma must be in [0, 1], got %v", c.Gamma)
	case int64(c.Capacity)*int64(c.ObsSize) > 1<<36:
		return fmt.Errorf("replay: Capacity×ObsSize = %d floats is too large", int64(c.Capacity)*int64(c.ObsSize))
	}
	return nil
}

// Buffer is a uniform experience replay ring.
type Buffer struct {
	cfg Config
	// obs and next hold observation i at [i*ObsSize, (i+1)*ObsSize).
	obs, next  []float32
	actions    []int32
	rewards    []float32
	terminated []bool
	pos, size  int // next slot to write; number of valid transitions
}

// New allocates a buffer for cfg.Capacity transitions.
func New(cfg Config) (*Buffer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := cfg.Capacity
	return &Buffer{
		cfg:        cfg,
		obs:        make([]float32, n*cfg.ObsSize),
		next:       make([]float32, n*cfg.ObsSize),
		actions:    make([]int32, n),
		rewards:    make([]float32, n),
		terminated: make([]bool, n),
	}, nil
}

// Len returns the number of transitions stored.
func (b *Buffer) Len() int { return b.size }

// Cap returns the capacity.
func (b *Buffer) Cap() int { return b.cfg.Capacity }

// Config returns the buffer's configuration.
func (b *Buffer) Config() Config { return b.cfg }

// BytesPerTransition returns the storage one transition takes.
func (b *Buffer) BytesPerTransition() int { return 2*4*b.cfg.ObsSize + 4 + 4 + 1 }

// Add stores the transition (obs, action, reward, next, terminated), copying
// the observations. terminated is true only when next is a terminal state; a
// time-limit truncation is not.
func (b *Buffer) Add(obs []float32, action int, reward float64, next []float32, terminated bool) {
	d := b.cfg.ObsSize
	if len(obs) != d || len(next) != d {
		panic(fmt.Sprintf("replay: observations of %d and %d elements, want %d", len(obs), len(next), d))
	}
	i := b.pos
	copy(b.obs[i*d:(i+1)*d], obs)
	copy(b.next[i*d:(i+1)*d], next)
	b.actions[i] = int32(action)
	b.rewards[i] = float32(reward)
	b.terminated[i] = terminated
	b.pos = (b.pos + 1) % b.cfg.Capacity
	b.size = min(b.size+1, b.cfg.Capacity)
}

// Batch is a sample of transitions, laid out for a learner. Its slices are
// allocated once by NewBatch and overwritten by each Sample.
type Batch struct {
	// Obs and NextObs hold the observations s and s′, row-major (B, ObsSize).
	Obs, NextObs []float32
	Actions      []int32
	Rewards      []float32
	// Discounts is the factor of the bootstrap term: γ, or 0 if terminated.
	Discounts []float32
	// Weights are importance-sampling weights for the loss (1 for uniform).
	Weights []float32
	// Indices locate each sample in the buffer.
	Indices []int
}

// NewBatch allocates a batch of size transitions of obsSize-element observations.
func NewBatch(size, obsSize int) *Batch {
	b := &Batch{
		Obs:       make([]float32, size*obsSize),
		NextObs:   make([]float32, size*obsSize),
		Actions:   make([]int32, size),
		Rewards:   make([]float32, size),
		Discounts: make([]float32, size),
		Weights:   make([]float32, size),
		Indices:   make([]int, size),
	}
	for i := range b.Weights {
		b.Weights[i] = 1
	}
	return b
}

// Size returns the number of transitions in the batch.
func (bt *Batch) Size() int { return len(bt.Actions) }

// Sample fills batch with transitions drawn uniformly with replacement, using
// rng only. It panics if the buffer is empty.
func (b *Buffer) Sample(rng *rand.Rand, batch *Batch) {
	if b.size == 0 {
		panic("replay: Sample from an empty buffer")
	}
	d := b.cfg.ObsSize
	if len(batch.Obs) != batch.Size()*d {
		panic("replay: batch was made for another observation size")
	}
	gamma := float32(b.cfg.Gamma)
	for k := range batch.Actions {
		i := rng.IntN(b.size)
		batch.Indices[k] = i
		copy(batch.Obs[k*d:(k+1)*d], b.obs[i*d:(i+1)*d])
		copy(batch.NextObs[k*d:(k+1)*d], b.next[i*d:(i+1)*d])
		batch.Actions[k] = b.actions[i]
		batch.Rewards[k] = b.rewards[i]
		if b.terminated[i] {
			batch.Discounts[k] = 0
		} else {
			batch.Discounts[k] = gamma
		}
	}
}
