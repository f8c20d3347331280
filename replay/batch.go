package replay

// Batch is a sample of B transitions laid out for a learner. NewBatch
// allocates its slices once; each Sample overwrites them. For sample i the
// learner's TD target is
//
//	yᵢ = Rewards[i] + Discounts[i] · max_a′ Q_target(NextObs[i], a′)
//
// and its loss is weighted by Weights[i].
type Batch struct {
	// Obs holds the observations s_t, row-major (B, ObsSize): row i is
	// Obs[i*ObsSize:(i+1)*ObsSize], frames oldest first when stacked.
	Obs []float32
	// NextObs holds the bootstrap observations s_{t+m}, (B, ObsSize): the
	// observation m ≤ n steps after s_t, where the n-step return was cut (the
	// final observation of the episode if it ended within n steps). With
	// n = 1 this is s′.
	NextObs []float32
	// Actions holds a_t, (B).
	Actions []int32
	// Rewards holds the n-step returns R = Σₖ₌₀^{m−1} γᵏ r_{t+k}, (B).
	Rewards []float32
	// Discounts holds the factor of the bootstrap term, γᵐ, or 0 if the
	// episode terminated within the m steps (a truncated one bootstraps), (B).
	Discounts []float32
	// Terminated reports, per sample, that s_{t+m} is a terminal state, (B).
	Terminated []bool
	// Weights holds the importance-sampling weights wᵢ ∈ (0, 1] of a
	// prioritized buffer, or 1 from a uniform one, (B).
	Weights []float32
	// Indices identifies each sampled transition for UpdatePriorities, (B).
	// An index is the transition's sequence number in the buffer's history,
	// so it never names a newer transition that reused the slot.
	Indices []int
	// Masks holds each transition's bootstrap mask, bit k set if head k
	// trains on it, (B); all 0 from a buffer without Config.Masks.
	Masks []uint64
}

// NewBatch allocates a batch of size transitions of obsSize-element observations.
func NewBatch(size, obsSize int) *Batch {
	b := &Batch{
		Obs:        make([]float32, size*obsSize),
		NextObs:    make([]float32, size*obsSize),
		Actions:    make([]int32, size),
		Rewards:    make([]float32, size),
		Discounts:  make([]float32, size),
		Terminated: make([]bool, size),
		Weights:    make([]float32, size),
		Indices:    make([]int, size),
		Masks:      make([]uint64, size),
	}
	for i := range b.Weights {
		b.Weights[i] = 1
	}
	return b
}

// Size returns the number of transitions in the batch.
func (bt *Batch) Size() int { return len(bt.Actions) }
