package agent

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/schedule"
)

// EvalResult summarises the returns of evaluation episodes.
type EvalResult struct {
	Episodes int       `json:"episodes"`
	Mean     float64   `json:"mean"`
	Std      float64   `json:"std"`
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
	Returns  []float64 `json:"returns"`
	Lengths  []int     `json:"lengths"`
	// Capped counts the episodes that evaluation cut at EvalOptions.MaxSteps
	// because they had not ended by themselves.
	Capped int `json:"capped,omitempty"`
}

// EvalOptions configures Evaluate.
type EvalOptions struct {
	// Episodes is the number of episodes, at least 1.
	Episodes int
	// Seed seeds episode i's env with Seed+i, and the ε draws.
	Seed uint64
	// Epsilon is the probability of a uniformly random action (0: greedy).
	Epsilon float64
	// MaxSteps cuts an episode that has not ended after so many steps, and
	// counts it in EvalResult.Capped. 0 means DefaultEvalMaxSteps. Envs
	// made by env.Make, and the envs of a Trainer, end their episodes at
	// their spec's time limit already: this is the backstop for an env whose
	// episodes may never end (a policy that walks into a wall forever).
	MaxSteps int
}

// DefaultEvalMaxSteps is the cap on an evaluation episode's length when
// EvalOptions.MaxSteps is 0: 108,000 steps, the Atari evaluation
// protocol's 30 minutes at 60 frames a second.
const DefaultEvalMaxSteps = 108_000

// Evaluate plays o.Episodes episodes of the ε-greedy policy of the
// Q-network q (greedy for ε = 0), episode i on its own copy of the env made by
// mk and seeded with o.Seed+i. The episodes run side by side so that each
// network call evaluates a batch. Returns are the env's own, before any reward
// clipping, when the env records episode statistics (env.Make's envs do).
func Evaluate(q *net.Sequential[float32], mk func() (env.Env, error), o EvalOptions) (EvalResult, error) {
	return EvaluateQ(NewQNet(q), mk, o)
}

// EvaluateQ is Evaluate for any batched Q-function: a distributional
// network's expected Q (NewQNetFor), or the mean Q of an ensemble (MeanQ).
// A Q-function with a state per row (Memory, a recurrent network's
// RecurrentQ) starts every episode from a zero state, is asked about every
// running episode at each step (even when ε chose all the actions) and
// keeps the states of the episodes still running.
func EvaluateQ(batch policy.BatchQFunc, mk func() (env.Env, error), o EvalOptions) (EvalResult, error) {
	if o.Episodes < 1 {
		return EvalResult{}, fmt.Errorf("agent: evaluation needs at least 1 episode, got %d", o.Episodes)
	}
	if !(o.Epsilon >= 0 && o.Epsilon <= 1) {
		return EvalResult{}, fmt.Errorf("agent: evaluation ε must be in [0, 1], got %v", o.Epsilon)
	}
	if o.MaxSteps < 0 {
		return EvalResult{}, fmt.Errorf("agent: evaluation MaxSteps must be ≥ 0, got %d", o.MaxSteps)
	}
	maxSteps := o.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultEvalMaxSteps
	}
	n := o.Episodes
	envs := make([]env.Env, 0, n)
	defer func() {
		// Envs that hold resources (a remote env's connection and world)
		// release them when the evaluation ends.
		for _, e := range envs {
			if c, ok := env.Find[io.Closer](e); ok {
				c.Close()
			}
		}
	}()
	for range n {
		e, err := mk()
		if err != nil {
			return EvalResult{}, err
		}
		envs = append(envs, e)
	}
	spec := envs[0].Spec()
	obsSize, nA := spec.Observation.Size(), spec.Actions.N
	rng := rand.New(rand.NewPCG(o.Seed, 0x6576616c)) // ε draws, in episode order each step
	pol := policy.EpsilonGreedy{Epsilon: schedule.Constant(o.Epsilon), NumActions: nA}
	res := EvalResult{Episodes: n, Returns: make([]float64, n), Lengths: make([]int, n)}
	obs := make([]float32, n*obsSize)
	active := make([]int, 0, n)      // indices of running episodes
	failers := make([]env.Failer, n) // envs that can fail (remote ones)
	for i, e := range envs {
		failers[i], _ = env.Find[env.Failer](e)
		e.Seed(o.Seed + uint64(i))
		copy(obs[i*obsSize:], e.Reset())
		if err := envErr(failers[i]); err != nil {
			return res, fmt.Errorf("agent: evaluation episode %d: %w", i, err)
		}
		active = append(active, i)
	}
	var x []float32
	actions := make([]int, n)
	mem, _ := batch.(Memory)
	var keep []int // with a memory: the rows of the episodes still running
	if mem != nil {
		mem.ResetMemory()
	}
	for len(active) > 0 {
		// Gather the running episodes' observations into one batch.
		x = x[:0]
		for _, i := range active {
			x = append(x, obs[i*obsSize:(i+1)*obsSize]...)
		}
		qf := batch
		if mem != nil {
			// The state moves on at every step, whatever ε chooses.
			qf = &cachedQ{batch.QValuesBatch(x, len(active))}
		}
		pol.ActBatch(0, x, len(active), qf, actions, rng)
		still := active[:0]
		keep = keep[:0]
		for k, i := range active {
			ob, r, term, trunc := envs[i].Step(actions[k])
			if err := envErr(failers[i]); err != nil {
				return res, fmt.Errorf("agent: evaluation episode %d: %w", i, err)
			}
			res.Returns[i] += r
			res.Lengths[i]++
			if term || trunc || res.Lengths[i] >= maxSteps {
				if !term && !trunc {
					res.Capped++
				}
				if st, ok := env.Find[*env.EpisodeStats](envs[i]); ok {
					if ep, ok := st.Ended(); ok {
						res.Returns[i] = ep.Return
					}
				}
				continue
			}
			copy(obs[i*obsSize:], ob)
			still = append(still, i)
			keep = append(keep, k)
		}
		active = still
		if mem != nil {
			mem.KeepRows(keep)
		}
	}
	res.Mean, res.Std, res.Min, res.Max = summarize(res.Returns)
	return res, nil
}

// envErr returns the failure of an env that can fail, or nil.
func envErr(f env.Failer) error {
	if f != nil {
		return f.Err()
	}
	return nil
}

// summarize returns the mean, population standard deviation, min and max.
func summarize(v []float64) (mean, std, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		mean += x
		lo, hi = min(lo, x), max(hi, x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v))), lo, hi
}

// QNet adapts a Q-network to policy's QFunc and BatchQFunc: observations
// in, Q-values out, one row per observation. The slice it returns is reused
// by the next call.
type QNet struct {
	Net  *net.Sequential[float32]
	x    net.Tensor[float32]
	head *qHead // how the output gives Q (nil: it is Q); see NewQNetFor
}

// NewQNet adapts q.
func NewQNet(q *net.Sequential[float32]) *QNet { return &QNet{Net: q} }

// QValues returns Q(obs, ·).
func (q *QNet) QValues(obs []float32) []float32 { return q.QValuesBatch(obs, 1) }

// QValuesBatch returns Q(obsᵢ, ·) of n observations laid end to end, (n, A)
// row-major.
func (q *QNet) QValuesBatch(obs []float32, n int) []float32 {
	q.x.Shape = append(append(q.x.Shape[:0], n), q.Net.InShape...)
	q.x.Data = obs
	if q.head != nil {
		return q.head.values(q.Net, &q.x)
	}
	return q.Net.Forward(&q.x).Data
}

var (
	_ policy.QFunc      = (*QNet)(nil)
	_ policy.BatchQFunc = (*QNet)(nil)
)
