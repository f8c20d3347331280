package remote

import (
	"errors"
	"fmt"
	"runtime"

	"google.golang.org/grpc"

	"github.com/deepq/deepq/env"
)

// Vector steps N remote envs together, with env.Vector's methods and
// same-step autoreset (see env.Vector): Obs holds the observations to act on
// next, FinalObs(i) the last observation of an episode copy i ended at the
// last Step, Episode(i) that episode's return and length.
//
// # Concurrency
//
// Each copy has its own dm_env_rpc stream; the copies share one gRPC
// connection, or Config.Connections of them. Step sends every copy's
// StepRequest before it waits for any answer, so the server works on all N
// while their round trips overlap: a Step costs about one round trip plus N
// server steps, not N round trips. Copies whose episode ended then get their
// ResetRequest and StepRequest, again all sent before any answer is read. No
// goroutine is started; gRPC's own do the I/O.
//
// # Seeds and failures
//
// Seed(s) seeds copy i with env.VectorSeed(s, i), sent at its next reset (see
// Env.Seed). After any copy fails, Err reports the first failure and Step and
// Reset do nothing more; check Err after each.
type Vector struct {
	envs []*Env
	spec *env.Spec
	size int

	obs, finalObs []float32
	// Rewards, Terminated and Truncated hold each copy's result of the last Step.
	Rewards               []float64
	Terminated, Truncated []bool
	episodes, running     []env.Episode
	err                   error
}

var _ env.Failer = (*Vector)(nil)

// DialVector creates and joins n worlds of cfg.World, one per stream, on
// cfg.Connections connections to cfg.Addr (copy i on connection i mod C).
func DialVector(cfg Config, n int) (*Vector, error) {
	if n < 1 {
		return nil, fmt.Errorf("remote: a vector env needs at least 1 copy, got %d", n)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conns := make([]*grpc.ClientConn, min(max(cfg.Connections, 1), n))
	closeAll := func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
	for i := range conns {
		c, err := dial(cfg.Addr)
		if err != nil {
			closeAll()
			return nil, err
		}
		conns[i] = c
	}
	v := &Vector{envs: make([]*Env, 0, n)}
	for i := range n {
		e, err := open(conns[i%len(conns)], cfg)
		if err != nil {
			v.Close()
			closeAll()
			return nil, fmt.Errorf("remote: vector copy %d: %w", i, err)
		}
		if i > 0 && (e.spec.Actions.N != v.spec.Actions.N || e.spec.Observation.String() != v.spec.Observation.String()) {
			e.Close()
			v.Close()
			closeAll()
			return nil, fmt.Errorf("remote: vector copy %d has spaces %v %v, copy 0 %v %v",
				i, e.spec.Observation, e.spec.Actions, v.spec.Observation, v.spec.Actions)
		}
		v.envs = append(v.envs, e)
		v.spec = &v.envs[0].spec
	}
	// Close closes the copies from the last to the first, so the first copy
	// on each connection, closed last of its connection's, closes it.
	for i := range conns {
		v.envs[i].ownConn = true
	}
	runtime.AddCleanup(v, func(cs []*grpc.ClientConn) {
		for _, c := range cs {
			c.Close()
		}
	}, conns)
	v.size = v.spec.Observation.Size()
	v.obs = make([]float32, n*v.size)
	v.finalObs = make([]float32, n*v.size)
	v.Rewards = make([]float64, n)
	v.Terminated = make([]bool, n)
	v.Truncated = make([]bool, n)
	v.episodes = make([]env.Episode, n)
	v.running = make([]env.Episode, n)
	v.Seed(0)
	return v, nil
}

// N returns the number of copies.
func (v *Vector) N() int { return len(v.envs) }

// Spec returns the spec of one copy.
func (v *Vector) Spec() *env.Spec { return v.spec }

// Env returns copy i. Stepping it directly desynchronises the Vector.
func (v *Vector) Env(i int) *Env { return v.envs[i] }

// Err returns the first failure of any copy, or nil.
func (v *Vector) Err() error { return v.err }

// Seed seeds copy i with env.VectorSeed(seed, i), for its next reset.
func (v *Vector) Seed(seed uint64) {
	for i, e := range v.envs {
		e.Seed(env.VectorSeed(seed, i))
	}
}

// Obs returns the current observations, N × size row-major (copy i at
// [i·size, (i+1)·size)); the Vector owns and overwrites them.
func (v *Vector) Obs() []float32 { return v.obs }

// ObsOf returns copy i's current observation.
func (v *Vector) ObsOf(i int) []float32 { return v.obs[i*v.size : (i+1)*v.size] }

// Ended reports whether copy i's episode ended at the last Step.
func (v *Vector) Ended(i int) bool { return v.Terminated[i] || v.Truncated[i] }

// FinalObs returns the last observation of the episode that copy i ended at
// the last Step; it is meaningful only if Ended(i).
func (v *Vector) FinalObs(i int) []float32 { return v.finalObs[i*v.size : (i+1)*v.size] }

// Episode returns the episode that copy i ended at the last Step, and whether
// it ended one.
func (v *Vector) Episode(i int) (env.Episode, bool) { return v.episodes[i], v.Ended(i) }

// stop fails copy i (if it has not failed itself) and ends its episode:
// reward 0, truncated.
func (v *Vector) stop(i int) {
	e := v.envs[i]
	if e.err == nil {
		e.err = fmt.Errorf("remote: vector copy %d stopped: another copy failed: %w", i, v.err)
		e.cancel(e.err)
	}
	v.Rewards[i], v.Terminated[i], v.Truncated[i] = 0, false, true
}

// fail keeps the first failure.
func (v *Vector) fail(err error) {
	if err != nil && v.err == nil {
		v.err = err
	}
}

// Reset resets every copy, all requests in flight at once, and returns the
// observations (see Obs).
func (v *Vector) Reset() []float32 {
	if v.err != nil {
		return v.obs
	}
	for i, e := range v.envs {
		v.running[i] = env.Episode{}
		v.Rewards[i], v.Terminated[i], v.Truncated[i] = 0, false, false
		v.fail(e.startReset(nil))
	}
	v.finishResets(func(int) bool { return true })
	return v.obs
}

// finishResets reads the answers to the resets of the copies in, into Obs.
// After a failure it still reads every pipelined answer, so each stream is
// left in step (or closed).
func (v *Vector) finishResets(in func(i int) bool) {
	for i, e := range v.envs {
		if !in(i) || e.err != nil {
			continue
		}
		if v.err != nil {
			v.stop(i)
			continue
		}
		e.err = e.finishReset()
		v.fail(e.err)
		copy(v.obs[i*v.size:(i+1)*v.size], e.obs)
	}
}

// Step applies actions[i] to copy i, resets the copies whose episode ended
// (see the type's doc), and returns the observations to act on next.
func (v *Vector) Step(actions []int) []float32 {
	if len(actions) != len(v.envs) {
		panic(fmt.Sprintf("remote: Vector.Step got %d actions for %d copies", len(actions), len(v.envs)))
	}
	if v.err != nil {
		return v.obs
	}
	for i, e := range v.envs {
		if err := e.startStep(actions[i]); err != nil {
			e.err = err
			v.fail(err)
		}
	}
	ended := false
	for i, e := range v.envs {
		if v.err != nil {
			// A failed Vector steps no more, so stop waiting for the other
			// copies now: one timeout, not one per copy.
			v.stop(i)
			continue
		}
		r, term, trunc, err := e.finishStep()
		if err != nil {
			e.err = err
			v.fail(err)
			v.stop(i)
			continue
		}
		v.Rewards[i], v.Terminated[i], v.Truncated[i] = r, term, trunc
		run := &v.running[i]
		run.Return += r
		run.Length++
		if !term && !trunc {
			copy(v.obs[i*v.size:(i+1)*v.size], e.obs)
			continue
		}
		copy(v.finalObs[i*v.size:(i+1)*v.size], e.obs)
		v.episodes[i] = env.Episode{Return: run.Return, Length: run.Length, Terminated: term, Truncated: trunc}
		*run = env.Episode{}
		if err := e.startReset(nil); err != nil {
			e.err = err
			v.fail(err)
		}
		ended = true
	}
	if ended {
		v.finishResets(func(i int) bool { return v.Ended(i) })
	}
	return v.obs
}

// Close closes every copy and the connection, and reports the first error.
func (v *Vector) Close() error {
	var errs []error
	for i := len(v.envs) - 1; i >= 0; i-- {
		errs = append(errs, v.envs[i].Close())
	}
	return errors.Join(errs...)
}
