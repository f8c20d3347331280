package env

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSameSeedSameEpisode plays three episodes of every env twice with the
// same seed and actions drawn from a fixed stream, and once with another seed:
// the first two traces must be equal and the third must differ.
func TestSameSeedSameEpisode(t *testing.T) {
	for _, name := range []string{
		"cartpole", "mountaincar:max-steps=60", "acrobot:max-steps=80",
		"gridworld:map=four-rooms,slip=0.2,max-steps=60", "gridworld:map=cliff,slip=0.1,obs=image,frame-stack=2",
		"cartpole:clip-reward=unit,frame-stack=3",
	} {
		t.Run(name, func(t *testing.T) {
			run := func(seed uint64) []float64 {
				e := must(Make(name))
				e.Seed(seed)
				rng := rand.New(rand.NewPCG(42, 0))
				var trace []float64
				for range 3 {
					for _, o := range e.Reset() {
						trace = append(trace, float64(o))
					}
					for {
						obs, r, term, trunc := e.Step(rng.IntN(e.Spec().Actions.N))
						for _, o := range obs {
							trace = append(trace, float64(o))
						}
						trace = append(trace, r)
						if term || trunc {
							break
						}
					}
				}
				return trace
			}
			a, b, c := run(7), run(7), run(8)
			if !slices.Equal(a, b) {
				t.Fatal("the same seed gave different episodes")
			}
			if slices.Equal(a, c) {
				t.Fatal("seeds 7 and 8 gave the same episodes")
			}
		})
	}
}
