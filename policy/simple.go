package policy

import "math/rand/v2"

// Uniform picks each of NumActions actions with probability 1/NumActions:
// the warm-up policy that fills the replay before learning starts, and
// random play.
type Uniform struct {
	NumActions int
}

// Act draws an action; it never asks for Q-values.
func (p Uniform) Act(_ int64, _ []float32, _ QFunc, rng *rand.Rand) int {
	return rng.IntN(p.NumActions)
}

// ActBatch draws n actions, in order.
func (p Uniform) ActBatch(_ int64, _ []float32, n int, _ BatchQFunc, actions []int, rng *rand.Rand) {
	for i := range n {
		actions[i] = rng.IntN(p.NumActions)
	}
}

// Exploit always takes the greedy action argmax_a Q(s, a), the first on
// ties; it draws nothing. Evaluation, play and the window's G key act with it.
type Exploit struct{}

// Act returns Greedy(q.QValues(obs)).
func (Exploit) Act(_ int64, obs []float32, q QFunc, _ *rand.Rand) int { return Greedy(q.QValues(obs)) }

// ActBatch takes the greedy action of each of the n observations.
func (Exploit) ActBatch(_ int64, obs []float32, n int, q BatchQFunc, actions []int, _ *rand.Rand) {
	qs := q.QValuesBatch(obs, n)
	A := len(qs) / n
	for i := range n {
		actions[i] = Greedy(qs[i*A : (i+1)*A])
	}
}

var (
	_ Policy = Uniform{}
	_ Policy = Exploit{}
)

// Recorder forwards to a QFunc and keeps the Q-values of its last call, so
// that whoever shows a step (the live window's bars, a StepEvent) can have
// the Q-values its action was chosen from; Last is nil when the policy did
// not ask for them (a random action). The slice is the QFunc's own.
type Recorder struct {
	Q    QFunc
	Last []float32
}

// QValues returns r.Q.QValues(obs) and keeps it in Last.
func (r *Recorder) QValues(obs []float32) []float32 {
	r.Last = r.Q.QValues(obs)
	return r.Last
}
