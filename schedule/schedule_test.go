package schedule

import (
	"math"
	"testing"
)

func TestValues(t *testing.T) {
	for _, c := range []struct {
		s    Schedule
		t    int64
		want float64
	}{
		{Constant(0.1), 1000, 0.1},
		{Linear{Start: 1, End: 0.1, Steps: 100}, -5, 1},
		{Linear{Start: 1, End: 0.1, Steps: 100}, 0, 1},
		{Linear{Start: 1, End: 0.1, Steps: 100}, 50, 0.55},
		{Linear{Start: 1, End: 0.1, Steps: 100}, 100, 0.1},
		{Linear{Start: 1, End: 0.1, Steps: 100}, 500, 0.1},
		{Exponential{Start: 1, End: 0.1, Tau: 100}, 0, 1},
		{Exponential{Start: 1, End: 0.1, Tau: 100}, 100, 0.1 + 0.9/math.E},
		{Exponential{Start: 1, End: 0.1, Tau: 100}, 1e6, 0.1},
		{Step{Initial: 1, Gamma: 0.5, Every: 10}, 9, 1},
		{Step{Initial: 1, Gamma: 0.5, Every: 10}, 10, 0.5},
		{Step{Initial: 1, Gamma: 0.5, Every: 10}, 35, 0.125},
		{InverseTime{Initial: 0.2, Tau: 100}, 0, 0.2},
		{InverseTime{Initial: 0.2, Tau: 100}, 100, 0.1},
		{InverseTime{Initial: 0.2, Tau: 100}, 300, 0.05},
		{Delayed{Schedule: Linear{Start: 1, End: 0.1, Steps: 100}, Delay: 50}, 0, 1},
		{Delayed{Schedule: Linear{Start: 1, End: 0.1, Steps: 100}, Delay: 50}, 50, 1},
		{Delayed{Schedule: Linear{Start: 1, End: 0.1, Steps: 100}, Delay: 50}, 100, 0.55},
		{Delayed{Schedule: Linear{Start: 1, End: 0.1, Steps: 100}, Delay: 50}, 150, 0.1},
	} {
		if got := c.s.Value(c.t); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%#v at %d = %v, want %v", c.s, c.t, got, c.want)
		}
	}
	if (Exponential{Tau: 0}).Validate() == nil || (Linear{Steps: -1}).Validate() == nil {
		t.Error("bad schedules validated")
	}
}

// TestRobbinsMonro: partial sums of α grow like τ·log t, of α² stay below
// α₀²·(τ+1).
func TestRobbinsMonro(t *testing.T) {
	s := InverseTime{Initial: 1, Tau: 10}
	sum, sum2 := 0.0, 0.0
	for k := range int64(1_000_000) {
		a := s.Value(k)
		sum += a
		sum2 += a * a
	}
	if sum < 100 || sum2 > 11 {
		t.Errorf("Σα = %v, Σα² = %v", sum, sum2)
	}
}
