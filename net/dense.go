package net

import (
	"fmt"
	"strconv"
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
	x     *Tensor[T] // last input, for Backward
	y, dx *Tensor[T] // reused output buffers
}

func newDense[T Float](index, in, out int) *DenseLayer[T] {
	p := strconv.Itoa(index) + "."
	return &DenseLayer[T]{
		In: in, Out: out,
		W: newParam[T](p+"weight", out, in),
		B: newParam[T](p+"bias", out),
	}
}

// Forward computes y = x·Wᵀ + b.
func (d *DenseLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, in := batchOf(x)
	if in != d.In {
		panic(fmt.Sprintf("net: dense layer %s: input %v has %d features per sample, want %d", d.W.Name, x.Shape, in, d.In))
	}
	d.x = x
	d.y = reuse(d.y, bs, d.Out)
	y, b := d.y.Data, d.B.Value.Data
	for r := 0; r < bs; r++ {
		copy(y[r*d.Out:(r+1)*d.Out], b)
	}
	gemm(false, true, bs, d.Out, d.In, 1, x.Data, d.In, d.W.Value.Data, d.In, 1, y, d.Out)
	return d.y
}

// Backward accumulates ∂L/∂W and ∂L/∂b and returns ∂L/∂x in the input's shape.
func (d *DenseLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	bs := d.x.Shape[0]
	if len(dy.Data) != bs*d.Out {
		panic(fmt.Sprintf("net: dense layer %s: gradient %v does not match output (%d,%d)", d.W.Name, dy.Shape, bs, d.Out))
	}
	gemm(true, false, d.Out, d.In, bs, 1, dy.Data, d.Out, d.x.Data, d.In, 1, d.W.Grad.Data, d.In)
	gb := d.B.Grad.Data
	for r := 0; r < bs; r++ {
		for o, g := range dy.Data[r*d.Out : (r+1)*d.Out] {
			gb[o] += g
		}
	}
	d.dx = reuse(d.dx, d.x.Shape...)
	gemm(false, false, bs, d.In, d.Out, 1, dy.Data, d.Out, d.W.Value.Data, d.In, 0, d.dx.Data, d.In)
	return d.dx
}

// Params returns W and b.
func (d *DenseLayer[T]) Params() []*Param[T] { return []*Param[T]{d.W, d.B} }

// Spec describes the layer.
func (d *DenseLayer[T]) Spec() LayerSpec { return LayerSpec{Kind: "dense", Units: d.Out, Init: d.init} }

func (d *DenseLayer[T]) output() *Tensor[T] { return d.y }
