package net

import (
	"fmt"
	"math"
)

// Schedule gives a learning rate for optimizer step t ≥ 0 (the number of
// Step calls so far). It has the shape of policy.Schedule, so either can serve
// where a float64 of the step is wanted. Apply one with SetScheduledLR.
type Schedule interface {
	Value(step int64) float64
}

// ConstantLR is a learning rate that never changes.
type ConstantLR float64

// Value returns c.
func (c ConstantLR) Value(int64) float64 { return float64(c) }

// LinearLR interpolates from Start at step 0 to End at step Steps and stays
// at End afterwards.
type LinearLR struct {
	Start, End float64
	Steps      int64
}

// Value returns Start + (End−Start)·min(t/Steps, 1).
func (l LinearLR) Value(t int64) float64 {
	if l.Steps <= 0 || t >= l.Steps {
		return l.End
	}
	if t <= 0 {
		return l.Start
	}
	return l.Start + (l.End-l.Start)*float64(t)/float64(l.Steps)
}

// StepLR multiplies the rate by Gamma every Every steps, as
// torch.optim.lr_scheduler.StepLR: Initial·Gamma^⌊t/Every⌋.
type StepLR struct {
	Initial, Gamma float64
	Every          int64
}

// Value returns Initial·Gamma^⌊t/Every⌋.
func (s StepLR) Value(t int64) float64 {
	if t <= 0 || s.Every <= 0 {
		return s.Initial
	}
	return s.Initial * math.Pow(s.Gamma, float64(t/s.Every))
}

// InverseTimeLR is the Robbins–Monro schedule αₜ = Initial/(1 + t/Tau): its
// sum diverges and the sum of its squares converges (Σα = ∞, Σα² < ∞), the
// conditions for stochastic approximation to converge.
type InverseTimeLR struct {
	Initial, Tau float64
}

// Value returns Initial/(1 + t/Tau).
func (s InverseTimeLR) Value(t int64) float64 {
	return s.Initial / (1 + float64(max(t, 0))/s.Tau)
}

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
		return LinearLR{Start: c.LR, End: c.End, Steps: c.Steps}, nil
	case "step":
		return StepLR{Initial: c.LR, Gamma: c.Gamma, Every: c.Steps}, nil
	case "inverse_time":
		return InverseTimeLR{Initial: c.LR, Tau: c.Tau}, nil
	}
	return ConstantLR(c.LR), nil
}
