package stats

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bootstrap.json: the indices from Go, the intervals from numpy (/usr/bin/python3 testdata/bootstrap_ref.py, Debian python3-numpy)")

func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestIQM checks the interquartile mean against its definition worked by
// hand, for n divisible by 4 and not.
func TestIQM(t *testing.T) {
	seq := func(n int) []float64 { // 1, 4, 9, … n², shuffled order
		x := make([]float64, n)
		for i := range x {
			x[(i*7)%n] = float64((i + 1) * (i + 1))
		}
		return x
	}
	cases := []struct {
		name string
		x    []float64
		want float64
	}{
		{"n=1", []float64{3}, 3},
		{"n=4", []float64{40, 1, 2, 3}, 2.5}, // the middle two
		// n=5: [1.25, 3.75] covers ¾ of 2, all of 4, ¾ of 8: (1.5+4+6)/2.5.
		{"n=5", []float64{16, 2, 8, 1, 4}, 4.6},
		// n=10 (squares 1..100): [2.5, 7.5] covers ½·9, 16, 25, 36, 49, ½·64.
		{"n=10", seq(10), (0.5*9 + 16 + 25 + 36 + 49 + 0.5*64) / 5},
		// n=20: exactly the 6th to the 15th values.
		{"n=20", seq(20), (36 + 49 + 64 + 81 + 100 + 121 + 144 + 169 + 196 + 225) / 10.0},
		// n=9 (Wikipedia's example weights the quartile values ¾): [2.25, 6.75].
		{"n=9", seq(9), (0.75*9 + 16 + 25 + 36 + 0.75*49) / 4.5},
	}
	for _, c := range cases {
		in := slices.Clone(c.x)
		if got := IQM(c.x); !approx(got, c.want, 1e-14) {
			t.Errorf("%s: IQM(%v) = %v, want %v", c.name, c.x, got, c.want)
		}
		if !slices.Equal(in, c.x) {
			t.Errorf("%s: IQM modified its input", c.name)
		}
	}
	if !math.IsNaN(IQM(nil)) {
		t.Errorf("IQM(nil) = %v, want NaN", IQM(nil))
	}
}

func TestMeanMedianQuantile(t *testing.T) {
	x := []float64{7, 1, 3, 10}
	if got := Mean(x); got != 5.25 {
		t.Errorf("Mean = %v, want 5.25", got)
	}
	if got := Median(x); got != 5 {
		t.Errorf("Median = %v, want 5 (mean of 3 and 7)", got)
	}
	if got := Median(x[:3]); got != 3 {
		t.Errorf("Median of 7,1,3 = %v, want 3", got)
	}
	// numpy: np.percentile([1,3,7,10], 2.5) = 1.15, 97.5 → 9.775.
	if got := Quantile(x, 0.025); !approx(got, 1.15, 1e-14) {
		t.Errorf("Quantile(0.025) = %v, want 1.15", got)
	}
	if got := Quantile(x, 0.975); !approx(got, 9.775, 1e-14) {
		t.Errorf("Quantile(0.975) = %v, want 9.775", got)
	}
}

// TestBootstrapExhaustive: the bootstrap distribution of the mean of a
// sample of 4 is known exactly by enumerating its 4⁴ equally likely
// resamples; with many resamples the percentile interval must land on that
// distribution's 2.5% and 97.5% points.
func TestBootstrapExhaustive(t *testing.T) {
	x := []float64{0, 1, 2, 10}
	n := len(x)
	var means []float64
	for a := range n {
		for b := range n {
			for c := range n {
				for d := range n {
					means = append(means, (x[a]+x[b]+x[c]+x[d])/4)
				}
			}
		}
	}
	slices.Sort(means)
	// exactPoint is the smallest mean v with P(mean ≤ v) ≥ p, checked to be
	// away from the jumps of the CDF so that sampling noise cannot move it.
	exactPoint := func(p float64) float64 {
		for i, v := range means {
			if i+1 < len(means) && means[i+1] == v {
				continue
			}
			if cdf := float64(i+1) / float64(len(means)); cdf >= p {
				below := float64(countBelow(means, v)) / float64(len(means))
				if cdf-p < 0.005 || p-below < 0.005 {
					t.Fatalf("p=%v is within 0.005 of a jump of the CDF (%v, %v): pick another sample", p, below, cdf)
				}
				return v
			}
		}
		return means[len(means)-1]
	}
	b := Bootstrap{Resamples: 200_000, Confidence: 0.95}
	iv := b.CI([][]float64{x}, Pooled(Mean), rand.New(rand.NewPCG(1, 2)))
	if want := (Interval{exactPoint(0.025), exactPoint(0.975)}); iv != want {
		t.Errorf("bootstrap CI of the mean of %v: %v, want the exact distribution's %v", x, iv, want)
	}
}

// countBelow returns how many of the sorted values are below v.
func countBelow(sorted []float64, v float64) int {
	i, _ := slices.BinarySearch(sorted, v)
	return i
}

// TestBootstrapStratified: resampling stays within each stratum, so when
// every stratum is constant the pooled mean cannot vary, though the pooled
// sample would under an ordinary bootstrap.
func TestBootstrapStratified(t *testing.T) {
	strata := [][]float64{{0, 0, 0}, {10, 10, 10, 10}}
	iv := DefaultBootstrap().CI(strata, Pooled(Mean), rand.New(rand.NewPCG(3, 4)))
	if want := 40.0 / 7; !approx(iv.Lo, want, 1e-15) || !approx(iv.Hi, want, 1e-15) {
		t.Errorf("stratified CI = %v, want [%v, %v]", iv, want, want)
	}
	iv = DefaultBootstrap().CI([][]float64{{0, 0, 0, 10, 10, 10, 10}}, Pooled(Mean), rand.New(rand.NewPCG(3, 4)))
	if iv.Hi-iv.Lo < 3 {
		t.Errorf("ordinary bootstrap of the pooled sample: %v, want a wide interval", iv)
	}
}

// bootstrapData is testdata/bootstrap.json.
type bootstrapData struct {
	Strata     [][]float64 `json:"strata"`
	Seed       [2]uint64   `json:"seed"`
	Resamples  int         `json:"resamples"`
	Confidence float64     `json:"confidence"`
	Indices    [][][]int   `json:"indices"` // [resample][stratum][i]
	Want       map[string]struct {
		Point, Lo, Hi float64
	} `json:"want"`
}

// TestBootstrapNumpy compares the intervals with numpy's on the same
// resampling indices (testdata/bootstrap_ref.py computes them with numpy's
// own indexing, median, percentile, and an IQM written differently).
func TestBootstrapNumpy(t *testing.T) {
	path := filepath.Join("testdata", "bootstrap.json")
	if *update {
		writeBootstrapData(t, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d bootstrapData
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	// The indices Go draws are those numpy used.
	if got := drawIndices(d.Strata, d.Resamples, d.Seed); !slices.EqualFunc(got, d.Indices, func(a, b [][]int) bool {
		return slices.EqualFunc(a, b, slices.Equal)
	}) {
		t.Fatalf("Resample no longer draws the indices of %s: rerun with -update if the change is meant", path)
	}
	bs := Bootstrap{Resamples: d.Resamples, Confidence: d.Confidence}
	for name, f := range map[string]func([]float64) float64{"mean": Mean, "median": Median, "iqm": IQM} {
		want, ok := d.Want[name]
		if !ok {
			t.Fatalf("%s has no %q", path, name)
		}
		if got := Pooled(f)(d.Strata); !approx(got, want.Point, 1e-12) {
			t.Errorf("%s of the scores = %v, numpy %v", name, got, want.Point)
		}
		iv := bs.CI(d.Strata, Pooled(f), rand.New(rand.NewPCG(d.Seed[0], d.Seed[1])))
		if !approx(iv.Lo, want.Lo, 1e-12) || !approx(iv.Hi, want.Hi, 1e-12) {
			t.Errorf("%s: CI %v, numpy [%v, %v]", name, iv, want.Lo, want.Hi)
		}
	}
}

func drawIndices(strata [][]float64, reps int, seed [2]uint64) [][][]int {
	pos := make([][]float64, len(strata)) // each score replaced by its index
	for k, s := range strata {
		for i := range s {
			pos[k] = append(pos[k], float64(i))
		}
	}
	out := make([][][]int, reps)
	Resample(pos, reps, rand.New(rand.NewPCG(seed[0], seed[1])), func(r int, s [][]float64) {
		out[r] = make([][]int, len(s))
		for k := range s {
			for _, v := range s[k] {
				out[r][k] = append(out[r][k], int(v))
			}
		}
	})
	return out
}

func writeBootstrapData(t *testing.T, path string) {
	d := bootstrapData{
		// Final evaluations of two envs' seeds, of unequal counts, with
		// collapses and ties as sweeps have them.
		Strata: [][]float64{
			{500, 500, 129.75, 500, 186.87, 500, 171.31, 500, 500, 255.47, 272.02},
			{-85.2, -79.1, -80, -92.6, -79.1, -101.4, -77.3},
		},
		Seed: [2]uint64{22, 2021}, Resamples: 1000, Confidence: 0.95,
	}
	d.Indices = drawIndices(d.Strata, d.Resamples, d.Seed)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", filepath.Join("testdata", "bootstrap_ref.py"), path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}
