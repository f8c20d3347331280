// Package env holds deepq's simulators behind one Gymnasium-style interface.
//
// An Env is reseeded with Seed (Gymnasium's reset(seed=s) is Seed(s) followed by
// Reset), starts an episode with Reset, and advances with Step, which returns the
// next observation, the reward, and two separate end flags:
//
//   - terminated: the episode reached a terminal state of the MDP (the pole fell).
//     Its value is zero; a learner must not bootstrap from it.
//   - truncated: the episode was cut short from outside, by a time limit. The state
//     is not terminal; a learner bootstraps from the returned observation.
//
// Observations are float32 slices owned by the env and overwritten by the next
// Reset or Step: copy them to keep them. Actions are integers in [0, N).
//
// Environments are found by name through a registry:
//
//	e, err := env.Make("cartpole")            // CartPole-v1 with its 500-step limit
//	e.Seed(1)
//	obs := e.Reset()
//	obs, r, terminated, truncated := e.Step(1)
//
// A name may carry options after a colon, e.g. "cartpole:max-steps=200"; an
// unknown name or option is an error that lists what is available.
//
// The simulators reproduce their reference implementations to the last bit that
// the platform's sin and cos allow; testdata/ holds reference trajectories that
// the tests replay step by step.
package env
