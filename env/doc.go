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
// # Environments
//
//   - cartpole (CartPole-v1), mountaincar (MountainCar-v0), acrobot (Acrobot-v1):
//     Gymnasium's classic control, operation for operation in float64.
//   - gridworld: a tabular maze from text (# wall, . free, S start, G goal,
//     L lava) or a built-in map (open-5x5, maze-8x8, cliff, four-rooms), with a
//     slip probability and one-hot, (row, col) or C×H×W image observations.
//     GridWorld.OptimalReturn gives the best return by breadth-first search.
//
// Environments are found by name through a registry:
//
//	e, err := env.Make("cartpole")            // CartPole-v1 with its 500-step limit
//	e.Seed(1)
//	obs := e.Reset()
//	obs, r, terminated, truncated := e.Step(1)
//
// A name may carry options after a colon, e.g. "cartpole:max-steps=200" or
// "gridworld:map=four-rooms,slip=0.1,obs=image,frame-stack=4"; an unknown name
// or option is an error that lists what is available.
//
// # Wrappers
//
// Make returns the env wrapped, from the inside out, in its TimeLimit, an
// EpisodeStats (which records each episode's return and length), and what the
// common options ask for: ClipReward (clip-reward=sign|unit) and FrameStack
// (frame-stack=K, stacking along the first, channel, axis). Unwrapped returns
// the bare env and Find[T] the first wrapper or env of type T, e.g.
// Find[*EpisodeStats](e) or Find[Renderer](e).
//
// # Partially observed variants
//
// For agents with memory (DRQN, R2D2): cartpole-pomdp and mountaincar-pomdp
// (or the option hide-velocity=true) observe positions only, (x, θ) and the
// car's position, through KeepObs; minatar-<game>-flicker (or the option
// flicker=P on any MinAtar game) blanks each observation to zeros with
// probability 0.5 (P), through Flicker, whose draws come from its own stream
// seeded with the env, so a seed fixes the flicker and the game plays as it
// would without it.
//
// # Vector envs
//
// A Vector steps N copies with per-copy seeds VectorSeed(seed, i) and resets
// finished copies in the same Step: Obs holds the next episode's first
// observation and FinalObs the finished episode's last, for bootstrapping a
// truncated episode. The results do not depend on how many goroutines step it.
//
// # Rendering
//
// The envs implement Renderer: Render(img) draws the current state filling
// img's bounds (Gymnasium's pictures for the classic-control tasks, a coloured
// grid for GridWorld), anti-aliased with golang.org/x/image/vector.
// RenderSize gives an env's natural frame size.
//
// # Exactness
//
// The classic-control simulators reproduce Gymnasium's float64 arithmetic:
// explicit float64 conversions keep the compiler from fusing multiplies and
// adds, constants that Python rounds step by step are computed at run time,
// and sin and cos come from internal/fmath, which is correctly rounded as
// glibc's libm is almost always. testdata/ holds Gymnasium's reference
// trajectories, which the tests replay step by step; each test's comment says
// how close they come.
package env
