package env

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestHideVelocity checks the velocity-hidden variants against the full envs
// run with the same seed and actions: the observation is exactly the kept
// elements (positions), with their bounds, and rewards and flags agree.
func TestHideVelocity(t *testing.T) {
	for _, c := range []struct {
		full, pomdp []string
		keep        []int
	}{
		{[]string{"cartpole", "cartpole-pomdp:hide-velocity=false"}, []string{"cartpole-pomdp", "cartpole:hide-velocity=true", "CartPole-v1:hide-velocity=1"}, []int{0, 2}},
		{[]string{"mountaincar", "mountaincar-pomdp:hide-velocity=false"}, []string{"mountaincar-pomdp", "mountaincar:hide-velocity=true,max-steps=200"}, []int{0}},
	} {
		for _, fullName := range c.full {
			for _, name := range c.pomdp {
				full, err := Make(fullName)
				if err != nil {
					t.Fatal(err)
				}
				e, err := Make(name)
				if err != nil {
					t.Fatal(err)
				}
				fs, ps := full.Spec(), e.Spec()
				if !slices.Equal(ps.Observation.Shape, []int{len(c.keep)}) {
					t.Fatalf("%s: observation %v, want Box(%d)", name, ps.Observation, len(c.keep))
				}
				for j, i := range c.keep {
					if ps.Observation.Low[j] != fs.Observation.Low[i] || ps.Observation.High[j] != fs.Observation.High[i] {
						t.Errorf("%s: bounds of element %d are [%v, %v], want %s's [%v, %v]", name, j,
							ps.Observation.Low[j], ps.Observation.High[j], fullName, fs.Observation.Low[i], fs.Observation.High[i])
					}
				}
				if ps.MaxEpisodeSteps != fs.MaxEpisodeSteps || ps.Actions.N != fs.Actions.N {
					t.Errorf("%s: limit %d, actions %d; %s has %d, %d", name, ps.MaxEpisodeSteps, ps.Actions.N, fullName, fs.MaxEpisodeSteps, fs.Actions.N)
				}
				full.Seed(7)
				e.Seed(7)
				rng := rand.New(rand.NewPCG(1, 1))
				fo, po := full.Reset(), e.Reset()
				for step := range 600 {
					if len(po) != len(c.keep) {
						t.Fatalf("%s step %d: %d elements observed", name, step, len(po))
					}
					for j, i := range c.keep {
						if po[j] != fo[i] {
							t.Fatalf("%s step %d: obs %v, full obs %v", name, step, po, fo)
						}
					}
					a := rng.IntN(fs.Actions.N)
					var fr, pr float64
					var ft, ftr, pt, ptr bool
					fo, fr, ft, ftr = full.Step(a)
					po, pr, pt, ptr = e.Step(a)
					if fr != pr || ft != pt || ftr != ptr {
						t.Fatalf("%s step %d: (r, term, trunc) = (%v, %v, %v), full env (%v, %v, %v)", name, step, pr, pt, ptr, fr, ft, ftr)
					}
					if ft || ftr {
						fo, po = full.Reset(), e.Reset()
					}
				}
			}
		}
	}
	if _, err := Make("cartpole:hide-velocity=maybe"); err == nil || !strings.Contains(err.Error(), "hide-velocity") {
		t.Errorf("hide-velocity=maybe: %v, want an error naming the option", err)
	}
}

// flickerRun steps name for n observations with seeded random actions and
// returns, per observation, whether it was all zeros, and the observations.
func flickerRun(t *testing.T, name string, seed uint64, n int) (blank []bool, obs [][]float32) {
	t.Helper()
	e, err := Make(name)
	if err != nil {
		t.Fatal(err)
	}
	e.Seed(seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	o := e.Reset()
	f, hasFlicker := Find[*Flicker](e)
	for range n {
		zero := !slices.ContainsFunc(o, func(v float32) bool { return v != 0 })
		if hasFlicker && f.Blanked() != zero {
			t.Fatalf("%s: Blanked() = %v for an observation that is all zeros: %v", name, f.Blanked(), zero)
		}
		blank = append(blank, zero)
		obs = append(obs, slices.Clone(o))
		var term, trunc bool
		o, _, term, trunc = e.Step(rng.IntN(e.Spec().Actions.N))
		if term || trunc {
			o = e.Reset()
		}
	}
	return blank, obs
}

// TestFlicker checks flickering MinAtar: each observation is all zeros with
// probability 0.5 (to 4σ over 4000 draws), the others are exactly what the
// game shows without flicker for the same seed and actions (the game's own
// random stream is untouched), and the same seed flickers the same way.
func TestFlicker(t *testing.T) {
	const n = 4000
	for _, c := range []struct {
		name, plain string
		p           float64
	}{
		{"minatar-breakout-flicker", "minatar-breakout", 0.5},
		{"minatar-freeway:flicker=0.25", "minatar-freeway", 0.25},
		{"minatar-asterix-flicker:flicker=0.5,max-steps=100", "minatar-asterix:max-steps=100", 0.5},
	} {
		blank, obs := flickerRun(t, c.name, 5, n)
		plainBlank, plain := flickerRun(t, c.plain, 5, n)
		k := 0
		for i := range n {
			if plainBlank[i] {
				t.Fatalf("%s shows an empty frame at %d: the test cannot tell blanks", c.plain, i)
			}
			if blank[i] {
				k++
				continue
			}
			if !slices.Equal(obs[i], plain[i]) {
				t.Fatalf("%s: observation %d differs from %s's", c.name, i, c.plain)
			}
		}
		rate, sigma := float64(k)/n, math.Sqrt(c.p*(1-c.p)/n)
		t.Logf("%s: %d of %d observations blanked (%.3f, p = %v, σ = %.4f)", c.name, k, n, rate, c.p, sigma)
		if math.Abs(rate-c.p) > 4*sigma {
			t.Errorf("%s: blank rate %.4f, want %v ± %.4f", c.name, rate, c.p, 4*sigma)
		}
		again, _ := flickerRun(t, c.name, 5, n)
		if !slices.Equal(again, blank) {
			t.Errorf("%s: the same seed flickered differently", c.name)
		}
		other, _ := flickerRun(t, c.name, 6, n)
		if slices.Equal(other, blank) {
			t.Errorf("%s: seeds 5 and 6 flickered alike", c.name)
		}
	}
	for _, bad := range []string{"minatar-breakout:flicker=1.5", "minatar-breakout-flicker:flicker=-0.1", "minatar-breakout:flicker=half"} {
		if _, err := Make(bad); err == nil || !strings.Contains(err.Error(), "flicker") {
			t.Errorf("%s: %v, want an error naming the flicker option", bad, err)
		}
	}
}

// TestFlickerResume: the flicker stream's state restores, so a resumed run
// flickers as the original would have.
func TestFlickerResume(t *testing.T) {
	e, err := Make("minatar-breakout-flicker")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := Find[*Flicker](e)
	e.Seed(9)
	e.Reset()
	for range 10 {
		e.Step(0)
	}
	state, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var want []bool
	for range 50 {
		e.Step(0)
		want = append(want, f.Blanked())
	}
	if err := f.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		e.Step(0)
		if f.Blanked() != want[i] {
			t.Fatalf("draw %d after restoring differs", i)
		}
	}
	if err := f.UnmarshalBinary([]byte("junk")); err == nil {
		t.Error("restored a junk state")
	}
}
