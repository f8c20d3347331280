package env

import (
	"math"
	"math/rand/v2"

	"github.com/deepq/deepq/internal/fmath"
)

// CartPole is Gymnasium's CartPole-v1 without its time limit (Make("cartpole")
// adds the 500-step TimeLimit). A pole is hinged on a cart moving along a
// frictionless track; action 0 pushes the cart left, action 1 right, with a
// force of 10 N. The physics is Gymnasium's, operation for operation: explicit
// Euler with τ = 0.02 s, all four updates using the old state. The episode
// terminates when |x| > 2.4 or |θ| > 12°; every step, the terminating one
// included, gives reward 1.
//
// The state is kept in float64 as in Gymnasium; observations are its float32
// rounding.
type CartPole struct {
	// State is (x, ẋ, θ, θ̇), in metres, m/s, radians and rad/s.
	State [4]float64

	rng        *rand.Rand
	obs        [4]float32
	terminated bool // the last step terminated; stepping on gives reward 0
}

// CartPole's constants, as in gymnasium/envs/classic_control/cartpole.py.
const (
	cartPoleGravity        = 9.8
	cartPoleMassCart       = 1.0
	cartPoleMassPole       = 0.1
	cartPoleTotalMass      = cartPoleMassPole + cartPoleMassCart
	cartPoleLength         = 0.5 // half the pole's length
	cartPolePoleMassLength = cartPoleMassPole * cartPoleLength
	cartPoleForceMag       = 10.0
	cartPoleTau            = 0.02
	// CartPoleXThreshold is the cart position beyond which an episode terminates.
	CartPoleXThreshold = 2.4
)

// CartPoleThetaThreshold is 12·2·π/360 rounded step by step as Python evaluates
// it (0.20943951023931953); Go's exact constant arithmetic would round once and
// land one ulp higher.
var CartPoleThetaThreshold = func() float64 {
	pi := math.Pi // a float64 variable, as Python's math.pi
	return 12 * 2 * pi / 360
}()

var _ Env = (*CartPole)(nil)

// NewCartPole returns a CartPole seeded with 0.
func NewCartPole() *CartPole {
	c := &CartPole{}
	c.Seed(0)
	return c
}

var cartPoleSpec = func() *Spec {
	// Observation bounds: twice the termination thresholds for x and θ, and
	// float32's largest value for the velocities, as Gymnasium's.
	hi := []float32{2 * CartPoleXThreshold, math.MaxFloat32, float32(2 * CartPoleThetaThreshold), math.MaxFloat32}
	lo := make([]float32, 4)
	for i, h := range hi {
		lo[i] = -h
	}
	return &Spec{
		ID:              "CartPole-v1",
		Observation:     Box{Shape: []int{4}, Low: lo, High: hi},
		Actions:         Discrete{N: 2, Names: []string{"left", "right"}},
		MaxEpisodeSteps: 500,
		RewardThreshold: 475,
		RewardRange:     [2]float64{0, 1},
		FPS:             50,
	}
}()

// Spec returns CartPole-v1's spaces.
func (c *CartPole) Spec() *Spec { return cartPoleSpec }

// Seed reseeds the generator that draws start states.
func (c *CartPole) Seed(seed uint64) { c.rng = newRand(seed) }

// Reset draws each state variable uniformly from [-0.05, 0.05).
func (c *CartPole) Reset() []float32 {
	for i := range c.State {
		c.State[i] = -0.05 + 0.1*c.rng.Float64()
	}
	c.terminated = false
	return c.observe()
}

// SetState puts the env in state s (x, ẋ, θ, θ̇), as after a Reset, and returns its
// observation. Tests use it to start from a reference trajectory's state.
func (c *CartPole) SetState(s [4]float64) []float32 {
	c.State = s
	c.terminated = false
	return c.observe()
}

// Step pushes the cart left (0) or right (1) for one τ.
func (c *CartPole) Step(action int) ([]float32, float64, bool, bool) {
	if action != 0 && action != 1 {
		panic("env: CartPole action must be 0 or 1")
	}
	x, xDot, theta, thetaDot := c.State[0], c.State[1], c.State[2], c.State[3]
	force := -cartPoleForceMag
	if action == 1 {
		force = cartPoleForceMag
	}
	// fmath's sin and cos are correctly rounded, as glibc's are (but for rare
	// misroundings of glibc), where Go's math.Sin and math.Cos are off by an ulp
	// for a few percent of angles, a difference CartPole amplifies.
	sinTheta, cosTheta := fmath.Sincos(theta)
	// The explicit float64 conversions keep the compiler from fusing a multiply
	// and an add into one FMA, which NumPy does not do.
	temp := (force + float64(float64(cartPolePoleMassLength*float64(thetaDot*thetaDot))*sinTheta)) / cartPoleTotalMass
	thetaAcc := (float64(cartPoleGravity*sinTheta) - float64(cosTheta*temp)) /
		(cartPoleLength * (4.0/3.0 - float64(float64(cartPoleMassPole*float64(cosTheta*cosTheta))/cartPoleTotalMass)))
	xAcc := temp - float64(float64(cartPolePoleMassLength*thetaAcc)*cosTheta)/cartPoleTotalMass

	c.State[0] = x + float64(cartPoleTau*xDot)
	c.State[1] = xDot + float64(cartPoleTau*xAcc)
	c.State[2] = theta + float64(cartPoleTau*thetaDot)
	c.State[3] = thetaDot + float64(cartPoleTau*thetaAcc)

	x, theta = c.State[0], c.State[2]
	terminated := x < -CartPoleXThreshold || x > CartPoleXThreshold ||
		theta < -CartPoleThetaThreshold || theta > CartPoleThetaThreshold
	reward := 1.0
	if terminated {
		if c.terminated {
			// Gymnasium warns and gives 0 when stepped on after termination.
			reward = 0
		}
		c.terminated = true
	}
	return c.observe(), reward, terminated, false
}

func (c *CartPole) observe() []float32 {
	for i, v := range c.State {
		c.obs[i] = float32(v)
	}
	return c.obs[:]
}

// newRand returns a PCG generator for seed; envs own one each.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}
