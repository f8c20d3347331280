package net_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/deepq/deepq/net"
)

// One C51 update (Bellemare et al. 2017) on a batch of two transitions, the
// second terminal: the target network's distribution at s′ for the greedy
// action, projected onto the support after r + γⁿ·z, is the target of the
// online network's cross-entropy at (s, a).
func Example_c51Update() {
	sup := net.Support{VMin: -10, VMax: 10, Atoms: 51}
	specs := []net.LayerSpec{net.Dense(32), net.ReLU(), net.DuelingCategorical(3, sup.Atoms, 0)}
	online, _ := net.Build[float32]([]int{4}, specs, rand.New(rand.NewPCG(1, 2)))
	target := online.Clone()
	opt := net.NewAdam(online.Params(), net.AdamConfig{LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 3.125e-4})

	const B, A, N = 2, 3, 51
	s := net.FromSlice([]float32{0.1, -0.2, 0.3, 0, 1, 0, -1, 0.5}, B, 4)
	s2 := net.FromSlice([]float32{0.2, -0.1, 0.2, 0.1, 0, 0, 0, 0}, B, 4)
	actions := []int{2, 0}
	reward := []float32{1, -1}
	discount := []float32{0.99 * 0.99 * 0.99, 0} // (1 − done)·γⁿ, n = 3

	// Target: p(s′, a*) with a* = argmax_a Q_target(s′, a).
	probs := make([]float32, B*A*N)
	q := make([]float32, B*A)
	net.CategoricalQ(sup, target.Forward(s2).Data, probs, q)
	next := make([]float32, B*N)
	for b := range B {
		best := 0
		for a := range A {
			if q[b*A+a] > q[b*A+best] {
				best = a
			}
		}
		copy(next[b*N:(b+1)*N], probs[(b*A+best)*N:(b*A+best+1)*N])
	}
	m := make([]float32, B*N)
	net.ProjectCategorical(sup, next, reward, discount, m)

	// Loss on the chosen actions' logits, gradient back into (B, A, N).
	logits := online.Forward(s)
	chosen := make([]float32, B*N)
	net.GatherAction(logits.Data, actions, chosen)
	grad := make([]float32, B*N)
	priorities := make([]float32, B)
	loss := net.CategoricalCrossEntropy(chosen, m, N, nil, grad, priorities)
	dlogits := net.New[float32](B, A, N)
	net.ScatterAction(grad, actions, dlogits.Data)
	opt.ZeroGrad()
	online.BackwardParams(dlogits)
	opt.Step()

	// The terminal transition's target: r = −1 lies halfway between the
	// atoms −1.2 and −0.8 (Δz = 0.4), which share its mass.
	for i, p := range m[N:] {
		if p != 0 {
			fmt.Printf("z = %4.1f: %.2f\n", sup.Z(i), p)
		}
	}
	fmt.Printf("loss > 0: %v, priorities > 0: %v\n", loss > 0, priorities[0] > 0 && priorities[1] > 0)
	// Output:
	// z = -1.2: 0.50
	// z = -0.8: 0.50
	// loss > 0: true, priorities > 0: true
}
