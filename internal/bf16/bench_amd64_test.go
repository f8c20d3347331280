//go:build !noasm

package bf16_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deepq/deepq/bench"
	"github.com/deepq/deepq/internal/bf16"
	"github.com/deepq/deepq/internal/gemm"
)

// BenchmarkPeak measures one core's peak of the bf16 instructions: a loop
// of 24 independent VDPBF16PS ("avx512bf16"), and of TDPBF16PS on four
// accumulator tiles ("amx", where the CPU has it), in GFLOP/s (a bf16
// multiply-add is 2 FLOPs).
func BenchmarkPeak(b *testing.B) {
	for _, kn := range []string{"avx512bf16", "amx"} {
		b.Run(kn, func(b *testing.B) {
			if !slices.Contains(bf16.Kernels(), kn) {
				_, why := bf16.Kernel()
				b.Skipf("no %s in this process (%s)", kn, why)
			}
			const rounds = 1 << 12
			var flops float64
			for b.Loop() {
				flops += bf16.PeakOf(kn == "amx", rounds) * rounds
			}
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// peakOf returns the measured one-core peak GFLOP/s of a kernel's
// instruction (median of 5 runs of 20 ms), 0 for the float32 kernel.
var peakOf = sync.OnceValue(func() map[string]float64 {
	m := map[string]float64{}
	for _, kn := range bf16.Kernels() {
		if kn == "float32" {
			continue
		}
		var runs []float64
		for range 5 {
			var flops float64
			start := time.Now()
			for time.Since(start) < 20*time.Millisecond {
				flops += bf16.PeakOf(kn == "amx", 1<<12) * (1 << 12)
			}
			runs = append(runs, flops/time.Since(start).Seconds()/1e9)
		}
		slices.Sort(runs)
		m[kn] = runs[2]
	}
	return m
})

// BenchmarkGemm reports GFLOP/s (2·m·n·k per multiply, packing included)
// for each bf16 kernel at one and two threads, at the cubes and DQN shapes
// of bench.GEMMShapes, and as a fraction of the kernel's one-core peak
// (BenchmarkPeak; at two threads the fraction can reach 2).
func BenchmarkGemm(b *testing.B) {
	for _, kn := range bf16.Kernels() {
		for _, th := range []int{1, 2} {
			for _, s := range bench.GEMMShapes {
				b.Run(fmt.Sprintf("%s/%dT/%s", kn, th, s.Name), func(b *testing.B) {
					prevK, _ := bf16.Use(kn)
					defer bf16.Use(prevK)
					prevT := gemm.SetThreads(th)
					defer gemm.SetThreads(prevT)
					benchShape(b, s, peakOf()[kn])
				})
			}
		}
	}
}

func benchShape(b *testing.B, s bench.GEMMShape, peak float64) {
	rng := rand.New(rand.NewPCG(1, 1))
	ar, ac := s.M, s.K
	if s.TransA {
		ar, ac = ac, ar
	}
	br, bc := s.K, s.N
	if s.TransB {
		br, bc = bc, br
	}
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, bb, c := fill(ar*ac), fill(br*bc), make([]float32, s.M*s.N)
	b.ReportAllocs()
	for b.Loop() {
		bf16.Gemm(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, ac, bb, bc, 0, c, s.N)
	}
	gflops := 2 * float64(s.M) * float64(s.N) * float64(s.K) * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gflops, "GFLOP/s")
	if peak > 0 {
		b.ReportMetric(gflops/peak, "of-peak")
	}
}
