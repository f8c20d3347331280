package env

import "testing"

func TestAcrobotConstants(t *testing.T) {
	g := loadGym(t, "testdata/acrobot_v1.json")
	_ = g
	if AcrobotMaxVel1 != 12.566370614359172 || AcrobotMaxVel2 != 28.274333882308138 {
		t.Fatalf("max velocities %.17g %.17g", AcrobotMaxVel1, AcrobotMaxVel2)
	}
}

func TestAcrobotMatchesGymnasium(t *testing.T) {
	replayGym(t, "testdata/acrobot_v1.json", "acrobot", 1e-9)
}
