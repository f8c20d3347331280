package net

import (
	"fmt"
	"math"

	"github.com/deepq/deepq/schedule"
)

// Schedule gives a learning rate for optimizer step t ≥ 0 (the number of
// Step calls so far); package schedule has them: Constant, Linear, Step,
// InverseTime. Apply one with SetScheduledLR.
type Schedule = schedule.Schedule

// SetScheduledLR sets o's learning rate to s at o's current step count; call
// it before each Step.
func SetScheduledLR[T Float](o Optimizer[T], s Schedule) { o.SetLR(s.Value(o.Steps())) }

// ScheduleConfig selects and parameterises a learning-rate schedule, for
// configuration files.
type ScheduleConfig struct {
	// Kind is "constant", "linear", "step" or "inverse_time".
	Kind string `json:"kind"`
	// LR is the rate at step 0.
	LR float64 `json:"lr"`
	// End is the final rate of "linear".
	End float64 `json:"end,omitempty"`
	// Steps is the length of the ramp of "linear", or the period of "step".
	Steps int64 `json:"steps,omitempty"`
	// Gamma is the factor of "step".
	Gamma float64 `json:"gamma,omitempty"`
	// Tau is the time constant τ of "inverse_time": the rate halves at t = τ.
	Tau float64 `json:"tau,omitempty"`
}

// DefaultSchedule returns a constant learning rate of lr.
func DefaultSchedule(lr float64) ScheduleConfig { return ScheduleConfig{Kind: "constant", LR: lr} }

// Validate checks that the fields of Kind are set and sensible, and that
// fields of other kinds are not.
func (c ScheduleConfig) Validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("net: %s schedule: "+f, append([]any{c.Kind}, a...)...)
	}
	if !finiteNonNeg(c.LR) {
		return bad("lr must be a finite number ≥ 0, got %v", c.LR)
	}
	switch c.Kind {
	case "constant":
		if c.End != 0 || c.Steps != 0 || c.Gamma != 0 || c.Tau != 0 {
			return bad("takes only lr")
		}
	case "linear":
		if !finiteNonNeg(c.End) || c.Steps < 1 || c.Gamma != 0 || c.Tau != 0 {
			return bad("needs end ≥ 0 and steps ≥ 1 (and no gamma or tau), got end %v, steps %d", c.End, c.Steps)
		}
	case "step":
		if !(c.Gamma > 0 && c.Gamma <= 1) || c.Steps < 1 || c.End != 0 || c.Tau != 0 {
			return bad("needs gamma in (0, 1] and steps ≥ 1 (and no end or tau), got gamma %v, steps %d", c.Gamma, c.Steps)
		}
	case "inverse_time":
		if !(c.Tau > 0) || math.IsInf(c.Tau, 0) || c.End != 0 || c.Steps != 0 || c.Gamma != 0 {
			return bad("needs tau > 0 (and no end, steps or gamma), got tau %v", c.Tau)
		}
	default:
		return fmt.Errorf("net: unknown schedule %q (available: constant, linear, step, inverse_time)", c.Kind)
	}
	return nil
}

// Schedule returns the schedule c describes, or Validate's error.
func (c ScheduleConfig) Schedule() (Schedule, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.Kind {
	case "linear":
		return schedule.Linear{Start: c.LR, End: c.End, Steps: c.Steps}, nil
	case "step":
		return schedule.Step{Initial: c.LR, Gamma: c.Gamma, Every: c.Steps}, nil
	case "inverse_time":
		return schedule.InverseTime{Initial: c.LR, Tau: c.Tau}, nil
	}
	return schedule.Constant(c.LR), nil
}
