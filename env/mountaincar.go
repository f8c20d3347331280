package env

import (
	"math"
	"math/rand/v2"
)

// MountainCar is Gymnasium's MountainCar-v0 without its time limit
// (Make("mountaincar") adds the 200-step TimeLimit). An under-powered car sits
// in a valley between two hills and must rock back and forth to reach the flag
// on the right hill. Actions: 0 accelerates left, 1 does nothing, 2 accelerates
// right. One step is, with force 0.001 and gravity 0.0025,
//
//	v ← clip(v + (a−1)·force − cos(3x)·gravity, −0.07, 0.07)
//	x ← clip(x + v, −1.2, 0.6);  v ← 0 if x = −1.2 and v < 0
//
// and the episode terminates when x ≥ 0.5 and v ≥ GoalVelocity (0 by default).
// Every step gives reward −1. Reset draws x uniformly from [−0.6, −0.4) with v = 0.
//
// The state is float64 as in Gymnasium, rounded to float32 for observations;
// every operation is Gymnasium's, in its order.
type MountainCar struct {
	// State is (x, v): position and velocity.
	State [2]float64
	// GoalVelocity is the least velocity at the goal that terminates.
	GoalVelocity float64

	rng *rand.Rand
	obs [2]float32
}

// MountainCar's constants, as in gymnasium/envs/classic_control/mountain_car.py.
const (
	mountainCarMinPosition = -1.2
	mountainCarMaxPosition = 0.6
	mountainCarMaxSpeed    = 0.07
	// MountainCarGoalPosition is the position at which the flag stands.
	MountainCarGoalPosition = 0.5
	mountainCarForce        = 0.001
	mountainCarGravity      = 0.0025
)

var _ Env = (*MountainCar)(nil)

// NewMountainCar returns a MountainCar seeded with 0.
func NewMountainCar() *MountainCar {
	m := &MountainCar{}
	m.Seed(0)
	return m
}

var mountainCarSpec = &Spec{
	ID: "MountainCar-v0",
	Observation: Box{Shape: []int{2},
		Low:  []float32{mountainCarMinPosition, -mountainCarMaxSpeed},
		High: []float32{mountainCarMaxPosition, mountainCarMaxSpeed}},
	Actions:         Discrete{N: 3, Names: []string{"left", "none", "right"}},
	MaxEpisodeSteps: 200,
	RewardThreshold: -110,
	RewardRange:     [2]float64{-1, -1},
	FPS:             30,
}

// Spec returns MountainCar-v0's spaces.
func (m *MountainCar) Spec() *Spec { return mountainCarSpec }

// Seed reseeds the generator that draws start states.
func (m *MountainCar) Seed(seed uint64) { m.rng = newRand(seed) }

// Reset puts the car at rest at a uniform position in [−0.6, −0.4).
func (m *MountainCar) Reset() []float32 {
	const lo, hi = -0.6, -0.4
	m.State = [2]float64{lo + (hi-lo)*m.rng.Float64(), 0}
	return m.observe()
}

// SetState puts the env in state s = (x, v), as after a Reset, and returns its
// observation.
func (m *MountainCar) SetState(s [2]float64) []float32 {
	m.State = s
	return m.observe()
}

// Step accelerates left (0), not at all (1) or right (2).
func (m *MountainCar) Step(action int) ([]float32, float64, bool, bool) {
	if action < 0 || action > 2 {
		panic("env: MountainCar action must be 0, 1 or 2")
	}
	x, v := m.State[0], m.State[1]
	// Python adds the two terms first, then adds the sum to v. The float64
	// conversions keep the compiler from fusing a product and a sum into an FMA.
	v += float64(float64(action-1)*mountainCarForce) + float64(cos(3*x)*-mountainCarGravity)
	v = min(max(v, -mountainCarMaxSpeed), mountainCarMaxSpeed)
	x += v
	x = min(max(x, mountainCarMinPosition), mountainCarMaxPosition)
	if x == mountainCarMinPosition && v < 0 {
		v = 0
	}
	m.State = [2]float64{x, v}
	terminated := x >= MountainCarGoalPosition && v >= m.GoalVelocity
	return m.observe(), -1, terminated, false
}

func (m *MountainCar) observe() []float32 {
	m.obs = [2]float32{float32(m.State[0]), float32(m.State[1])}
	return m.obs[:]
}

// mountainCarHeight is the hill's height at position x, sin(3x)·0.45 + 0.55,
// as Gymnasium draws it.
func mountainCarHeight(x float64) float64 { return math.Sin(3*x)*0.45 + 0.55 }
