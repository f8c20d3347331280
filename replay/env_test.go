package replay

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deepq/deepq/env"
)

// TestRealEnvs feeds buffers from deepq's own environments and wrappers the
// way a trainer does, and checks every sample against the recorded stream:
// CartPole under a short time limit (truncations), MinAtar Breakout through
// the FrameStack wrapper in bits storage, and a Vector of CartPoles with its
// same-step autoreset, one stream per copy.
func TestRealEnvs(t *testing.T) {
	for _, c := range []struct {
		spec    string
		storage Storage
		k       int
	}{
		{"cartpole:max-steps=20", Float32, 1},
		{"minatar-breakout:frame-stack=4,max-steps=60", Bits, 4},
		{"minatar-space-invaders:frame-stack=2,max-steps=40", Uint8, 2},
		{"cartpole:max-steps=20", Float16, 1},
		{"cartpole:max-steps=20", BF16, 1},
	} {
		t.Run(c.spec, func(t *testing.T) {
			e, err := env.Make(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			e.Seed(1)
			spec := e.Spec()
			cfg := Config{Capacity: 300, ObsSize: spec.Observation.Size(), FrameStack: c.k, Storage: c.storage,
				Gamma: 0.99, NStep: 3, Streams: 1, Prioritized: DefaultPrioritized(1000)}
			b, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			w := &world{t: t, cfg: cfg, ring: int64(cfg.Capacity)}
			rng := rand.New(rand.NewPCG(1, 1))
			batch := NewBatch(32, cfg.ObsSize)
			seen := map[int]bool{}
			obs := slices.Clone(e.Reset())
			ends := 0
			for i := range 1500 {
				a := rng.IntN(spec.Actions.N)
				next, r, term, trunc := e.Step(a)
				b.Add(obs, a, r, next, term, trunc)
				w.record(w.stored(obs), a, r, w.stored(next), term, trunc)
				if term || trunc {
					ends++
					copy(obs, e.Reset())
				} else {
					copy(obs, next)
				}
				if i%7 == 0 {
					w.check(b, rng, batch, seen)
				}
			}
			if ends < 20 || len(seen) < 500 {
				t.Fatalf("%d episodes, %d transitions sampled: the test did not exercise the buffer", ends, len(seen))
			}
		})
	}
	t.Run("vector", func(t *testing.T) {
		const N = 3
		v, err := env.NewVector(N, func() (env.Env, error) { return env.Make("cartpole:max-steps=15") })
		if err != nil {
			t.Fatal(err)
		}
		v.Seed(2)
		cfg := Config{Capacity: N * 100, ObsSize: 4, FrameStack: 1, Storage: Float32, Gamma: 0.99, NStep: 3, Streams: N}
		b, _ := New(cfg)
		var ws []*world
		for i := range N {
			ws = append(ws, &world{t: t, cfg: cfg, ring: 100, stream: i})
		}
		rng := rand.New(rand.NewPCG(1, 1))
		batch := NewBatch(32, 4)
		seen := map[int]bool{}
		obs := slices.Clone(v.Reset())
		actions := make([]int, N)
		for step := range 1000 {
			for i := range actions {
				actions[i] = rng.IntN(2)
			}
			v.Step(actions)
			for i := range N {
				next := v.ObsOf(i)
				if v.Ended(i) {
					next = v.FinalObs(i) // the s′ of the final step; ObsOf(i) already starts the next episode
				}
				o := obs[i*4 : (i+1)*4]
				b.AddStream(i, o, actions[i], v.Rewards[i], next, v.Terminated[i], v.Truncated[i])
				ws[i].record(o, actions[i], v.Rewards[i], next, v.Terminated[i], v.Truncated[i])
			}
			copy(obs, v.Obs())
			if step%5 == 0 {
				checkWorlds(t, ws, b, rng, batch, seen)
			}
		}
		if len(seen) < 250 {
			t.Fatalf("only %d transitions sampled", len(seen))
		}
	})
}
