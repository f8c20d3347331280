package policy

import (
	"fmt"
	"math"
)

// Schedule gives a hyperparameter's value at step t ≥ 0: ε, a temperature,
// a learning rate.
type Schedule interface {
	Value(t int64) float64
}

// Constant is a schedule that never changes.
type Constant float64

// Value returns c.
func (c Constant) Value(int64) float64 { return float64(c) }

// Linear interpolates from Start at step 0 to End at step Steps and stays at
// End afterwards (SB3's and CleanRL's linear ε schedule).
type Linear struct {
	Start, End float64
	Steps      int64
}

// Value returns Start + (End−Start)·min(t/Steps, 1).
func (l Linear) Value(t int64) float64 {
	if l.Steps <= 0 || t >= l.Steps {
		return l.End
	}
	if t <= 0 {
		return l.Start
	}
	return l.Start + (l.End-l.Start)*float64(t)/float64(l.Steps)
}

// Validate checks that the schedule is well formed.
func (l Linear) Validate() error {
	if l.Steps < 0 {
		return fmt.Errorf("policy: linear schedule over %d steps", l.Steps)
	}
	return nil
}

// Exponential decays from Start towards End with time constant Tau steps:
// End + (Start−End)·e^(−t/Tau), the schedule of many tabular and early deep
// RL codes. Tau must be positive.
type Exponential struct {
	Start, End float64
	Tau        float64
}

// Value returns End + (Start−End)·exp(−t/Tau).
func (e Exponential) Value(t int64) float64 {
	if t <= 0 {
		return e.Start
	}
	return e.End + (e.Start-e.End)*math.Exp(-float64(t)/e.Tau)
}

// Validate checks that Tau is positive.
func (e Exponential) Validate() error {
	if !(e.Tau > 0) || math.IsInf(e.Tau, 0) {
		return fmt.Errorf("policy: exponential schedule needs a time constant > 0, got %v", e.Tau)
	}
	return nil
}

// Delayed holds Schedule's value at step 0 until step Delay and runs it
// from there: Value(t) = Schedule.Value(max(t−Delay, 0)). MinAtar's DQN starts
// decaying ε only once its replay holds its first 5,000 transitions.
type Delayed struct {
	Schedule Schedule
	Delay    int64
}

// Value returns Schedule.Value(max(t−Delay, 0)).
func (d Delayed) Value(t int64) float64 { return d.Schedule.Value(max(t-d.Delay, 0)) }
