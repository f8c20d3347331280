package agent

import (
	"fmt"
	"time"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/policy"
)

// VecActor acts in the N copies of a vector env at once: each Step computes
// Q(s, ·) for all N observations in one batched forward pass, lets its policy
// choose the N actions from them (ε-greedy's per-copy draws come from one
// seeded stream, in copy order), and steps the vector env, which resets ended
// copies in the same step (env.Vector's same-step autoreset).
//
// It knows nothing of learning: whoever owns the Q-function decides when
// its parameters change. Each Step's result (VecStep) describes N
// transitions (sᵢ, aᵢ, rᵢ, s′ᵢ) with their flags; s′ᵢ of an ended copy is
// the episode's final observation, not the reset one, so that a truncated
// transition bootstraps from the state the time limit cut.
type VecActor struct {
	// Vec is the vector env stepped.
	Vec *env.Vector
	// Policy chooses the actions from the batch's Q-values.
	Policy policy.Policy
	// Q computes Q-values for a batch of observations.
	Q policy.BatchQFunc

	rng      stream
	nA, size int
	episodes int
	returns  []float64 // the running episodes' returns (as the learner sees the rewards)
	cur      VecStep
	cached   cachedQ

	// ActTime and EnvTime accumulate the time Step spends in the Q-network's
	// forward pass with the policy, and in stepping the vector env.
	ActTime, EnvTime time.Duration
	lastEnv          time.Duration // of the last Step
}

// VecStep is one step of the N copies of a VecActor's vector env, copy i in
// row i of each field. Its slices belong to the actor and are overwritten by
// the next Step.
type VecStep struct {
	N int
	// Obs holds the observations acted in, N × obs size row-major.
	Obs []float32
	// Q holds Q(Obs[i], ·), N × actions row-major, from the network the
	// actor acted with.
	Q []float32
	// Actions, Rewards, Terminated and Truncated are each copy's action and
	// the step's result: Terminated ends the episode in a terminal state
	// (no bootstrap), Truncated at a time limit (bootstrap from Next).
	Actions               []int
	Rewards               []float64
	Terminated, Truncated []bool

	vec *env.Vector
}

// Ended reports whether copy i's episode ended at this step.
func (s *VecStep) Ended(i int) bool { return s.Terminated[i] || s.Truncated[i] }

// Next returns s′ of copy i: the final observation of its episode if the
// step ended it, else the observation it acts on next.
func (s *VecStep) Next(i int) []float32 {
	if s.Ended(i) {
		return s.vec.FinalObs(i)
	}
	return s.vec.ObsOf(i)
}

// NewVecActor returns an actor on v whose exploration draws come from
// stream seed. It seeds v with envSeed (copy i with env.VectorSeed(envSeed,
// i)) and resets it.
func NewVecActor(v *env.Vector, p policy.Policy, q policy.BatchQFunc, seed, envSeed uint64) *VecActor {
	n, spec := v.N(), v.Spec()
	a := &VecActor{Vec: v, Policy: p, Q: q, rng: newStream(seed, streamAct),
		nA: spec.Actions.N, size: spec.Observation.Size(), returns: make([]float64, n)}
	a.cur = VecStep{N: n, Obs: make([]float32, n*a.size), Q: make([]float32, n*a.nA),
		Actions: make([]int, n), vec: v}
	v.Seed(envSeed)
	v.Reset()
	return a
}

// Episodes returns the number of episodes finished, over all copies.
func (a *VecActor) Episodes() int { return a.episodes }

// Obs returns the observations the next Step acts in (N × obs size; the
// vector env's buffer).
func (a *VecActor) Obs() []float32 { return a.Vec.Obs() }

// Step takes one step of every copy at step t (the policy's schedule
// argument, e.g. the number of frames before) and returns it. For each copy
// whose episode ended, onEpisode (if not nil) receives its index and the
// episode, with the env's own return (before reward clipping outside its
// EpisodeStats).
func (a *VecActor) Step(t int64, onEpisode func(i int, ep env.Episode)) *VecStep {
	s := &a.cur
	t0 := time.Now()
	copy(s.Obs, a.Vec.Obs())
	// One forward pass for the whole batch, kept for the learner's
	// bootstrap; the policy reads its greedy actions from the same values.
	copy(s.Q, a.Q.QValuesBatch(s.Obs, s.N))
	a.cached.q = s.Q
	a.Policy.ActBatch(t, s.Obs, s.N, &a.cached, s.Actions, a.rng.Rand)
	t1 := time.Now()
	a.Vec.Step(s.Actions)
	t2 := time.Now()
	a.ActTime += t1.Sub(t0)
	a.lastEnv = t2.Sub(t1)
	a.EnvTime += a.lastEnv
	s.Rewards, s.Terminated, s.Truncated = a.Vec.Rewards, a.Vec.Terminated, a.Vec.Truncated
	for i := range s.N {
		a.returns[i] += s.Rewards[i]
		if !s.Ended(i) {
			continue
		}
		a.episodes++
		ep, _ := a.Vec.Episode(i)
		if onEpisode != nil {
			onEpisode(i, ep)
		}
		a.returns[i] = 0
	}
	return s
}

// Return returns copy i's return so far in its running episode, after the
// last Step (0 if that step ended an episode).
func (a *VecActor) Return(i int) float64 { return a.returns[i] }

// cachedQ serves Q-values computed before the policy asks for them.
type cachedQ struct{ q []float32 }

func (c *cachedQ) QValuesBatch(_ []float32, n int) []float32 {
	if len(c.q) == 0 || len(c.q)%n != 0 {
		panic(fmt.Sprintf("agent: %d cached Q-values for a batch of %d", len(c.q), n))
	}
	return c.q
}
