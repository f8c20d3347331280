package agent

import "testing"

// TestPresetsValidate: every preset is a valid configuration as it stands.
func TestPresetsValidate(t *testing.T) {
	for _, n := range PresetNames() {
		c, err := Preset(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", n, err)
		}
	}
}
