package policy

import "fmt"

// Schedule gives a hyperparameter's value at step t ≥ 0.
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
