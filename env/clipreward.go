package env

import "fmt"

// ClipMode selects how ClipReward transforms rewards.
type ClipMode int

const (
	// ClipNone leaves rewards as they are.
	ClipNone ClipMode = 0
	// ClipSign replaces r by sign(r) ∈ {−1, 0, +1}, as DQN's Atari setup does.
	ClipSign ClipMode = iota + 1
	// ClipUnit clips r to [−1, 1].
	ClipUnit
)

// ParseClipMode parses "sign" or "unit" ("none" gives 0, no clipping).
func ParseClipMode(s string) (ClipMode, error) {
	switch s {
	case "none":
		return 0, nil
	case "sign":
		return ClipSign, nil
	case "unit":
		return ClipUnit, nil
	}
	return 0, fmt.Errorf("unknown reward clipping %q (want none, sign or unit)", s)
}

var clipNames = [...]string{ClipNone: "none", ClipSign: "sign", ClipUnit: "unit"}

// String returns "none", "sign" or "unit".
func (m ClipMode) String() string {
	if m >= 0 && int(m) < len(clipNames) {
		return clipNames[m]
	}
	return fmt.Sprintf("ClipMode(%d)", int(m))
}

// MarshalText returns the mode's name; an unknown mode is an error.
func (m ClipMode) MarshalText() ([]byte, error) {
	if m >= 0 && int(m) < len(clipNames) {
		return []byte(clipNames[m]), nil
	}
	return nil, fmt.Errorf("unknown reward clipping %d", int(m))
}

// UnmarshalText parses a mode's name, as ParseClipMode.
func (m *ClipMode) UnmarshalText(b []byte) error {
	v, err := ParseClipMode(string(b))
	if err == nil {
		*m = v
	}
	return err
}

// ClipReward transforms the wrapped env's rewards by sign or by clipping to
// [−1, 1]. Observations and flags pass through.
type ClipReward struct {
	Env
	Mode ClipMode
	spec Spec
}

var _ Wrapper = (*ClipReward)(nil)

// NewClipReward wraps e. It panics on an unknown mode.
func NewClipReward(e Env, mode ClipMode) *ClipReward {
	c := &ClipReward{Env: e, Mode: mode, spec: *e.Spec()}
	lo, hi := c.clip(c.spec.RewardRange[0]), c.clip(c.spec.RewardRange[1])
	c.spec.RewardRange = [2]float64{lo, hi}
	return c
}

// Spec returns the wrapped env's spec with the clipped reward range.
func (c *ClipReward) Spec() *Spec { return &c.spec }

func (c *ClipReward) clip(r float64) float64 {
	switch c.Mode {
	case ClipSign:
		switch {
		case r > 0:
			return 1
		case r < 0:
			return -1
		}
		return r // ±0 (and NaN) as NumPy's sign
	case ClipUnit:
		return min(max(r, -1), 1)
	}
	panic(fmt.Sprintf("env: unknown ClipMode %d", int(c.Mode)))
}

// Step steps the wrapped env and clips the reward.
func (c *ClipReward) Step(action int) ([]float32, float64, bool, bool) {
	obs, r, term, trunc := c.Env.Step(action)
	return obs, c.clip(r), term, trunc
}

// Unwrap returns the wrapped env.
func (c *ClipReward) Unwrap() Env { return c.Env }
