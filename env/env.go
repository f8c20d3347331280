package env

import (
	"fmt"
	"image"
)

// Env is a reinforcement-learning environment with a discrete action space.
type Env interface {
	// Spec describes the observation and action spaces; it does not change.
	Spec() *Spec
	// Seed reseeds the env's random number generator. The next Reset draws its
	// start state from the new stream; later Resets continue that stream.
	Seed(seed uint64)
	// Reset starts a new episode and returns its first observation.
	Reset() []float32
	// Step applies action, which must be in [0, Spec().Actions.N), and returns the
	// next observation, the reward, and whether the episode terminated (a terminal
	// state: do not bootstrap) or was truncated (cut short: bootstrap from obs).
	Step(action int) (obs []float32, reward float64, terminated, truncated bool)
}

// Failer is implemented by envs that can fail for reasons outside the
// program, such as a remote env (env/remote) whose server died. Env's methods
// return no error, so such an env keeps its first failure for Err and from
// then on returns from Reset and Step at once (Step with reward 0 and
// truncated = true). A loop checks Err after each Reset and Step, before
// using their results, and stops on the first error; Find[Failer](e) finds
// the env under any wrappers.
type Failer interface {
	Err() error
}

// Spec describes an environment's spaces and limits.
type Spec struct {
	// ID is the reference name, e.g. "CartPole-v1".
	ID string
	// Observation is the space observations lie in.
	Observation Box
	// Actions is the discrete action space.
	Actions Discrete
	// MaxEpisodeSteps is the time limit after which episodes are truncated, or 0.
	MaxEpisodeSteps int
	// RewardThreshold is the mean return at which the task counts as solved
	// (Gymnasium's reward_threshold), or 0 if it has none.
	RewardThreshold float64
	// RewardRange bounds one step's reward: [min, max].
	RewardRange [2]float64
	// FPS is the frame rate at which episodes play back in real time.
	FPS int
}

// Box is a space of float32 arrays of a fixed shape with per-element bounds.
type Box struct {
	Shape []int
	// Low and High hold one bound per element, in row-major order.
	Low, High []float32
}

// Size returns the number of elements of an observation.
func (b Box) Size() int {
	n := 1
	for _, d := range b.Shape {
		n *= d
	}
	return n
}

// Discrete is the action space {0, 1, ..., N-1}.
type Discrete struct {
	N int
	// Names optionally names each action, for display.
	Names []string
}

// String formats the space as Gymnasium does, e.g. "Discrete(2)".
func (d Discrete) String() string { return fmt.Sprintf("Discrete(%d)", d.N) }

// String formats the space's shape, e.g. "Box(4)".
func (b Box) String() string {
	s := "Box("
	for i, d := range b.Shape {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(d)
	}
	return s + ")"
}

// Renderer is implemented by envs that can draw their current state. The
// live window, GIF recording and golden-image tests all use these frames.
type Renderer interface {
	// Render draws the current state into img, filling its bounds at whatever
	// size it has.
	Render(img *image.RGBA)
}
