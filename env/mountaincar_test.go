package env

import "testing"

func TestMountainCarMatchesGymnasium(t *testing.T) {
	replayGym(t, "testdata/mountaincar_v0.json", "mountaincar", 1e-12)
}
