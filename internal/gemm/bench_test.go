package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the cubes of the issue and the multiplies of a DQN train
// step: Dense forward (x·Wᵀ, NT), weight gradient (δᵀ·x, TN) and input
// gradient (δ·W, NN) of the CartPole MLPs and the fully connected layers of
// the MinAtar and Nature nets, and the im2col products of their convolutions
// (W (Cout, C·kh·kw) · cols (C·kh·kw, B·H'·W')).
var benchShapes = []struct {
	name string
	s    shape
}{
	{"cube64", shape{false, false, 64, 64, 64}},
	{"cube256", shape{false, false, 256, 256, 256}},
	{"cube1024", shape{false, false, 1024, 1024, 1024}},
	{"mlp256_fwd_b64", shape{false, true, 64, 256, 256}},
	{"mlp256_dW_b64", shape{true, false, 256, 256, 64}},
	{"mlp256_dx_b64", shape{false, false, 64, 256, 256}},
	{"mlp120x84_fwd_b128", shape{false, true, 128, 84, 120}},
	{"mlp120x84_dW_b128", shape{true, false, 84, 120, 128}},
	{"minatar_fc_fwd_b32", shape{false, true, 32, 128, 1024}},
	{"minatar_fc_dW_b32", shape{true, false, 128, 1024, 32}},
	{"minatar_conv_fwd_b32", shape{false, false, 16, 32 * 64, 36}},
	{"nature_fc_fwd_b32", shape{false, true, 32, 512, 3136}},
	{"nature_fc_dW_b32", shape{true, false, 512, 3136, 32}},
	{"nature_fc_dx_b32", shape{false, false, 32, 3136, 512}},
	{"nature_conv1_fwd_b32", shape{false, false, 32, 32 * 400, 256}},
	{"nature_conv2_fwd_b32", shape{false, false, 64, 32 * 81, 512}},
	{"nature_conv3_fwd_b32", shape{false, false, 64, 32 * 49, 576}},
	{"nature_conv2_dW_b32", shape{false, true, 64, 512, 32 * 81}},
	{"nature_conv2_dcols_b32", shape{true, false, 512, 32 * 81, 64}},
}

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per multiply) for each kernel at
// one and two threads.
func BenchmarkSgemm(b *testing.B) {
	for _, kn := range Kernels() {
		for _, th := range []int{1, 2} {
			for _, bs := range benchShapes {
				if kn == "generic" && bs.s.m*bs.s.n*bs.s.k > 1<<24 {
					continue
				}
				b.Run(fmt.Sprintf("%s/%dT/%s", kn, th, bs.name), func(b *testing.B) {
					prevK, _ := Use(kn)
					defer Use(prevK)
					prevT := SetThreads(th)
					defer SetThreads(prevT)
					benchShape(b, bs.s)
				})
			}
		}
	}
}

func benchShape(b *testing.B, s shape) {
	rng := rand.New(rand.NewPCG(1, 1))
	a, lda, bb, ldb, c, ldc := operands(s, 0, rng)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc)
	}
	b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
