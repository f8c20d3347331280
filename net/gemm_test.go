package net_test

import (
	"testing"

	"github.com/deepq/deepq/internal/bench"
)

// BenchmarkTrainStep reports ms/step for the train steps of bench.TrainSteps
// (target forward on s′, online forward and backward on s, optimizer step).
func BenchmarkTrainStep(b *testing.B) {
	for _, ts := range bench.TrainSteps() {
		b.Run(ts.Name, func(b *testing.B) {
			step, err := bench.NewTrainStep(ts)
			if err != nil {
				b.Fatal(err)
			}
			step()
			b.ReportAllocs()
			for b.Loop() {
				step()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
		})
	}
}
