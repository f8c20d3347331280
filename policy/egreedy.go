package policy

import "math/rand/v2"

// QFunc computes the Q-values of one observation, one per action. The
// returned slice may be reused by the next call.
type QFunc interface {
	QValues(obs []float32) []float32
}

// Greedy returns the index of the largest value, the first among ties, as
// argmax in NumPy and PyTorch does.
func Greedy(q []float32) int {
	best := 0
	for a, v := range q {
		if v > q[best] {
			best = a
		}
	}
	return best
}

// EpsilonGreedy acts uniformly at random with probability ε(t) and greedily
// otherwise.
type EpsilonGreedy struct {
	Epsilon    Schedule
	NumActions int
}

// Act picks an action for obs at step t. It draws one uniform number from
// rng, then either a random action (one more draw) or the greedy action of
// q.QValues(obs), which it calls only in that case.
func (p EpsilonGreedy) Act(t int64, obs []float32, q QFunc, rng *rand.Rand) int {
	if rng.Float64() < p.Epsilon.Value(t) {
		return rng.IntN(p.NumActions)
	}
	return Greedy(q.QValues(obs))
}
