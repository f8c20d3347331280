package env

import (
	"fmt"
	"math/rand/v2"
)

// This file holds the wrappers that make an env partially observed, the test
// beds of recurrent agents (DRQN, Hausknecht & Stone 2015): KeepObs drops
// elements of a vector observation (CartPole and MountainCar without their
// velocities), Flicker blanks whole observations at random (DRQN's
// flickering Pong).

// KeepObs shows only some elements of the wrapped env's vector observation:
// obs′ = (obs[Keep[0]], obs[Keep[1]], …), a Box of len(Keep) with the kept
// bounds. Rewards, flags and the hidden state pass through.
type KeepObs struct {
	Env
	// Keep lists the indices of the wrapped observation that are shown, in
	// the order shown.
	Keep []int
	spec Spec
	out  []float32
}

var _ Wrapper = (*KeepObs)(nil)

// NewKeepObs wraps e, whose observation must be a vector, to show only the
// elements keep. It panics on an index out of range or given twice.
func NewKeepObs(e Env, keep []int) *KeepObs {
	in := e.Spec().Observation
	if len(in.Shape) != 1 {
		panic(fmt.Sprintf("env: KeepObs needs a vector observation, %s has %v", e.Spec().ID, in))
	}
	k := &KeepObs{Env: e, Keep: append([]int(nil), keep...), spec: *e.Spec(), out: make([]float32, len(keep))}
	seen := map[int]bool{}
	k.spec.Observation = Box{Shape: []int{len(keep)}, Low: make([]float32, len(keep)), High: make([]float32, len(keep))}
	for j, i := range keep {
		if i < 0 || i >= in.Shape[0] || seen[i] {
			panic(fmt.Sprintf("env: KeepObs index %d out of range [0, %d) or repeated", i, in.Shape[0]))
		}
		seen[i] = true
		k.spec.Observation.Low[j], k.spec.Observation.High[j] = in.Low[i], in.High[i]
	}
	return k
}

// Spec returns the wrapped env's spec with the smaller observation space.
func (k *KeepObs) Spec() *Spec { return &k.spec }

func (k *KeepObs) keep(obs []float32) []float32 {
	for j, i := range k.Keep {
		k.out[j] = obs[i]
	}
	return k.out
}

// Reset starts an episode and returns its first observation, reduced.
func (k *KeepObs) Reset() []float32 { return k.keep(k.Env.Reset()) }

// Step steps the wrapped env and returns the reduced observation.
func (k *KeepObs) Step(action int) ([]float32, float64, bool, bool) {
	obs, r, term, trunc := k.Env.Step(action)
	return k.keep(obs), r, term, trunc
}

// Unwrap returns the wrapped env.
func (k *KeepObs) Unwrap() Env { return k.Env }

// Flicker blanks each observation of the wrapped env (sets every element to
// 0) with probability P, independently at every Reset and Step, as DRQN's
// flickering Pong shows the screen or nothing. With frame stacking around it
// each stacked frame flickers on its own. The draws come from the wrapper's
// own stream, seeded by Seed from the env's seed (and from seed 0 before any
// Seed), so the same seed gives the same flicker and the wrapped game's own
// random stream is left as it would be without flicker.
type Flicker struct {
	Env
	// P is the probability that an observation is blanked.
	P   float64
	src *rand.PCG
	rng *rand.Rand
	out []float32
	// blank reports whether the last observation was blanked.
	blank bool
}

var _ Wrapper = (*Flicker)(nil)

// flickerStream is the PCG stream of Flicker's draws (any fixed constant:
// it keeps them apart from other generators seeded with the same seed).
const flickerStream = 0xf11c4e5

// NewFlicker wraps e to blank observations with probability p. It panics
// unless p is in [0, 1].
func NewFlicker(e Env, p float64) *Flicker {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("env: flicker probability %v is not in [0, 1]", p))
	}
	src := rand.NewPCG(0, flickerStream)
	return &Flicker{Env: e, P: p, src: src, rng: rand.New(src), out: make([]float32, e.Spec().Observation.Size())}
}

// Seed reseeds the wrapped env and the flicker stream from seed.
func (f *Flicker) Seed(seed uint64) {
	f.Env.Seed(seed)
	f.src.Seed(seed, flickerStream)
}

// Blanked reports whether the last observation returned was blanked.
func (f *Flicker) Blanked() bool { return f.blank }

func (f *Flicker) flicker(obs []float32) []float32 {
	f.blank = f.rng.Float64() < f.P
	if f.blank {
		clear(f.out)
	} else {
		copy(f.out, obs)
	}
	return f.out
}

// Reset starts an episode; its first observation may be blanked too.
func (f *Flicker) Reset() []float32 { return f.flicker(f.Env.Reset()) }

// Step steps the wrapped env and returns its observation or zeros.
func (f *Flicker) Step(action int) ([]float32, float64, bool, bool) {
	obs, r, term, trunc := f.Env.Step(action)
	return f.flicker(obs), r, term, trunc
}

// Unwrap returns the wrapped env.
func (f *Flicker) Unwrap() Env { return f.Env }

// MarshalBinary encodes the flicker stream's state (for a resumed run to
// flicker as the interrupted one would have).
func (f *Flicker) MarshalBinary() ([]byte, error) { return f.src.MarshalBinary() }

// UnmarshalBinary restores the state MarshalBinary encoded.
func (f *Flicker) UnmarshalBinary(b []byte) error {
	if err := f.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("env: flicker state: %w", err)
	}
	return nil
}
