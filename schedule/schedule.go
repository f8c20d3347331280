// Package schedule holds the hyperparameter schedules deepq's parts share:
// ε and temperatures for exploration (package policy), learning rates for
// optimizers (package net). A Schedule maps a step count t ≥ 0 to a value.
//
//	eps := schedule.Linear{Start: 1, End: 0.05, Steps: 10_000}
//	eps.Value(5_000) // 0.525
package schedule

import (
	"fmt"
	"math"
)

// Schedule gives a hyperparameter's value at step t ≥ 0.
type Schedule interface {
	Value(t int64) float64
}

// Constant never changes.
type Constant float64

// Value returns c.
func (c Constant) Value(int64) float64 { return float64(c) }

// Linear interpolates from Start at step 0 to End at step Steps and stays at
// End afterwards (SB3's and CleanRL's ε schedule).
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

// Validate checks that Steps is not negative.
func (l Linear) Validate() error {
	if l.Steps < 0 {
		return fmt.Errorf("schedule: linear over %d steps", l.Steps)
	}
	return nil
}

// Exponential decays from Start towards End with time constant Tau steps:
// End + (Start−End)·e^(−t/Tau).
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

// Validate checks that Tau is positive and finite.
func (e Exponential) Validate() error {
	if !(e.Tau > 0) || math.IsInf(e.Tau, 0) {
		return fmt.Errorf("schedule: exponential needs a time constant > 0, got %v", e.Tau)
	}
	return nil
}

// Step multiplies the value by Gamma every Every steps, as
// torch.optim.lr_scheduler.StepLR: Initial·Gamma^⌊t/Every⌋.
type Step struct {
	Initial, Gamma float64
	Every          int64
}

// Value returns Initial·Gamma^⌊t/Every⌋.
func (s Step) Value(t int64) float64 {
	if t <= 0 || s.Every <= 0 {
		return s.Initial
	}
	return s.Initial * math.Pow(s.Gamma, float64(t/s.Every))
}

// InverseTime is the Robbins–Monro schedule αₜ = Initial/(1 + t/Tau): its
// sum diverges and the sum of its squares converges (Σα = ∞, Σα² < ∞), the
// conditions for stochastic approximation to converge.
type InverseTime struct {
	Initial, Tau float64
}

// Value returns Initial/(1 + t/Tau).
func (s InverseTime) Value(t int64) float64 {
	return s.Initial / (1 + float64(max(t, 0))/s.Tau)
}

// Delayed holds Schedule's value at step 0 until step Delay and runs it from
// there: Value(t) = Schedule.Value(max(t−Delay, 0)). MinAtar's DQN starts
// decaying ε only once its replay holds its first 5,000 transitions.
type Delayed struct {
	Schedule Schedule
	Delay    int64
}

// Value returns Schedule.Value(max(t−Delay, 0)).
func (d Delayed) Value(t int64) float64 { return d.Schedule.Value(max(t-d.Delay, 0)) }
