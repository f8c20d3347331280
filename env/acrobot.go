package env

import (
	"math"
	"math/rand/v2"
)

// Acrobot is Gymnasium's Acrobot-v1 without its time limit (Make("acrobot")
// adds the 500-step TimeLimit): two links hang from a fixed pivot, joined by an
// actuated joint. Actions 0, 1, 2 apply a torque of −1, 0, +1 N·m at that joint.
// The episode terminates when the free end rises above the pivot by more than
// one link length, −cos θ1 − cos(θ1+θ2) > 1; every other step gives reward −1,
// the terminating one 0.
//
// The state s = (θ1, θ2, θ̇1, θ̇2) advances by one classical Runge–Kutta step
// over dt = 0.2 s,
//
//	k1 = f(s), k2 = f(s + dt/2·k1), k3 = f(s + dt/2·k2), k4 = f(s + dt·k3)
//	s ← s + dt/6·(k1 + 2k2 + 2k3 + k4)
//
// with f the equations of motion of Sutton & Barto's book (or, with Nips set,
// of Sutton's 1996 NIPS paper, which lack a term), then the angles are wrapped
// into [−π, π] and the velocities clipped to ±4π and ±9π. Observations are
// (cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2) as float32. Reset draws each state
// variable uniformly from [−0.1, 0.1) and rounds it to float32, as Gymnasium
// does; integration is in float64 with Gymnasium's order of operations.
type Acrobot struct {
	// State is (θ1, θ2, θ̇1, θ̇2): the first link's angle from hanging straight
	// down, the second link's angle relative to the first, and their velocities.
	State [4]float64
	// Nips selects the equations of the NIPS paper instead of the book's.
	Nips bool

	rng *rand.Rand
	obs [6]float32
}

// Acrobot's constants, as in gymnasium/envs/classic_control/acrobot.py. They
// are exact in binary, so their products fold exactly; g and π are variables
// so that products with them round as Python's do.
const (
	acrobotDt  = 0.2
	acrobotL1  = 1.0 // length of link 1 [m]
	acrobotL2  = 1.0 // length of link 2 [m]
	acrobotM1  = 1.0 // mass of link 1 [kg]
	acrobotM2  = 1.0 // mass of link 2 [kg]
	acrobotLC1 = 0.5 // position of the centre of mass of link 1 [m]
	acrobotLC2 = 0.5 // position of the centre of mass of link 2 [m]
	acrobotI1  = 1.0 // moment of inertia of link 1
	acrobotI2  = 1.0 // moment of inertia of link 2
)

var (
	acrobotG  = 9.8
	acrobotPi = math.Pi // a float64 variable, as Python's math.pi
	// AcrobotMaxVel1 and AcrobotMaxVel2 bound θ̇1 and θ̇2: 4π and 9π, rounded
	// as Python rounds them (9·π is not 9π rounded once).
	AcrobotMaxVel1 = 4 * acrobotPi
	AcrobotMaxVel2 = 9 * acrobotPi
	acrobotTorque  = [3]float64{-1, 0, 1}
)

var _ Env = (*Acrobot)(nil)

// NewAcrobot returns an Acrobot seeded with 0, with the book's dynamics.
func NewAcrobot() *Acrobot {
	a := &Acrobot{}
	a.Seed(0)
	return a
}

var acrobotSpec = func() *Spec {
	hi := []float32{1, 1, 1, 1, float32(AcrobotMaxVel1), float32(AcrobotMaxVel2)}
	lo := make([]float32, len(hi))
	for i, h := range hi {
		lo[i] = -h
	}
	return &Spec{
		ID:              "Acrobot-v1",
		Observation:     Box{Shape: []int{6}, Low: lo, High: hi},
		Actions:         Discrete{N: 3, Names: []string{"-1", "0", "+1"}},
		MaxEpisodeSteps: 500,
		RewardThreshold: -100,
		RewardRange:     [2]float64{-1, 0},
		FPS:             15,
	}
}()

// Spec returns Acrobot-v1's spaces.
func (a *Acrobot) Spec() *Spec { return acrobotSpec }

// Seed reseeds the generator that draws start states.
func (a *Acrobot) Seed(seed uint64) { a.rng = newRand(seed) }

// Reset draws each state variable uniformly from [−0.1, 0.1), rounded to float32.
func (a *Acrobot) Reset() []float32 {
	const lo, hi = -0.1, 0.1
	for i := range a.State {
		a.State[i] = float64(float32(lo + (hi-lo)*a.rng.Float64()))
	}
	return a.observe()
}

// SetState puts the env in state s, as after a Reset, and returns its observation.
func (a *Acrobot) SetState(s [4]float64) []float32 {
	a.State = s
	return a.observe()
}

// Step applies torque −1 (0), 0 (1) or +1 (2) for dt.
func (a *Acrobot) Step(action int) ([]float32, float64, bool, bool) {
	if action < 0 || action > 2 {
		panic("env: Acrobot action must be 0, 1 or 2")
	}
	τ := acrobotTorque[action]
	s := a.State
	// One RK4 step over [0, dt], element by element as NumPy does it. The
	// float64 conversions keep the compiler from fusing products into sums.
	const dt, dt2 = acrobotDt, acrobotDt / 2
	var y [4]float64
	k1 := a.dsdt(s, τ)
	for i := range y {
		y[i] = s[i] + float64(dt2*k1[i])
	}
	k2 := a.dsdt(y, τ)
	for i := range y {
		y[i] = s[i] + float64(dt2*k2[i])
	}
	k3 := a.dsdt(y, τ)
	for i := range y {
		y[i] = s[i] + float64(dt*k3[i])
	}
	k4 := a.dsdt(y, τ)
	dt6 := acrobotDtOver6
	for i := range s {
		sum := k1[i] + float64(2*k2[i]) + float64(2*k3[i]) + k4[i]
		s[i] += float64(dt6 * sum)
	}
	s[0] = wrapAngle(s[0])
	s[1] = wrapAngle(s[1])
	s[2] = min(max(s[2], -AcrobotMaxVel1), AcrobotMaxVel1)
	s[3] = min(max(s[3], -AcrobotMaxVel2), AcrobotMaxVel2)
	a.State = s

	terminated := -cos(s[0])-cos(s[1]+s[0]) > 1
	reward := -1.0
	if terminated {
		reward = 0
	}
	return a.observe(), reward, terminated, false
}

// acrobotDtOver6 is dt/6.0 computed in float64 as Python does.
var acrobotDtOver6 = func() float64 { dt := acrobotDt; return dt / 6 }()

// wrapAngle wraps θ into [−π, π] by whole turns, as Gymnasium's wrap does (one
// subtraction of 2π at a time).
func wrapAngle(θ float64) float64 {
	const turn = 2 * math.Pi // 2π is exact scaling of π, so this equals Python's M − m
	for θ > acrobotPi {
		θ -= turn
	}
	for θ < -acrobotPi {
		θ += turn
	}
	return θ
}

// dsdt returns the time derivative (θ̇1, θ̇2, θ̈1, θ̈2) of state s under torque τ.
// With d1, d2 the inertia terms and φ1, φ2 the gravity and Coriolis terms,
//
//	θ̈2 = (τ + d2/d1·φ1 − m2·l1·lc2·θ̇1²·sin θ2 − φ2) / (m2·lc2² + I2 − d2²/d1)
//	θ̈1 = −(d2·θ̈2 + φ1) / d1
//
// (the NIPS variant drops the θ̇1² term).
func (a *Acrobot) dsdt(s [4]float64, τ float64) [4]float64 {
	const (
		m1, m2, l1, lc1, lc2, I1, I2 = acrobotM1, acrobotM2, acrobotL1, acrobotLC1, acrobotLC2, acrobotI1, acrobotI2
	)
	g, pi := acrobotG, acrobotPi
	θ1, θ2, dθ1, dθ2 := s[0], s[1], s[2], s[3]
	sinθ2, cosθ2 := sincos(θ2)
	d1 := m1*lc1*lc1 + float64(m2*(l1*l1+lc2*lc2+float64(2*l1*lc2*cosθ2))) + I1 + I2
	d2 := float64(m2*(lc2*lc2+float64(l1*lc2*cosθ2))) + I2
	φ2 := float64(m2 * lc2 * g * cos(θ1+θ2-pi/2))
	φ1 := float64(-m2*l1*lc2*square(dθ2)*sinθ2) - float64(2*m2*l1*lc2*dθ2*dθ1*sinθ2) +
		float64((m1*lc1+m2*l1)*g*cos(θ1-pi/2)) + φ2
	var ddθ2 float64
	if a.Nips {
		ddθ2 = (τ + float64(float64(d2/d1)*φ1) - φ2) / (m2*lc2*lc2 + I2 - square(d2)/d1)
	} else {
		ddθ2 = (τ + float64(float64(d2/d1)*φ1) - float64(m2*l1*lc2*square(dθ1)*sinθ2) - φ2) /
			(m2*lc2*lc2 + I2 - square(d2)/d1)
	}
	ddθ1 := -(float64(d2*ddθ2) + φ1) / d1
	return [4]float64{dθ1, dθ2, ddθ1, ddθ2}
}

// square returns x², as NumPy's x**2 on a float64 scalar, which calls libm's
// pow(x, 2). glibc's pow is not correctly rounded: for about 0.08% of arguments
// it is one ulp away from x·x, the correctly rounded square returned here. See
// TestAcrobotMatchesGymnasium for what that does to the reference trajectories.
func square(x float64) float64 { return x * x }

func (a *Acrobot) observe() []float32 {
	s := a.State
	s0, c0 := sincos(s[0])
	s1, c1 := sincos(s[1])
	a.obs = [6]float32{float32(c0), float32(s0), float32(c1), float32(s1), float32(s[2]), float32(s[3])}
	return a.obs[:]
}
