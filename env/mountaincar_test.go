package env

import (
	"testing"
)

// TestMountainCarMatchesGymnasium replays the reference trajectories (see
// replayGym). Every step, re-synced and free-running, is bit-identical to the
// reference; the tolerances are the acceptance bounds.
func TestMountainCarMatchesGymnasium(t *testing.T) {
	replayGym(t, "testdata/mountaincar_v0.json", "mountaincar", 1e-12)
}

func TestMountainCarConstants(t *testing.T) {
	g := loadGym(t, "testdata/mountaincar_v0.json")
	var c struct {
		MinPosition, MaxPosition, MaxSpeed, GoalPosition, Force, Gravity float64
	}
	var raw map[string]float64
	mustUnmarshal(t, g.Constants, &raw)
	c.MinPosition, c.MaxPosition, c.MaxSpeed = raw["min_position"], raw["max_position"], raw["max_speed"]
	c.GoalPosition, c.Force, c.Gravity = raw["goal_position"], raw["force"], raw["gravity"]
	if c.MinPosition != mountainCarMinPosition || c.MaxPosition != mountainCarMaxPosition || c.MaxSpeed != mountainCarMaxSpeed ||
		c.GoalPosition != MountainCarGoalPosition || c.Force != mountainCarForce || c.Gravity != mountainCarGravity {
		t.Fatalf("constants differ from the reference's %+v", c)
	}
}

func TestMountainCarWallAndGoal(t *testing.T) {
	m := NewMountainCar()
	// Against the left wall the car stops.
	m.SetState([2]float64{-1.19, -0.05})
	m.Step(0)
	if m.State != [2]float64{-1.2, 0} {
		t.Fatalf("at the wall: %v, want (-1.2, 0)", m.State)
	}
	// Reaching 0.5 with v ≥ 0 terminates; GoalVelocity raises the bar.
	m.SetState([2]float64{0.49, 0.02})
	if _, r, term, _ := m.Step(2); !term || r != -1 {
		t.Fatalf("at the goal: term=%v r=%v", term, r)
	}
	m.GoalVelocity = 0.05
	m.SetState([2]float64{0.49, 0.02})
	if _, _, term, _ := m.Step(2); term {
		t.Fatal("terminated below the goal velocity")
	}
	// Velocity is clipped to ±0.07.
	m.SetState([2]float64{-0.6, 0.0699}) // downhill: cos(3x) < 0
	m.Step(2)
	if m.State[1] != mountainCarMaxSpeed {
		t.Fatalf("velocity %v not clipped", m.State[1])
	}
}

func TestMountainCarReset(t *testing.T) {
	m := NewMountainCar()
	m.Seed(3)
	lo, hi := 0.0, -1.0
	for range 2000 {
		m.Reset()
		x := m.State[0]
		if x < -0.6 || x >= -0.4 || m.State[1] != 0 {
			t.Fatalf("reset state %v", m.State)
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo > -0.59 || hi < -0.41 {
		t.Fatalf("reset positions span only [%v, %v]", lo, hi)
	}
}
