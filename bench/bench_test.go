package bench

import (
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
	}
}
