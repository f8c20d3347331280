package net_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deepq/deepq/net"
	"gonum.org/v1/gonum/diff/fd"
)

// The two-hidden-layer sigmoid network with squared error, worked by hand:
//
//	Z¹ = W¹x + b¹, H¹ = σ(Z¹)      x (5), W¹ (4,5)
//	Z² = W²H¹ + b², H² = σ(Z²)     W² (4,4)
//	f  = W³H² + b³                 W³ (1,4)
//	ρ  = (y − f)²
//
// The backward pass computes the deltas from the output down,
//
//	δ⁴ = ∂ρ/∂f  = −2(y − f)
//	δ³ = ∂ρ/∂Z² = (W³ᵀδ⁴) ⊙ H²(1 − H²)
//	δ² = ∂ρ/∂Z¹ = (W²ᵀδ³) ⊙ H¹(1 − H¹)
//
// and each weight gradient is a delta times the layer's input:
// ∂ρ/∂W³ = δ⁴H²ᵀ, ∂ρ/∂W² = δ³H¹ᵀ, ∂ρ/∂W¹ = δ²xᵀ, ∂ρ/∂bᵏ = δᵏ⁺¹. The example
// checks them against the model's Backward and against central differences.
func Example_backpropagation() {
	rng := rand.New(rand.NewPCG(1, 2))
	m, _ := net.Build[float64]([]int{5}, []net.LayerSpec{
		net.Dense(4), net.Sigmoid(), net.Dense(4), net.Sigmoid(), net.Dense(1),
	}, rng)
	p := m.Params() // W¹, b¹, W², b², W³, b³
	W1, b1, W2, b2, W3, b3 := p[0].Value.Data, p[1].Value.Data, p[2].Value.Data, p[3].Value.Data, p[4].Value.Data, p[5].Value.Data
	x, y := []float64{0.5, -0.1, 1.7, -0.2, -0.3}, 0.7

	// Forward, by hand.
	affine := func(W, b, in []float64) []float64 { // W (len(b), len(in))
		out := make([]float64, len(b))
		for o := range out {
			out[o] = b[o]
			for i, v := range in {
				out[o] += W[o*len(in)+i] * v
			}
		}
		return out
	}
	sigmoid := func(z []float64) []float64 {
		h := make([]float64, len(z))
		for i, v := range z {
			h[i] = 1 / (1 + math.Exp(-v))
		}
		return h
	}
	H1 := sigmoid(affine(W1, b1, x))
	H2 := sigmoid(affine(W2, b2, H1))
	f := affine(W3, b3, H2)[0]
	rho := (y - f) * (y - f)

	// Backward, by hand: δᵏ = (Wᵏᵀδᵏ⁺¹) ⊙ Hᵏ⁻¹(1 − Hᵏ⁻¹).
	back := func(W, delta, H []float64) []float64 {
		d := make([]float64, len(H))
		for i := range H {
			for o, g := range delta {
				d[i] += W[o*len(H)+i] * g
			}
			d[i] *= H[i] * (1 - H[i])
		}
		return d
	}
	outer := func(delta, in []float64) []float64 { // δ inᵀ, (len(δ), len(in))
		g := make([]float64, 0, len(delta)*len(in))
		for _, d := range delta {
			for _, v := range in {
				g = append(g, d*v)
			}
		}
		return g
	}
	d4 := []float64{-2 * (y - f)}
	d3 := back(W3, d4, H2)
	d2 := back(W2, d3, H1)
	byHand := [][]float64{outer(d2, x), d2, outer(d3, H1), d3, outer(d4, H2), d4}

	fmt.Printf("f = %.4f, ρ = %.4f\n", f, rho)
	fmt.Printf("δ⁴ (1) = %.4f\n", d4)
	fmt.Printf("δ³ (4) = %.4f\n", d3)
	fmt.Printf("δ² (4) = %.4f\n", d2)
	for i, g := range byHand {
		shape := p[i].Value.Shape
		fmt.Printf("∂ρ/∂%s %v:\n", p[i].Name, shape)
		cols := shape[len(shape)-1]
		for r := 0; r < len(g); r += cols {
			fmt.Printf("  %.4f\n", g[r:r+cols])
		}
	}

	// Automatic backprop: ∂ρ/∂f from the loss, then Backward.
	out := m.Forward(net.FromSlice(x, 1, 5))
	grad := []float64{0}
	net.EvalLoss(net.MSE{}, net.ReduceSum, out.Data, []float64{y}, nil, grad, nil)
	m.ZeroGrad()
	m.Backward(net.FromSlice(grad, 1, 1))

	// Central differences of ρ for every parameter.
	worstAuto, worstFD := 0.0, 0.0
	for i, par := range p {
		numeric := fd.Gradient(nil, func(v []float64) float64 {
			saved := append([]float64(nil), par.Value.Data...)
			copy(par.Value.Data, v)
			f := m.Forward(net.FromSlice(x, 1, 5)).Data[0]
			copy(par.Value.Data, saved)
			return (y - f) * (y - f)
		}, append([]float64(nil), par.Value.Data...), &fd.Settings{Formula: fd.Central, Step: 1e-6})
		for j, g := range byHand[i] {
			worstAuto = max(worstAuto, math.Abs(g-par.Grad.Data[j]))
			worstFD = max(worstFD, math.Abs(g-numeric[j]))
		}
	}
	fmt.Printf("by hand = Backward (max diff < 1e-15): %v\n", worstAuto < 1e-15)
	fmt.Printf("by hand ≈ central differences (max diff < 1e-9): %v\n", worstFD < 1e-9)
	// Output:
	// f = 0.0710, ρ = 0.3956
	// δ⁴ (1) = [-1.2580]
	// δ³ (4) = [-0.1091 -0.0143 0.0662 -0.0355]
	// δ² (4) = [-0.0117 -0.0067 -0.0113 0.0075]
	// ∂ρ/∂0.weight [4 5]:
	//   [-0.0059 0.0012 -0.0200 0.0023 0.0035]
	//   [-0.0034 0.0007 -0.0114 0.0013 0.0020]
	//   [-0.0057 0.0011 -0.0192 0.0023 0.0034]
	//   [0.0037 -0.0007 0.0127 -0.0015 -0.0022]
	// ∂ρ/∂0.bias [4]:
	//   [-0.0117 -0.0067 -0.0113 0.0075]
	// ∂ρ/∂2.weight [4 4]:
	//   [-0.0587 -0.0502 -0.0400 -0.0532]
	//   [-0.0077 -0.0066 -0.0052 -0.0070]
	//   [0.0356 0.0305 0.0243 0.0322]
	//   [-0.0191 -0.0163 -0.0130 -0.0173]
	// ∂ρ/∂2.bias [4]:
	//   [-0.1091 -0.0143 0.0662 -0.0355]
	// ∂ρ/∂4.weight [1 4]:
	//   [-0.8053 -0.5921 -0.5031 -0.5929]
	// ∂ρ/∂4.bias [1]:
	//   [-1.2580]
	// by hand = Backward (max diff < 1e-15): true
	// by hand ≈ central differences (max diff < 1e-9): true
}

// Stochastic gradient descent with mini-batches of one sample fits the same
// sigmoid network to a small regression, y = sin(x₁) + ½x₂x₃ on 64 points of
// [−1, 1]⁵: each update follows one sample's gradient.
func Example_sgdRegression() {
	rng := rand.New(rand.NewPCG(3, 4))
	m, _ := net.Build[float64]([]int{5}, []net.LayerSpec{
		net.Dense(16), net.Sigmoid(), net.Dense(16), net.Sigmoid(), net.Dense(1),
	}, rng)
	const n = 64
	X, Y := make([][]float64, n), make([]float64, n)
	for i := range n {
		X[i] = make([]float64, 5)
		for j := range X[i] {
			X[i][j] = 2*rng.Float64() - 1
		}
		Y[i] = math.Sin(X[i][0]) + 0.5*X[i][1]*X[i][2]
	}
	mse := func() float64 {
		s := 0.0
		for i := range n {
			d := m.Forward(net.FromSlice(X[i], 1, 5)).Data[0] - Y[i]
			s += d * d
		}
		return s / n
	}
	opt := net.NewSGD(m.Params(), net.SGDConfig{LR: 0.1})
	grad := []float64{0}
	fmt.Printf("epoch   0: mse %.4f\n", mse())
	for epoch := 1; epoch <= 400; epoch++ {
		for _, i := range rng.Perm(n) {
			f := m.Forward(net.FromSlice(X[i], 1, 5))
			net.EvalLoss(net.MSE{}, net.ReduceMean, f.Data, Y[i:i+1], nil, grad, nil)
			opt.ZeroGrad()
			m.Backward(net.FromSlice(grad, 1, 1))
			opt.Step()
		}
		if epoch%100 == 0 {
			fmt.Printf("epoch %3d: mse %.4f\n", epoch, mse())
		}
	}
	// Output:
	// epoch   0: mse 0.2775
	// epoch 100: mse 0.0233
	// epoch 200: mse 0.0212
	// epoch 300: mse 0.0074
	// epoch 400: mse 0.0023
}

// A conv trunk with a dueling head, as the dueling DQN on MinAtar inputs, and
// its summary.
func ExampleSequential_Summary() {
	specs := append(net.MinAtarTrunk(), net.Dueling(6, 128))
	m, err := net.Build[float32]([]int{4, 10, 10}, specs, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	// Output:
	// #   layer        output               params
	//     input        (4,10,10)
	// 0   conv2d       (16,8,8)                592
	// 1   relu         (16,8,8)                  0
	// 2   flatten      (1024)                    0
	// 3   dueling      (6)                  263303
	// total: 263895 parameters
}
