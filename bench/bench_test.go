package bench

import (
	"math"
	"reflect"
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

// TestCompare pairs bf16 cases with their float32 twins: rates divide one
// way, times the other, the fraction of peak only for one-thread
// multiplies, and a case without its twin is left out.
func TestCompare(t *testing.T) {
	res := map[string]Result{
		"gemm/1T/cube64":                      {Value: 100, Unit: "GFLOP/s"},
		"bf16_gemm/1T/cube64":                 {Value: 250, Unit: "GFLOP/s"},
		"gemm/2T/cube64":                      {Value: 180, Unit: "GFLOP/s"},
		"bf16_gemm/2T/cube64":                 {Value: 360, Unit: "GFLOP/s"},
		"bf16_gemm/1T/cube256":                {Value: 300, Unit: "GFLOP/s"}, // no float32 twin
		"bf16_peak":                           {Value: 1000, Unit: "GFLOP/s"},
		"train_step/minatar_b32_rmsprop":      {Value: 0.6, Unit: "ms/step"},
		"train_step/minatar_b32_rmsprop_bf16": {Value: 0.4, Unit: "ms/step"},
		"train_step/nature_b32_rmsprop_bf16":  {Value: 9, Unit: "ms/step"}, // no float32 twin
		"replay/add_cartpole":                 {Value: 50, Unit: "ns/op"},
	}
	got := Compare(res)
	want := []Comparison{
		{Name: "gemm/1T/cube64", BF16Name: "bf16_gemm/1T/cube64", Float32: res["gemm/1T/cube64"], BF16: res["bf16_gemm/1T/cube64"], Speedup: 2.5, OfPeak: 0.25},
		{Name: "gemm/2T/cube64", BF16Name: "bf16_gemm/2T/cube64", Float32: res["gemm/2T/cube64"], BF16: res["bf16_gemm/2T/cube64"], Speedup: 2},
		{Name: "train_step/minatar_b32_rmsprop", BF16Name: "train_step/minatar_b32_rmsprop_bf16",
			Float32: res["train_step/minatar_b32_rmsprop"], BF16: res["train_step/minatar_b32_rmsprop_bf16"], Speedup: 1.5},
	}
	if len(got) != len(want) {
		t.Fatalf("Compare: %d pairs, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.BF16Name != w.BF16Name || !reflect.DeepEqual(g.Float32, w.Float32) || !reflect.DeepEqual(g.BF16, w.BF16) ||
			math.Abs(g.Speedup-w.Speedup) > 1e-12 || math.Abs(g.OfPeak-w.OfPeak) > 1e-12 {
			t.Errorf("pair %d: %+v, want %+v", i, g, w)
		}
	}
}
