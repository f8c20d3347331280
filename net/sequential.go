package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Sequential is a model that applies its layers in order.
type Sequential[T Float] struct {
	// InShape is the shape of one input sample, e.g. [4] or [4 10 10].
	InShape []int
	Layers  []Layer[T]
	params  []*Param[T]
	out     []int // per-sample output shape
}

// Build makes a model for inputs of per-sample shape in from layer specs,
// initialising weights from rng. Errors name the layer that is wrong.
func Build[T Float](in []int, specs []LayerSpec, rng *rand.Rand) (*Sequential[T], error) {
	if _, err := CountParams(in, specs); err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("net: a model needs at least one layer")
	}
	m := &Sequential[T]{InShape: slices.Clone(in)}
	shape := m.InShape
	for i, s := range specs {
		l, out, err := buildLayer[T](s, i, shape, rng)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
		m.params = append(m.params, l.Params()...)
		shape = out
	}
	m.out = shape
	return m, nil
}

// Forward runs x (B, InShape...) through every layer and returns the output,
// which is owned by the last layer (valid until the next Forward).
func (m *Sequential[T]) Forward(x *Tensor[T]) *Tensor[T] {
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return x
}

// Backward propagates δ = ∂L/∂y of the last Forward back through every layer,
// accumulating parameter gradients, and returns ∂L/∂x.
func (m *Sequential[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		dy = m.Layers[i].Backward(dy)
	}
	return dy
}

// Params returns every parameter, layer by layer.
func (m *Sequential[T]) Params() []*Param[T] { return m.params }

// ZeroGrad sets every parameter's gradient to 0.
func (m *Sequential[T]) ZeroGrad() {
	for _, p := range m.params {
		p.Grad.Zero()
	}
}

// NumParams returns the number of scalar parameters.
func (m *Sequential[T]) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Value.Len()
	}
	return n
}

// Specs returns the layer specs the model was built from.
func (m *Sequential[T]) Specs() []LayerSpec {
	s := make([]LayerSpec, len(m.Layers))
	for i, l := range m.Layers {
		s[i] = l.Spec()
	}
	return s
}

// OutShape returns the per-sample output shape.
func (m *Sequential[T]) OutShape() []int { return slices.Clone(m.out) }

// Clone returns a deep copy with the same weights and zero gradients, e.g.
// a target network.
func (m *Sequential[T]) Clone() *Sequential[T] {
	c, err := Build[T](m.InShape, m.Specs(), nil)
	if err != nil {
		panic("net: Clone: " + err.Error())
	}
	c.CopyFrom(m)
	return c
}

// CopyFrom copies src's weights into m (a hard target update). The models
// must have the same architecture.
func (m *Sequential[T]) CopyFrom(src *Sequential[T]) {
	m.mustMatch(src)
	for i, p := range m.params {
		copy(p.Value.Data, src.params[i].Value.Data)
	}
}

// SoftUpdate moves m's weights towards src's by τ (Polyak averaging):
// θ ← τ·θ_src + (1−τ)·θ.
func (m *Sequential[T]) SoftUpdate(src *Sequential[T], tau float64) {
	m.mustMatch(src)
	t := T(tau)
	for i, p := range m.params {
		s := src.params[i].Value.Data
		for j, v := range p.Value.Data {
			p.Value.Data[j] = t*s[j] + (1-t)*v
		}
	}
}

func (m *Sequential[T]) mustMatch(src *Sequential[T]) {
	if len(m.params) != len(src.params) {
		panic("net: models have different architectures")
	}
	for i, p := range m.params {
		if !slices.Equal(p.Value.Shape, src.params[i].Value.Shape) {
			panic(fmt.Sprintf("net: parameter %s has shape %v, source has %v", p.Name, p.Value.Shape, src.params[i].Value.Shape))
		}
	}
}

// DeadReLUFraction returns, over every ReLU of the model, the fraction of units
// that were zero for every sample of the last Forward batch.
func (m *Sequential[T]) DeadReLUFraction() float64 {
	dead, units := 0.0, 0
	for _, l := range m.Layers {
		if r, ok := l.(*ReLULayer[T]); ok && r.y != nil {
			_, per := batchOf(r.y)
			dead += r.DeadFraction() * float64(per)
			units += per
		}
	}
	if units == 0 {
		return 0
	}
	return dead / float64(units)
}

// GradNorm returns the global L2 norm of all gradients, √Σ g².
func GradNorm[T Float](params []*Param[T]) float64 {
	s := 0.0
	for _, p := range params {
		for _, g := range p.Grad.Data {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm scales all gradients so that their global L2 norm is at most
// maxNorm, as torch.nn.utils.clip_grad_norm_ does (scale by
// maxNorm/(norm+1e-6) when the norm exceeds maxNorm). It returns the norm
// before clipping.
func ClipGradNorm[T Float](params []*Param[T], maxNorm float64) float64 {
	norm := GradNorm(params)
	if coef := maxNorm / (norm + 1e-6); coef < 1 {
		c := T(coef)
		for _, p := range params {
			for i := range p.Grad.Data {
				p.Grad.Data[i] *= c
			}
		}
	}
	return norm
}
