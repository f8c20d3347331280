package net

// FlattenLayer reshapes x (B, d₁, …, dₙ) to y (B, d₁⋯dₙ) without copying:
// y shares x's storage, and Backward returns δ viewed in x's shape.
type FlattenLayer[T Float] struct {
	in    []int // shape of the last input
	y, dx Tensor[T]
}

// Forward returns x viewed as (B, d₁⋯dₙ).
func (f *FlattenLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, per := batchOf(x)
	f.in = append(f.in[:0], x.Shape...)
	f.y.Data = x.Data
	f.y.Shape = append(f.y.Shape[:0], bs, per)
	return &f.y
}

// Backward returns δ viewed in the shape of the last input.
func (f *FlattenLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	mustLen("flatten", dy, numel(f.in))
	f.dx.Data = dy.Data
	f.dx.Shape = append(f.dx.Shape[:0], f.in...)
	return &f.dx
}

// Params returns nil.
func (f *FlattenLayer[T]) Params() []*Param[T] { return nil }

// Spec describes the layer.
func (f *FlattenLayer[T]) Spec() LayerSpec { return Flatten() }
