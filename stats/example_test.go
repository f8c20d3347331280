package stats_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/deepq/deepq/stats"
)

// The final evaluations of eight seeds of one env: the IQM discounts the
// two collapsed runs that pull the mean down.
func Example() {
	finals := []float64{500, 500, 129.75, 500, 186.87, 500, 500, 500}
	fmt.Printf("mean %.2f  median %.2f  IQM %.2f\n", stats.Mean(finals), stats.Median(finals), stats.IQM(finals))
	b := stats.Bootstrap{Resamples: 10_000, Confidence: 0.95}
	iv := b.CI([][]float64{finals}, stats.Pooled(stats.IQM), rand.New(rand.NewPCG(1, 2)))
	fmt.Printf("IQM 95%% CI [%.2f, %.2f]\n", iv.Lo, iv.Hi)
	// Output:
	// mean 414.58  median 500.00  IQM 500.00
	// IQM 95% CI [265.15, 500.00]
}
