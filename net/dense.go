package net

import (
	"fmt"
	"math/rand/v2"

	"github.com/deepq/deepq/internal/vec"
)

// DenseLayer is a fully connected layer, PyTorch's Linear:
//
//	y = x·Wᵀ + b      x (B,In) · Wᵀ (In,Out) -> y (B,Out)
//
// Backward, given δ = ∂L/∂y (B,Out):
//
//	∂L/∂W += δᵀ·x     (Out,B)·(B,In) -> (Out,In)
//	∂L/∂b += Σ_batch δ
//	∂L/∂x  = δ·W      (B,Out)·(Out,In) -> (B,In)
//
// Forward keeps a reference to x for Backward. An input with more than two
// dimensions is read as (B, In) with In the product of the others.
type DenseLayer[T Float] struct {
	In, Out int
	// W holds the weights, shape (Out, In), row-major: W[o*In+i] connects
	// input i to output o, as PyTorch's Linear.weight.
	W *Param[T]
	// B holds the biases, shape (Out).
	B *Param[T]

	init  string
	prec  Precision  // of the three multiplies
	x     *Tensor[T] // last input, for Backward
	y, dx *Tensor[T] // reused output buffers
}

// newDense makes a dense layer whose parameters are named prefix+"weight" and
// prefix+"bias".
func newDense[T Float](prefix string, in, out int) *DenseLayer[T] {
	return &DenseLayer[T]{
		In: in, Out: out,
		W: newParam[T](prefix+"weight", out, in),
		B: newParam[T](prefix+"bias", out),
	}
}

// initWeights draws W and b from the layer's initialiser (fanIn = In,
// fanOut = Out); a nil rng leaves them at zero.
func (d *DenseLayer[T]) initWeights(rng *rand.Rand) {
	if rng == nil {
		return
	}
	init, _ := initializer(d.init)
	init.initDense(d.W.Value.Data, d.B.Value.Data, d.In, d.Out, rng)
}

// Forward computes y = x·Wᵀ + b.
func (d *DenseLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, in := batchOf(x)
	if in != d.In {
		panic(fmt.Sprintf("net: dense layer %s: input %v has %d features per sample, want %d", d.W.Name, x.Shape, in, d.In))
	}
	d.x = x
	d.y = reuse(d.y, bs, d.Out)
	affine(d.prec, d.y.Data, x.Data, d.W.Value.Data, d.B.Value.Data, bs, d.In, d.Out)
	return d.y
}

// affine sets y (bs,out) = x·wᵀ + b for x (bs,in), w (out,in) row-major and
// b (out), the product in precision p.
func affine[T Float](p Precision, y, x, w, b []T, bs, in, out int) {
	for r := 0; r < bs; r++ {
		copy(y[r*out:(r+1)*out], b)
	}
	gemmIn(p, false, true, bs, out, in, 1, x, in, w, in, 1, y, out)
}

// affineGrad accumulates the gradients of affine's w and b for δ = dy
// (bs,out): gw += δᵀ·x (in precision p) and gb += Σ_rows δ.
func affineGrad[T Float](p Precision, gw, gb, dy, x []T, bs, in, out int) {
	gemmIn(p, true, false, out, in, bs, 1, dy, out, x, in, 1, gw, in)
	gb32, _ := any(gb).([]float32)
	for r := 0; r < bs; r++ {
		row := dy[r*out : (r+1)*out]
		if gb32 != nil {
			vec.AddTo(gb32, any(row).([]float32)) // same sums, in the same order
			continue
		}
		for o, g := range row {
			gb[o] += g
		}
	}
}

// Backward accumulates ∂L/∂W and ∂L/∂b and returns ∂L/∂x in the input's shape.
func (d *DenseLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	d.backwardParams(dy)
	bs := d.x.Shape[0]
	d.dx = reuse(d.dx, d.x.Shape...)
	gemmIn(d.prec, false, false, bs, d.In, d.Out, 1, dy.Data, d.Out, d.W.Value.Data, d.In, 0, d.dx.Data, d.In)
	return d.dx
}

// backwardParams accumulates ∂L/∂W and ∂L/∂b only.
func (d *DenseLayer[T]) backwardParams(dy *Tensor[T]) {
	if d.x == nil {
		panic("net: dense layer " + d.W.Name + ": Backward before Forward")
	}
	bs := d.x.Shape[0]
	if len(dy.Data) != bs*d.Out {
		panic(fmt.Sprintf("net: dense layer %s: gradient %v does not match output (%d,%d)", d.W.Name, dy.Shape, bs, d.Out))
	}
	affineGrad(d.prec, d.W.Grad.Data, d.B.Grad.Data, dy.Data, d.x.Data, bs, d.In, d.Out)
}

// Params returns W and b.
func (d *DenseLayer[T]) Params() []*Param[T] { return []*Param[T]{d.W, d.B} }

// Spec describes the layer.
func (d *DenseLayer[T]) Spec() LayerSpec { return LayerSpec{Kind: "dense", Units: d.Out, Init: d.init} }

func (d *DenseLayer[T]) output() *Tensor[T] { return d.y }

func (d *DenseLayer[T]) setPrecision(p Precision) { d.prec = p }
