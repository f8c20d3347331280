package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestCasesRun runs every short case once, briefly: each must produce a
// positive figure in its unit, and names must be unique.
func TestCasesRun(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Cases() {
		if seen[c.Name] {
			t.Errorf("duplicate benchmark %s", c.Name)
		}
		seen[c.Name] = true
		if c.Long || strings.Contains(c.Name, "1024") {
			continue
		}
		r := c.Run(time.Microsecond, 1)
		if !(r.Value > 0) || r.Unit != c.Unit {
			t.Errorf("%s: %+v", c.Name, r)
		}
		if strings.HasPrefix(c.Name, "pqn/") {
			sum := 0.0
			for _, p := range r.Parts {
				sum += p.Percent
			}
			if len(r.Parts) != 4 || math.Abs(sum-100) > 1e-6 || !(r.CPUMicros > 0) {
				t.Errorf("%s: parts %+v (sum %v), CPU %v µs/frame; want env, act, returns, learn summing to 100%% and a CPU time", c.Name, r.Parts, sum, r.CPUMicros)
			}
		}
	}
}
