package net

import (
	"fmt"
	"slices"
)

// Float is the element type of a network: float32 for training, float64 for
// reference computations and gradient checks. The same layer code serves both.
type Float interface{ float32 | float64 }

// Tensor is a dense n-dimensional array.
type Tensor[T Float] struct {
	// Shape lists the dimensions, outermost first; activations are (B, ...) with
	// the batch first, images NCHW.
	Shape []int
	// Data holds the elements in row-major (C) order: the element at index
	// (i, j, k) of a (I, J, K) tensor is Data[(i*J+j)*K+k].
	Data []T
}

// New returns a zero tensor of the given shape.
func New[T Float](shape ...int) *Tensor[T] {
	return &Tensor[T]{Shape: slices.Clone(shape), Data: make([]T, numel(shape))}
}

// FromSlice returns a tensor of the given shape that uses data as its storage.
// It panics if len(data) does not match the shape.
func FromSlice[T Float](data []T, shape ...int) *Tensor[T] {
	if len(data) != numel(shape) {
		panic(fmt.Sprintf("net: FromSlice: %d elements for shape %v", len(data), shape))
	}
	return &Tensor[T]{Shape: slices.Clone(shape), Data: data}
}

// Len returns the number of elements.
func (t *Tensor[T]) Len() int { return len(t.Data) }

// Clone returns a deep copy.
func (t *Tensor[T]) Clone() *Tensor[T] {
	return &Tensor[T]{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// Zero sets every element to 0.
func (t *Tensor[T]) Zero() { clear(t.Data) }

// String formats the shape, e.g. "Tensor(32,4)".
func (t *Tensor[T]) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			negativeDim(d) // not formatting shape keeps it from escaping
		}
		n *= d
	}
	return n
}

func negativeDim(d int) { panic(fmt.Sprintf("net: negative dimension %d in a shape", d)) }

// reuse returns t reshaped to shape, reusing its storage when it is large
// enough, or a new tensor. Layers keep their outputs in such buffers so that a
// steady-state step allocates nothing. The contents are unspecified.
func reuse[T Float](t *Tensor[T], shape ...int) *Tensor[T] {
	n := numel(shape)
	if t == nil {
		t = &Tensor[T]{}
	}
	if cap(t.Data) < n {
		t.Data = make([]T, n)
	}
	t.Data = t.Data[:n]
	if !slices.Equal(t.Shape, shape) {
		t.Shape = append(t.Shape[:0], shape...)
	}
	return t
}

// batchOf returns the batch size and the per-sample size of x (B, ...).
func batchOf[T Float](x *Tensor[T]) (b, per int) {
	if len(x.Shape) == 0 {
		panic("net: a batch needs at least one dimension")
	}
	b = x.Shape[0]
	if b == 0 {
		return 0, numel(x.Shape[1:])
	}
	return b, len(x.Data) / b
}
