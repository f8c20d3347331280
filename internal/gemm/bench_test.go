package gemm_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/deepq/deepq/internal/bench"
	"github.com/deepq/deepq/internal/gemm"
)

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per multiply) for each kernel at
// one and two threads, at the cubes and DQN shapes of bench.GEMMShapes.
func BenchmarkSgemm(b *testing.B) {
	for _, kn := range gemm.Kernels() {
		for _, th := range []int{1, 2} {
			for _, s := range bench.GEMMShapes {
				if kn == "generic" && s.M*s.N*s.K > 1<<24 {
					continue // minutes at generic speed
				}
				b.Run(fmt.Sprintf("%s/%dT/%s", kn, th, s.Name), func(b *testing.B) {
					prevK, _ := gemm.Use(kn)
					defer gemm.Use(prevK)
					prevT := gemm.SetThreads(th)
					defer gemm.SetThreads(prevT)
					benchShape(b, s)
				})
			}
		}
	}
}

func benchShape(b *testing.B, s bench.GEMMShape) {
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
		gemm.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, ac, bb, bc, 0, c, s.N)
	}
	b.ReportMetric(2*float64(s.M)*float64(s.N)*float64(s.K)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
