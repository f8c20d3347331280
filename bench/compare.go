package bench

import (
	"slices"
	"strings"
)

// Comparison sets a bf16 figure beside the float32 figure of the same work:
// a bf16_gemm/ case beside its gemm/ case (GFLOP/s), a train_step/…_bf16 case
// beside its float32 train step (ms/step).
type Comparison struct {
	// Name is the float32 case's name, e.g. "gemm/1T/nature_fc_fwd_b32".
	Name string
	// BF16Name is the bf16 case's.
	BF16Name      string
	Float32, BF16 Result
	// Speedup is how many times faster bf16 is: BF16/Float32 for rates,
	// Float32/BF16 for times.
	Speedup float64
	// OfPeak is the bf16 GFLOP/s as a fraction of the bf16 instruction's
	// one-core peak (bf16_peak) for one-thread multiplies, when the peak was
	// measured; 0 otherwise.
	OfPeak float64
}

// Compare pairs the bf16 results with their float32 twins, for every pair
// of which both ran, in the order of Cases.
func Compare(results map[string]Result) []Comparison {
	peak := results["bf16_peak"].Value
	var out []Comparison
	for _, c := range Cases() {
		b16, ok := results[c.Name]
		if !ok {
			continue
		}
		var f32Name string
		switch {
		case strings.HasPrefix(c.Name, "bf16_gemm/"):
			f32Name = "gemm/" + strings.TrimPrefix(c.Name, "bf16_gemm/")
		case strings.HasPrefix(c.Name, "train_step/") && strings.HasSuffix(c.Name, "_bf16"):
			f32Name = strings.TrimSuffix(c.Name, "_bf16")
		default:
			continue
		}
		f32, ok := results[f32Name]
		if !ok || f32.Unit != b16.Unit || !(f32.Value > 0) || !(b16.Value > 0) {
			continue
		}
		cmp := Comparison{Name: f32Name, BF16Name: c.Name, Float32: f32, BF16: b16}
		if b16.Unit == "GFLOP/s" {
			cmp.Speedup = b16.Value / f32.Value
			if peak > 0 && strings.HasPrefix(c.Name, "bf16_gemm/1T/") {
				cmp.OfPeak = b16.Value / peak
			}
		} else {
			cmp.Speedup = f32.Value / b16.Value
		}
		out = append(out, cmp)
	}
	return slices.Clip(out)
}
