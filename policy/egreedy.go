package policy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deepq/deepq/schedule"
)

// QFunc computes the Q-values of one observation, one per action. The
// returned slice may be reused by the next call.
type QFunc interface {
	QValues(obs []float32) []float32
}

// BatchQFunc computes Q-values for n observations laid out row-major in obs
// and returns them as n rows of NumActions values (reused by the next call).
type BatchQFunc interface {
	QValuesBatch(obs []float32, n int) []float32
}

// Policy picks actions from Q-values. Act handles one observation; ActBatch
// handles n at once (a vector env), writing actions[i] for row i. Both draw
// from rng only, in a fixed order, so a seeded rng gives the same actions.
type Policy interface {
	Act(t int64, obs []float32, q QFunc, rng *rand.Rand) int
	ActBatch(t int64, obs []float32, n int, q BatchQFunc, actions []int, rng *rand.Rand)
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

// GreedyRandomTies returns the index of the largest value, chosen uniformly
// among ties. It draws from rng only when there is a tie.
func GreedyRandomTies(q []float32, rng *rand.Rand) int {
	best, ties := 0, 1
	for a := 1; a < len(q); a++ {
		switch {
		case q[a] > q[best]:
			best, ties = a, 1
		case q[a] == q[best]:
			ties++
		}
	}
	if ties == 1 {
		return best
	}
	k := rng.IntN(ties)
	for a, v := range q {
		if v == q[best] {
			if k == 0 {
				return a
			}
			k--
		}
	}
	panic("unreachable")
}

// EpsilonGreedy acts uniformly at random with probability ε(t) and greedily
// otherwise. With RandomTies, greedy ties are broken uniformly at random
// (useful at initialisation and in tabular-like settings such as GridWorld).
type EpsilonGreedy struct {
	Epsilon    schedule.Schedule
	NumActions int
	RandomTies bool
}

// Act picks an action for obs at step t. It draws one uniform number from
// rng, then either a random action (one more draw) or the greedy action of
// q.QValues(obs), which it calls only in that case.
func (p EpsilonGreedy) Act(t int64, obs []float32, q QFunc, rng *rand.Rand) int {
	if rng.Float64() < p.Epsilon.Value(t) {
		return rng.IntN(p.NumActions)
	}
	return p.greedy(q.QValues(obs), rng)
}

func (p EpsilonGreedy) greedy(q []float32, rng *rand.Rand) int {
	if p.RandomTies {
		return GreedyRandomTies(q, rng)
	}
	return Greedy(q)
}

// ActBatch picks an action for each of n observations: for row i it draws
// one uniform number, then a random action or the greedy one. The Q-values
// are computed once for the whole batch, and only if some row exploits.
func (p EpsilonGreedy) ActBatch(t int64, obs []float32, n int, q BatchQFunc, actions []int, rng *rand.Rand) {
	eps := p.Epsilon.Value(t)
	exploit := false
	for i := range n {
		if rng.Float64() < eps {
			actions[i] = rng.IntN(p.NumActions)
		} else {
			actions[i] = -1
			exploit = true
		}
	}
	if !exploit {
		return
	}
	qs := q.QValuesBatch(obs, n)
	A := p.NumActions
	for i := range n {
		if actions[i] < 0 {
			actions[i] = p.greedy(qs[i*A:(i+1)*A], rng)
		}
	}
}

// Boltzmann samples actions from the softmax of Q/T, with temperature T(t):
// p(a) ∝ exp(Q(a)/T). A small T approaches greedy, a large one uniform.
type Boltzmann struct {
	Temperature schedule.Schedule
	NumActions  int
}

// Act samples an action with one uniform draw from rng.
func (p Boltzmann) Act(t int64, obs []float32, q QFunc, rng *rand.Rand) int {
	return p.Sample(q.QValues(obs), p.Temperature.Value(t), rng)
}

// ActBatch samples an action for each of n observations, one draw each.
func (p Boltzmann) ActBatch(t int64, obs []float32, n int, q BatchQFunc, actions []int, rng *rand.Rand) {
	temp := p.Temperature.Value(t)
	qs := q.QValuesBatch(obs, n)
	A := p.NumActions
	for i := range n {
		actions[i] = p.Sample(qs[i*A:(i+1)*A], temp, rng)
	}
}

// Sample draws an action from softmax(q/temp) with one uniform draw from rng,
// subtracting max q first so that exp cannot overflow. A temperature ≤ 0
// means greedy.
func (p Boltzmann) Sample(q []float32, temp float64, rng *rand.Rand) int {
	u := rng.Float64()
	if !(temp > 0) {
		return Greedy(q)
	}
	m := float64(q[Greedy(q)])
	z := 0.0
	for _, v := range q {
		z += math.Exp((float64(v) - m) / temp)
	}
	u *= z
	for a, v := range q {
		u -= math.Exp((float64(v) - m) / temp)
		if u < 0 {
			return a
		}
	}
	return len(q) - 1 // rounding left u ≥ 0 after the last action
}

// Probabilities writes softmax(q/temp) into p (for tests and displays).
func (p Boltzmann) Probabilities(q []float32, temp float64, out []float64) {
	if len(out) != len(q) {
		panic(fmt.Sprintf("policy: %d probabilities for %d actions", len(out), len(q)))
	}
	m := float64(q[Greedy(q)])
	z := 0.0
	for a, v := range q {
		out[a] = math.Exp((float64(v) - m) / temp)
		z += out[a]
	}
	for a := range out {
		out[a] /= z
	}
}

var (
	_ Policy = EpsilonGreedy{}
	_ Policy = Boltzmann{}
)
