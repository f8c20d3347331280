package remote_test

import (
	"fmt"

	"github.com/deepq/deepq/env/remote"
	"github.com/deepq/deepq/env/remote/remotetest"
)

// Serve testdata's CartPole from Python, connect to it, and play one episode
// from a given start state, pushing towards the pole's lean. (The registry's
// env.Make("remote:addr=...,world=CartPole-v1,max-steps=200") builds the same
// env, wrapped in EpisodeStats.)
func Example() {
	srv, err := remotetest.Launch(remotetest.CartPoleScript())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Kill()
	addr := srv.Addr

	cfg := remote.DefaultConfig(addr, "CartPole-v1")
	cfg.WorldSettings = []remote.Setting{remote.Int("max_episode_steps", 200)}
	e, err := remote.Dial(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	fmt.Println(e.Spec().ID, e.Spec().Observation, e.Spec().Actions)

	obs, err := e.ResetWith(remote.Float64s("state", 0, 0, 0.02, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	ret, steps := 0.0, 0
	for {
		a := 0
		if obs[2]+0.5*obs[3] > 0 { // θ + θ̇/2 > 0: push right
			a = 1
		}
		var r float64
		var term, trunc bool
		obs, r, term, trunc = e.Step(a)
		ret, steps = ret+r, steps+1
		if term || trunc {
			fmt.Printf("return %v in %d steps, terminated %v, truncated %v\n", ret, steps, term, trunc)
			break
		}
	}
	if err := e.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// CartPole-v1 Box(4) Discrete(2)
	// return 200 in 200 steps, terminated false, truncated true
}
