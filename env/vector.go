package env

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Vector steps N copies of an env together, for agents that act on a batch.
//
// # Autoreset: same step
//
// When copy i's episode ends during Step (terminated or truncated), the Vector
// resets that copy within the same Step, as Gymnasium's SAME_STEP autoreset
// mode and Stable-Baselines3's VecEnv do:
//
//   - Rewards[i], Terminated[i] and Truncated[i] describe the step that ended
//     the episode;
//   - FinalObs(i) is the observation that step produced, the s′ of the final
//     transition, needed to bootstrap a truncated episode;
//   - Episode(i) gives the finished episode's return and length;
//   - Obs(i) is already the first observation of the next episode, the one to
//     act on next.
//
// So a learner stores (Obs before, action, Rewards[i], FinalObs(i) if ended
// else Obs(i), Terminated[i]) and acts on Obs next; no step is spent on a
// reset (unlike Gymnasium's default NEXT_STEP mode, whose step after an end
// only resets and ignores the action).
//
// # Seeds and determinism
//
// Seed(s) seeds copy i with VectorSeed(s, i); the copies' streams are
// unrelated, and different base seeds never share a copy's seed the way
// s + i would (seed 0's copy 1 would be seed 1's copy 0). Given the seed and
// the actions, every observation, reward and flag is the same whether the
// copies are stepped on one goroutine or several: each copy only touches its
// own state and its own slots of the result arrays.
//
// # Parallelism
//
// With more than one worker, Step splits the copies into contiguous blocks,
// one per worker goroutine. Starting and waiting for goroutines costs
// microseconds, about as much as 64 CartPole steps, so by default the Vector
// times its first steps on one goroutine and goes parallel only if a Step
// takes longer than ParallelThreshold. SetWorkers fixes the count.
type Vector struct {
	envs  []Env
	stats []*EpisodeStats // each copy's EpisodeStats, or nil
	spec  *Spec
	size  int // elements of one observation

	obs, finalObs []float32
	// Rewards, Terminated and Truncated hold each copy's result of the last Step.
	Rewards               []float64
	Terminated, Truncated []bool
	episodes              []Episode
	running               []Episode // the running episodes' sums, for copies without EpisodeStats

	actions []int
	workers int  // 0: not decided yet
	auto    bool // workers chosen by timing
	timed   int  // steps timed so far in auto mode
	elapsed time.Duration
	now     func() time.Time // time.Now, or a test's clock
	tasks   []func()         // the parallel blocks after the first
	wg      sync.WaitGroup
}

// ParallelThreshold is the Step duration above which an automatic Vector
// steps its copies in parallel.
var ParallelThreshold = 30 * time.Microsecond

// vectorAutoSteps is the number of Steps an automatic Vector times.
const vectorAutoSteps = 32

// VectorSeed is the seed of copy i of a Vector seeded with seed: SplitMix64's
// output for the pair, so that nearby base seeds give unrelated copies.
func VectorSeed(seed uint64, i int) uint64 {
	z := seed*0x9e3779b97f4a7c15 + uint64(i)*0xd1b54a32d192ed03 + 0x632be59bd9b4e019
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// MakeVector builds n copies of the env named name (see Make), seeded with 0.
func MakeVector(name string, n int) (*Vector, error) {
	return NewVector(n, func() (Env, error) { return Make(name) })
}

// NewVector builds n copies with mk, which must return envs with equal specs,
// and seeds them with 0.
func NewVector(n int, mk func() (Env, error)) (*Vector, error) {
	if n < 1 {
		return nil, fmt.Errorf("env: a vector env needs at least 1 copy, got %d", n)
	}
	v := &Vector{envs: make([]Env, n), stats: make([]*EpisodeStats, n), auto: true, now: time.Now}
	for i := range v.envs {
		e, err := mk()
		if err != nil {
			return nil, err
		}
		if i > 0 && !sameSpaces(e.Spec(), v.spec) {
			return nil, fmt.Errorf("env: vector copy %d has spaces %v %v, copy 0 %v %v",
				i, e.Spec().Observation, e.Spec().Actions, v.spec.Observation, v.spec.Actions)
		}
		v.envs[i] = e
		v.spec = e.Spec()
		v.stats[i], _ = Find[*EpisodeStats](e)
	}
	v.size = v.spec.Observation.Size()
	v.obs = make([]float32, n*v.size)
	v.finalObs = make([]float32, n*v.size)
	v.Rewards = make([]float64, n)
	v.Terminated = make([]bool, n)
	v.Truncated = make([]bool, n)
	v.episodes = make([]Episode, n)
	v.running = make([]Episode, n)
	v.actions = make([]int, n)
	v.Seed(0)
	return v, nil
}

func sameSpaces(a, b *Spec) bool {
	if a.Actions.N != b.Actions.N || len(a.Observation.Shape) != len(b.Observation.Shape) {
		return false
	}
	for i, d := range a.Observation.Shape {
		if b.Observation.Shape[i] != d {
			return false
		}
	}
	return true
}

// N returns the number of copies.
func (v *Vector) N() int { return len(v.envs) }

// Spec returns the spec of one copy.
func (v *Vector) Spec() *Spec { return v.spec }

// Env returns copy i, e.g. to render it. Stepping it directly desynchronises
// the Vector.
func (v *Vector) Env(i int) Env { return v.envs[i] }

// Seed seeds copy i with VectorSeed(seed, i).
func (v *Vector) Seed(seed uint64) {
	for i, e := range v.envs {
		e.Seed(VectorSeed(seed, i))
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
// it ended one. The return is the env's own reward sum (before any
// ClipReward outside its EpisodeStats).
func (v *Vector) Episode(i int) (Episode, bool) { return v.episodes[i], v.Ended(i) }

// Reset resets every copy and returns the observations (see Obs).
func (v *Vector) Reset() []float32 {
	for i, e := range v.envs {
		copy(v.obs[i*v.size:], e.Reset())
		v.running[i] = Episode{}
		v.Rewards[i], v.Terminated[i], v.Truncated[i] = 0, false, false
	}
	return v.obs
}

// SetWorkers sets how many goroutines Step uses (at most N; 1: the calling
// goroutine only). w = 0 restores the automatic choice.
func (v *Vector) SetWorkers(w int) {
	if w < 0 {
		panic("env: Vector.SetWorkers needs w >= 0")
	}
	v.auto = w == 0
	v.workers = min(w, len(v.envs))
	v.timed, v.elapsed = 0, 0
	v.tasks = v.tasks[:0]
}

// Workers returns the number of goroutines Step uses (0 while an automatic
// Vector is still timing its steps on one).
func (v *Vector) Workers() int { return v.workers }

// Step applies actions[i] to copy i, resetting copies whose episode ends (see
// the type's doc), and returns the observations to act on next (see Obs).
func (v *Vector) Step(actions []int) []float32 {
	if len(actions) != len(v.envs) {
		panic(fmt.Sprintf("env: Vector.Step got %d actions for %d copies", len(actions), len(v.envs)))
	}
	copy(v.actions, actions)
	switch {
	case v.auto && v.workers == 0:
		start := v.now()
		v.stepRange(0, len(v.envs))
		v.elapsed += v.now().Sub(start)
		if v.timed++; v.timed == vectorAutoSteps {
			v.workers = 1
			if v.elapsed/vectorAutoSteps > ParallelThreshold {
				v.workers = min(runtime.GOMAXPROCS(0), len(v.envs))
			}
		}
	case v.workers <= 1:
		v.stepRange(0, len(v.envs))
	default:
		if len(v.tasks) != v.workers-1 {
			v.startTasks()
		}
		v.wg.Add(len(v.tasks))
		for _, task := range v.tasks {
			go task()
		}
		v.stepRange(0, len(v.envs)/v.workers)
		v.wg.Wait()
	}
	return v.obs
}

// stepRange steps copies [lo, hi).
func (v *Vector) stepRange(lo, hi int) {
	for i := lo; i < hi; i++ {
		e := v.envs[i]
		o, r, term, trunc := e.Step(v.actions[i])
		v.Rewards[i], v.Terminated[i], v.Truncated[i] = r, term, trunc
		run := &v.running[i]
		run.Return += r
		run.Length++
		if !term && !trunc {
			copy(v.obs[i*v.size:(i+1)*v.size], o)
			continue
		}
		copy(v.finalObs[i*v.size:(i+1)*v.size], o)
		if s := v.stats[i]; s != nil {
			v.episodes[i], _ = s.Ended()
		} else {
			v.episodes[i] = Episode{Return: run.Return, Length: run.Length, Terminated: term, Truncated: trunc}
		}
		*run = Episode{}
		copy(v.obs[i*v.size:(i+1)*v.size], e.Reset())
	}
}

// startTasks makes one task per worker block but the first, which the
// calling goroutine steps itself. Worker k steps copies [k·n/w, (k+1)·n/w).
func (v *Vector) startTasks() {
	n, w := len(v.envs), v.workers
	v.tasks = v.tasks[:0]
	for k := 1; k < w; k++ {
		lo, hi := k*n/w, (k+1)*n/w
		v.tasks = append(v.tasks, func() {
			v.stepRange(lo, hi)
			v.wg.Done()
		})
	}
}
