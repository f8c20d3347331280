package net

import (
	"fmt"
	"math"
)

// Loss is an elementwise regression loss ℓ(d) of the difference
// d = prediction − target, e.g. a TD error.
type Loss interface {
	// Name is the loss's name in configs: "mse", "huber" or "smooth_l1".
	Name() string
	// Elem returns ℓ(d) and its derivative ℓ′(d).
	Elem(d float64) (l, dl float64)
}

// MSE is the squared error ℓ(d) = d².
type MSE struct{}

// Huber is PyTorch's huber_loss with threshold δ:
// ℓ(d) = ½d² for |d| < δ, δ(|d| − ½δ) otherwise.
type Huber struct{ Delta float64 }

// SmoothL1 is PyTorch's smooth_l1_loss with threshold β (the loss SB3's and
// MinAtar's DQN use, with β = 1): ℓ(d) = ½d²/β for |d| < β, |d| − ½β otherwise.
// Huber{δ} equals δ·SmoothL1{δ}; at δ = β = 1 they are the same.
type SmoothL1 struct{ Beta float64 }

// Name returns "mse".
func (MSE) Name() string { return "mse" }

// Elem returns d² and 2d.
func (MSE) Elem(d float64) (float64, float64) { return d * d, 2 * d }

// Name returns "huber".
func (Huber) Name() string { return "huber" }

// Elem returns the Huber loss of d and its derivative (at |d| = δ the linear
// branch, as PyTorch).
func (h Huber) Elem(d float64) (float64, float64) {
	if a := math.Abs(d); a < h.Delta {
		return 0.5 * d * d, d
	} else {
		return h.Delta * (a - 0.5*h.Delta), math.Copysign(h.Delta, d)
	}
}

// Name returns "smooth_l1".
func (SmoothL1) Name() string { return "smooth_l1" }

// Elem returns the smooth-L1 loss of d and its derivative.
func (s SmoothL1) Elem(d float64) (float64, float64) {
	if a := math.Abs(d); a < s.Beta {
		return 0.5 * d * d / s.Beta, d / s.Beta
	} else {
		g := math.Copysign(1, d)
		if d == 0 {
			g = 0
		}
		return a - 0.5*s.Beta, g
	}
}

// LossByName returns the loss named "mse", "huber" or "smooth_l1", the latter
// two with threshold delta.
func LossByName(name string, delta float64) (Loss, error) {
	if (name == "huber" || name == "smooth_l1") && !(delta > 0) {
		return nil, fmt.Errorf("net: %s loss needs a threshold > 0, got %v", name, delta)
	}
	switch name {
	case "mse":
		return MSE{}, nil
	case "huber":
		return Huber{Delta: delta}, nil
	case "smooth_l1":
		return SmoothL1{Beta: delta}, nil
	}
	return nil, fmt.Errorf("net: unknown loss %q (available: mse, huber, smooth_l1)", name)
}

// Reduction says how elementwise losses combine, as PyTorch's reduction.
type Reduction int

const (
	// ReduceMean averages the (weighted) elementwise losses.
	ReduceMean Reduction = iota
	// ReduceSum adds them.
	ReduceSum
	// ReduceNone keeps them apart: the gradient is that of their sum (an
	// upstream gradient of ones).
	ReduceNone
)

// EvalLoss computes L = reduce(wᵢ·ℓ(predᵢ − targetᵢ)) over n = len(pred)
// elements, writes ∂L/∂predᵢ into grad, and, if elems is not nil, each weighted
// elementwise loss into elems. weights may be nil (all ones); importance-sampling
// weights of prioritized replay go there. For ReduceNone it returns the sum.
func EvalLoss[T Float](loss Loss, red Reduction, pred, target, weights, grad, elems []T) float64 {
	n := len(pred)
	if len(target) != n || len(grad) != n || (weights != nil && len(weights) != n) || (elems != nil && len(elems) != n) {
		panic("net: EvalLoss: slices of different lengths")
	}
	scale := 1.0
	if red == ReduceMean && n > 0 {
		scale = 1 / float64(n)
	}
	total := 0.0
	for i := range pred {
		l, dl := loss.Elem(float64(pred[i]) - float64(target[i]))
		if weights != nil {
			w := float64(weights[i])
			l, dl = w*l, w*dl
		}
		if elems != nil {
			elems[i] = T(l)
		}
		total += l
		grad[i] = T(dl * scale)
	}
	return total * scale
}
