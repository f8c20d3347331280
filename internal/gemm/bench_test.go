package gemm_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deepq/deepq/bench"
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

// spinBody busy-waits for d in each range.
type spinBody struct{ d time.Duration }

func (s *spinBody) Run(lo, hi int) {
	for t := time.Now(); time.Since(t) < s.d; {
	}
}

// BenchmarkForHandOff measures For on two threads with ranges of 0, 20 and
// 100 µs of work, after 20 µs of serial work, as between the parallel parts
// of a training step: with a prompt hand-off a call takes its range's time
// (plus ~1 µs), not twice it.
func BenchmarkForHandOff(b *testing.B) {
	prev := gemm.SetThreads(2)
	defer gemm.SetThreads(prev)
	for _, d := range []time.Duration{0, 20 * time.Microsecond, 100 * time.Microsecond} {
		b.Run(fmt.Sprintf("range=%v", d), func(b *testing.B) {
			body, serial := &spinBody{d}, &spinBody{20 * time.Microsecond}
			var inFor time.Duration
			for b.Loop() {
				serial.Run(0, 1)
				t := time.Now()
				gemm.For(2, 1, body)
				inFor += time.Since(t)
			}
			b.ReportMetric(float64(inFor.Nanoseconds())/float64(b.N)/1e3, "µs/For")
			b.ReportMetric(0, "ns/op")
		})
	}
}
