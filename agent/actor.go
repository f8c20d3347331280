package agent

import (
	"fmt"
	"time"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/policy"
)

// Adder turns an actor's steps into replay items. *replay.Buffer is one
// (it builds n-step transitions and stores each frame once); an adder that
// sends the steps to a learner in another goroutine or process is another.
type Adder interface {
	// Add records the step from obs by action to next with reward r. A
	// terminated step ends the episode in a terminal state (no bootstrap);
	// a truncated one ends it at a time limit, and the learner still
	// bootstraps from next.
	Add(obs []float32, action int, r float64, next []float32, terminated, truncated bool)
}

// Actor acts in one env: it chooses each action with its policy from its
// copy of the Q-network, steps the env and hands the transition to its
// adder. It knows nothing of learning: whoever owns the Q-network it acts
// with decides when that changes (in one process, the learner's own
// network; elsewhere, a copy refreshed with the newest published
// parameters).
//
// Episode k starts from Env.Seed(EpisodeSeed(k)) and Reset, so that the
// env's state at any step is fixed by the episode's index and the actions
// taken since its start: a checkpoint saves those, and resuming replays them.
type Actor struct {
	// Env is the env stepped, with reward clipping outside its own wrappers.
	Env env.Env
	// Policy chooses actions after the warm-up: ε-greedy or Boltzmann.
	Policy policy.Policy
	// Q is the Q-network the actor acts with.
	Q policy.QFunc
	// Adder receives every transition (nil: none are kept).
	Adder Adder
	// WarmUp is the number of steps of uniformly random actions that fill
	// the replay before the policy takes over (LearningStarts).
	WarmUp int64
	// Greedy, if set, is asked before each action whether to take the greedy
	// action argmax_a Q(s, a) instead. The live window sets it to show greedy
	// episodes. While it returns false, or is nil, the actor acts exactly as
	// without it, drawing the same numbers from the same random stream.
	Greedy func() bool

	rng     stream
	envSeed uint64
	stats   *env.EpisodeStats // inside reward clipping: unclipped returns
	failer  env.Failer        // an env that can fail (a remote one), or nil
	err     error             // its first failure
	q       policy.Recorder
	// mem is Q when it carries a recurrent state (RecurrentActing): every
	// step advances it, and every episode starts it from zeros.
	mem actorMemory

	// The running episode: its observation, return, length and the actions
	// taken since its Reset (what a checkpoint needs to restore the env).
	episodes  int
	obs, prev []float32 // s, and the previous step's s (kept for its StepEvent)
	epReturn  float64
	epLen     int
	epActions []int32
}

// NewActor returns an actor for e whose exploration draws come from stream
// seed and whose episode k is seeded with EpisodeSeed(envSeed, k).
func NewActor(e env.Env, p policy.Policy, q policy.QFunc, adder Adder, seed, envSeed uint64) *Actor {
	n := e.Spec().Observation.Size()
	stats, _ := env.Find[*env.EpisodeStats](e)
	failer, _ := env.Find[env.Failer](e)
	mem, _ := q.(actorMemory)
	return &Actor{Env: e, Policy: p, Q: q, Adder: adder,
		rng: newStream(seed, streamAct), envSeed: envSeed, stats: stats, failer: failer, mem: mem,
		obs: make([]float32, n), prev: make([]float32, n)}
}

// Err returns the env's failure, if it failed (a remote env whose server
// died): the step or reset it failed in was not taken. Check it after Step,
// StartEpisode and EndEpisode.
func (a *Actor) Err() error { return a.err }

// failed records the env's failure, if any.
func (a *Actor) failed() bool {
	if a.err == nil && a.failer != nil {
		a.err = a.failer.Err()
	}
	return a.err != nil
}

// EpisodeSeed is the env seed of episode k of a run whose env stream is
// envSeed.
func EpisodeSeed(envSeed uint64, k int) uint64 { return subSeed(envSeed, uint64(k)+1) }

// Episodes returns the number of episodes finished.
func (a *Actor) Episodes() int { return a.episodes }

// StartEpisode seeds and resets the env for the next episode, and tells a
// Q-function that changes per episode (Bootstrapped DQN's HeadQ draws its
// head).
func (a *Actor) StartEpisode() {
	if s, ok := a.Q.(episodeStarter); ok {
		s.StartEpisode()
	}
	a.reset()
}

// reset seeds and resets the env for the episode the actor is at.
func (a *Actor) reset() {
	a.Env.Seed(EpisodeSeed(a.envSeed, a.episodes))
	obs := a.Env.Reset()
	a.epReturn, a.epLen, a.epActions = 0, 0, a.epActions[:0]
	if a.mem != nil {
		a.mem.ResetMemory()
	}
	if !a.failed() {
		copy(a.obs, obs)
	}
}

// RestoreEpisode starts the current episode again and replays actions, the
// actions taken since its start, which must not end it: the env is then in
// the state it was when they were recorded. It does not tell the Q-function
// of a new episode: the caller restores its state.
func (a *Actor) RestoreEpisode(actions []int32) error {
	a.reset()
	nA := a.Env.Spec().Actions.N
	for i, act := range actions {
		if act < 0 || int(act) >= nA {
			return fmt.Errorf("episode action %d is %d, outside [0, %d)", i, act, nA)
		}
		obs, r, term, trunc := a.Env.Step(int(act))
		if a.failed() {
			return a.err
		}
		if term || trunc {
			return fmt.Errorf("the saved episode ends at its action %d of %d: the env does not replay it", i+1, len(actions))
		}
		copy(a.obs, obs)
		a.epReturn += r
		a.epLen++
	}
	a.epActions = append(a.epActions[:0], actions...)
	return nil
}

// Act chooses the action for the current observation at step t (the
// number of steps taken before): uniformly at random during the warm-up,
// greedily when Greedy says so, else by the policy. q is Q(s, ·) if the
// choice computed it, else nil. A recurrent Q-function feeds s in at every
// step, whatever the choice, and q is then always its Q(s, ·).
func (a *Actor) Act(t int64) (action int, q []float32) {
	a.q.Q, a.q.Last = a.Q, nil
	if a.mem != nil {
		a.q.Last = a.mem.Advance(a.obs)
	}
	switch {
	case a.Greedy != nil && a.Greedy():
		action = policy.Exploit{}.Act(t, a.obs, &a.q, a.rng.Rand)
	case t < a.WarmUp:
		action = policy.Uniform{NumActions: a.Env.Spec().Actions.N}.Act(t, a.obs, &a.q, a.rng.Rand)
	default:
		action = a.Policy.Act(t, a.obs, &a.q, a.rng.Rand)
	}
	return action, a.q.Last
}

// Step takes one step at step t: it acts, steps the env, hands the
// transition to the adder and moves to the next state. The event's Obs is
// the state acted in, valid until the next Step. After a step that ended
// the episode, call EndEpisode before the next Step. One step in
// StepTimingInterval times the env. If the env failed (Err), the step is
// not taken: nothing reaches the adder or the episode.
func (a *Actor) Step(t int64) StepEvent {
	action, q := a.Act(t)
	var t0 time.Time
	timed := (t+1)%StepTimingInterval == 0
	if timed {
		t0 = time.Now()
	}
	next, r, term, trunc := a.Env.Step(action)
	ev := StepEvent{Step: t + 1, Episode: a.episodes, Action: action, Q: q, Reward: r,
		Terminated: term, Truncated: trunc}
	if timed {
		ev.EnvDuration = max(time.Since(t0), 1)
	}
	if a.failed() {
		return ev
	}
	if a.Adder != nil {
		a.Adder.Add(a.obs, action, r, next, term, trunc)
	}
	a.epActions = append(a.epActions, int32(action))
	a.epReturn += r
	a.epLen++
	ev.Return = a.epReturn
	// s ← s′ (next is the env's buffer, overwritten by its next Step); the
	// event keeps s in the other buffer.
	a.obs, a.prev = a.prev, a.obs
	copy(a.obs, next)
	ev.Obs = a.prev
	return ev
}

// EndEpisode counts the episode that the last step ended, starts the next
// one and describes the one that ended, with its return before any reward
// clipping.
func (a *Actor) EndEpisode(step int64, terminated bool) EpisodeEvent {
	ret := a.epReturn
	if a.stats != nil {
		if ep, ok := a.stats.Ended(); ok {
			ret = ep.Return
		}
	}
	a.episodes++
	ev := EpisodeEvent{Step: step, Episode: a.episodes, Return: ret, Length: a.epLen, Terminated: terminated}
	a.StartEpisode()
	return ev
}
