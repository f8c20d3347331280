package replay

import (
	"fmt"
	"math"
)

// Steps from another process: a learner fed by remote actors (package apex)
// adds each actor's steps to a stream of its own, with the priority the actor
// computed, and must cope with lost steps and restarted actors. The methods
// below give it what Add and UpdatePriorities do not.

// PriorityState says what SetPriority did.
type PriorityState uint8

const (
	// PrioritySet: the transition can be sampled and now has the priority.
	PrioritySet PriorityState = iota
	// PriorityPending: the transition's n-step window is not complete yet
	// (its episode is open and fewer than n of its steps were added); it
	// cannot be sampled yet. Call again after more steps.
	PriorityPending
	// PriorityGone: the transition will never be sampled (it left the
	// buffer, or its frames or window cannot be completed).
	PriorityGone
)

// NextIndex returns the index, as Batch.Indices holds it, of the transition
// that the next AddStream to stream s records: the one starting from its obs.
func (b *Buffer) NextIndex(s int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.mustStream(s)
	g := st.head
	if st.open {
		g = st.head - 1
	}
	return b.index(s, g)
}

// SetPriority sets the priority of the transition at index idx (from
// NextIndex) to p = |δ| + ε, sampled with weight p^α, if it can be sampled
// now, as UpdatePriorities does, and says whether it did (PrioritySet), must
// wait for more steps of its stream (PriorityPending) or never can
// (PriorityGone). On a uniform buffer it does nothing and reports
// PrioritySet for a transition that can be sampled. A δ that is not finite
// is an error and changes nothing.
func (b *Buffer) SetPriority(idx int, δ float32) (PriorityState, error) {
	if math.IsNaN(float64(δ)) || math.IsInf(float64(δ), 0) {
		return PriorityGone, fmt.Errorf("replay: priority |δ| = %v of transition %d is not finite", δ, idx)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	S := len(b.streams)
	if idx < 0 {
		return PriorityGone, nil
	}
	st, g := &b.streams[idx%S], int64(idx/S)
	if g < b.tail(st) || g >= st.head {
		return PriorityGone, nil
	}
	i := b.slot(st, g)
	if b.flags[i]&fValid == 0 {
		// The window [g, g+n) is complete once step g+n−1 is stored, which
		// happens with the write of slot g+n (the newest, head−1, while the
		// episode is open).
		if st.open && g > st.head-1-int64(b.cfg.NStep) {
			return PriorityPending, nil
		}
		return PriorityGone, nil
	}
	if b.tree == nil {
		return PrioritySet, nil
	}
	p := b.cfg.Prioritized
	pi := math.Abs(float64(δ)) + p.Eps
	if pi > b.maxP {
		b.maxP = pi
		b.maxPAlpha = math.Pow(pi, p.Alpha)
	}
	b.tree.set(i, math.Pow(pi, p.Alpha))
	return PrioritySet, nil
}

// EndStream closes stream s's open episode as truncated at its last step,
// as EndEpisode does for every stream: call it when the steps that follow
// are lost (a dropped message, a restarted actor). The stream's next Add
// starts a new episode.
func (b *Buffer) EndStream(s int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.mustStream(s)
	if !st.open {
		return
	}
	st.open = false
	if b.pos[b.slot(st, st.head-1)] > 0 {
		b.flags[b.slot(st, st.head-2)] |= fTrunc
	}
	b.admit(st)
}

// Open reports whether stream s has an open episode, whose newest
// observation ends in frame last (the newest frame of an observation as
// the replay stores it) if continues is true: then an Add to s from an
// observation ending in that frame continues the episode.
func (b *Buffer) Open(s int, last []float32) (open, continues bool) {
	if len(last) != b.fsize {
		panic(fmt.Sprintf("replay: frame of %d elements, want %d", len(last), b.fsize))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.mustStream(s)
	if !st.open {
		return false, false
	}
	return true, b.frames.equal(b.slot(st, st.head-1), last)
}

// FrameFits reports whether the storage holds frame (FrameSize elements),
// so that adding it will not panic: exactly for Float32, Uint8 and Bits,
// rounded and finite for Float16 and BF16.
func (b *Buffer) FrameFits(frame []float32) bool {
	switch b.cfg.Storage {
	case Uint8:
		for _, v := range frame {
			if u := uint8(int32(v)); float32(u) != v {
				return false
			}
		}
	case Bits:
		for _, v := range frame {
			if v != 0 && v != 1 {
				return false
			}
		}
	case Float16, BF16:
		_, fits := b.cfg.Storage.encoder()
		for _, v := range frame {
			if !fits(v) {
				return false
			}
		}
	}
	return true
}

// FrameSize returns the elements of one stored frame: ObsSize/FrameStack.
func (b *Buffer) FrameSize() int { return b.fsize }

func (b *Buffer) mustStream(s int) *stream {
	if s < 0 || s >= len(b.streams) {
		panic(fmt.Sprintf("replay: stream %d of %d", s, len(b.streams)))
	}
	return &b.streams[s]
}
