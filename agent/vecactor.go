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
//
// Episode k of copy i starts from Seed(EpisodeSeed(env.VectorSeed(envSeed,
// i), k)) and Reset (the actor reseeds and resets a copy the vector env has
// just reset), so that a copy's state at any step is fixed by its episode
// count and the actions taken since the episode began: a checkpoint saves
// those, and Restore replays them.
type VecActor struct {
	// Vec is the vector env stepped.
	Vec *env.Vector
	// Policy chooses the actions from the batch's Q-values.
	Policy policy.Policy
	// Q computes Q-values for a batch of observations.
	Q policy.BatchQFunc

	rng       stream
	envSeed   uint64
	nA, size  int
	episodes  int
	epCount   []int     // episodes each copy finished
	epActions [][]int32 // each copy's actions since its episode began
	returns   []float64 // the running episodes' returns (as the learner sees the rewards)
	cur       VecStep
	cached    cachedQ

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
	a := &VecActor{Vec: v, Policy: p, Q: q, rng: newStream(seed, streamAct), envSeed: envSeed,
		nA: spec.Actions.N, size: spec.Observation.Size(), returns: make([]float64, n),
		epCount: make([]int, n), epActions: make([][]int32, n)}
	a.cur = VecStep{N: n, Obs: make([]float32, n*a.size), Q: make([]float32, n*a.nA),
		Actions: make([]int, n), vec: v}
	for i := range n {
		v.Env(i).Seed(a.episodeSeed(i))
	}
	v.Reset()
	return a
}

// episodeSeed is the seed of copy i's current episode.
func (a *VecActor) episodeSeed(i int) uint64 {
	return EpisodeSeed(env.VectorSeed(a.envSeed, i), a.epCount[i])
}

// startEpisode seeds and resets copy i for its next episode.
func (a *VecActor) startEpisode(i int) {
	e := a.Vec.Env(i)
	e.Seed(a.episodeSeed(i))
	copy(a.Vec.ObsOf(i), e.Reset())
	a.returns[i], a.epActions[i] = 0, a.epActions[i][:0]
}

// Restore puts copy i in the state after it finished episodes[i] episodes
// and took actions[i] since: it starts that episode again and replays the
// actions, which must not end it. The running returns are the replayed
// rewards' sums.
func (a *VecActor) Restore(episodes []int, actions [][]int32) error {
	n := a.Vec.N()
	if len(episodes) != n || len(actions) != n {
		return fmt.Errorf("episodes and actions of %d and %d copies for a vector of %d", len(episodes), len(actions), n)
	}
	a.episodes = 0
	for i := range n {
		if episodes[i] < 0 {
			return fmt.Errorf("copy %d: %d episodes", i, episodes[i])
		}
		a.episodes += episodes[i]
		a.epCount[i] = episodes[i]
		a.startEpisode(i)
		e := a.Vec.Env(i)
		for j, act := range actions[i] {
			if act < 0 || int(act) >= a.nA {
				return fmt.Errorf("copy %d: episode action %d is %d, outside [0, %d)", i, j, act, a.nA)
			}
			obs, r, term, trunc := e.Step(int(act))
			if term || trunc {
				return fmt.Errorf("copy %d: the saved episode ends at its action %d of %d: the env does not replay it", i, j+1, len(actions[i]))
			}
			copy(a.Vec.ObsOf(i), obs)
			a.returns[i] += r
		}
		a.epActions[i] = append(a.epActions[i], actions[i]...)
	}
	return nil
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
			a.epActions[i] = append(a.epActions[i], int32(s.Actions[i]))
			continue
		}
		a.episodes++
		ep, _ := a.Vec.Episode(i)
		if onEpisode != nil {
			onEpisode(i, ep)
		}
		a.epCount[i]++
		a.startEpisode(i)
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
