package env

import (
	"fmt"
	"os"
)

// newGridWorldFromOptions builds `gridworld:map=NAME|file=PATH,...`.
func newGridWorldFromOptions(o *Options) (Env, error) {
	name := o.String("map", "")
	file := o.String("file", "")
	var info GridMapInfo
	var m *GridMap
	switch {
	case name != "" && file != "":
		return nil, fmt.Errorf("env gridworld: give map= or file=, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("env gridworld: %v", err)
		}
		if m, err = ParseGridMap(file, string(b)); err != nil {
			return nil, err
		}
		info, _ = BuiltinGridMap("open-5x5")
		info.MaxSteps = 4 * m.Rows * m.Cols
	default:
		if name == "" {
			name = "open-5x5"
		}
		var ok bool
		if info, ok = BuiltinGridMap(name); !ok {
			return nil, fmt.Errorf("env gridworld: unknown map %q (built-in maps: %s; or use file=PATH)", name, builtinGridMapNames())
		}
		m = MustParseGridMap(info.Name, info.Text)
	}
	cfg := GridWorldConfig{
		Map:        m,
		GoalReward: o.Float("goal", info.GoalReward),
		PitReward:  o.Float("pit", info.PitReward),
		StepReward: o.Float("step", info.StepReward),
		Slip:       o.Float("slip", 0),
	}
	obs, err := ParseGridObs(o.String("obs", "onehot"))
	if err != nil {
		o.Errorf("obs", "%v", err)
	}
	cfg.Obs = obs
	if !(cfg.Slip >= 0 && cfg.Slip <= 1) {
		o.Errorf("slip", "want a probability in [0, 1], got %v", cfg.Slip)
	}
	max := o.Int("max-steps", info.MaxSteps)
	if max < 1 {
		o.Errorf("max-steps", "must be at least 1, got %d", max)
	}
	if err := o.Done(); err != nil {
		return nil, err
	}
	g, err := NewGridWorld(cfg)
	if err != nil {
		return nil, err
	}
	return NewTimeLimit(g, max), nil
}
