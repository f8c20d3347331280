package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/deepq/deepq/internal/vec"
)

// Sequential is a model that applies its layers in order.
type Sequential[T Float] struct {
	// InShape is the shape of one input sample, e.g. [4] or [4 10 10].
	InShape []int
	Layers  []Layer[T]

	params   []*Param[T]
	buffers  []*Buffer[T]
	shapes   [][]int // per-sample output shape of each layer
	training bool
	first    int       // index of the first layer with parameters (len(Layers) if none)
	prec     Precision // of the layers' matrix multiplies (SetPrecision)
	offset   int       // index of the first layer in parameter names ("3.weight")
}

// Build makes a model for inputs of per-sample shape in from layer specs,
// initialising weights from rng (nil leaves them at zero, for a model whose
// weights will be loaded). Errors name the layer that is wrong. The model
// starts in training mode, as a PyTorch module.
func Build[T Float](in []int, specs []LayerSpec, rng *rand.Rand) (*Sequential[T], error) {
	if _, _, err := sizeOf(in, specs); err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("net: a model needs at least one layer")
	}
	for i, s := range specs {
		if s.Kind == "lstm" {
			return nil, fmt.Errorf("net: layer %d (lstm): an LSTM runs over sequences (B,T,…); build the model with BuildRecurrent", i)
		}
	}
	return buildSequential[T](in, specs, 0, rng)
}

// buildSequential makes the layers of specs (already checked by sizeOf),
// naming them from index offset on (the head of a Recurrent model comes after
// its torso and LSTM).
func buildSequential[T Float](in []int, specs []LayerSpec, offset int, rng *rand.Rand) (*Sequential[T], error) {
	m := &Sequential[T]{InShape: slices.Clone(in), training: true, first: len(specs), offset: offset}
	shape := m.InShape
	for i, s := range specs {
		l, out, err := buildLayer[T](s, offset+i, shape, rng)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
		if ps := l.Params(); len(ps) > 0 && m.first == len(specs) {
			m.first = i
		}
		m.params = append(m.params, l.Params()...)
		if b, ok := l.(buffered[T]); ok {
			m.buffers = append(m.buffers, b.Buffers()...)
		}
		m.shapes = append(m.shapes, slices.Clone(out))
		shape = out
	}
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

// BackwardParams accumulates the same parameter gradients as Backward but does
// not compute ∂L/∂x: it stops at the first layer with parameters and skips
// that layer's input gradient, as PyTorch does for an input that does not
// require grad. This is the call for a training step.
func (m *Sequential[T]) BackwardParams(dy *Tensor[T]) {
	for i := len(m.Layers) - 1; i > m.first; i-- {
		dy = m.Layers[i].Backward(dy)
	}
	if m.first == len(m.Layers) {
		return
	}
	if pb, ok := m.Layers[m.first].(paramBackwarder[T]); ok {
		pb.backwardParams(dy)
	} else {
		m.Layers[m.first].Backward(dy)
	}
}

// SetTraining puts the model in training mode (on) or evaluation mode, as
// PyTorch's train() and eval(): dropout is active and batch normalisation uses
// and updates batch statistics only in training mode.
func (m *Sequential[T]) SetTraining(on bool) {
	m.training = on
	for _, l := range m.Layers {
		if md, ok := l.(modal); ok {
			md.setTraining(on)
		}
	}
}

// Training reports whether the model is in training mode.
func (m *Sequential[T]) Training() bool { return m.training }

// Reseed restarts the generators of the model's stochastic layers (dropout)
// from seeds drawn from rng.
func (m *Sequential[T]) Reseed(rng *rand.Rand) {
	for _, l := range m.Layers {
		if d, ok := l.(*DropoutLayer[T]); ok {
			d.Reseed(rng.Uint64())
		}
	}
}

// Params returns every parameter, layer by layer.
func (m *Sequential[T]) Params() []*Param[T] { return m.params }

// Buffers returns every buffer (e.g. BatchNorm running statistics), layer by
// layer.
func (m *Sequential[T]) Buffers() []*Buffer[T] { return m.buffers }

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
func (m *Sequential[T]) OutShape() []int { return slices.Clone(m.shapes[len(m.shapes)-1]) }

// Summary returns a table of the layers with their per-sample output shapes
// and parameter counts, and the totals, as Keras's summary or torchinfo:
//
//	#  layer       output       params
//	0  conv2d      (16,8,8)        448
//	…
func (m *Sequential[T]) Summary() string {
	var b strings.Builder
	shape := func(s []int) string {
		parts := make([]string, len(s))
		for i, d := range s {
			parts[i] = fmt.Sprint(d)
		}
		return "(" + strings.Join(parts, ",") + ")"
	}
	fmt.Fprintf(&b, "%-3s %-12s %-16s %10s\n", "#", "layer", "output", "params")
	fmt.Fprintf(&b, "%-3s %-12s %s\n", "", "input", shape(m.InShape))
	for i, l := range m.Layers {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Len()
		}
		fmt.Fprintf(&b, "%-3d %-12s %-16s %10d\n", i, l.Spec().Kind, shape(m.shapes[i]), n)
	}
	nb := 0
	for _, bf := range m.buffers {
		nb += bf.Value.Len()
	}
	fmt.Fprintf(&b, "total: %d parameters", m.NumParams())
	if nb > 0 {
		fmt.Fprintf(&b, ", %d buffer elements", nb)
	}
	b.WriteString("\n")
	return b.String()
}

// Clone returns a deep copy with the same weights, buffers, mode and
// precision and zero gradients, e.g. a target network.
func (m *Sequential[T]) Clone() *Sequential[T] {
	c, err := buildSequential[T](m.InShape, m.Specs(), m.offset, nil)
	if err != nil {
		panic("net: Clone: " + err.Error())
	}
	c.CopyFrom(m)
	c.SetTraining(m.training)
	if err := c.SetPrecision(m.prec); err != nil {
		panic("net: Clone: " + err.Error())
	}
	return c
}

// CopyFrom copies src's weights and buffers into m (a hard target update,
// PyTorch's load_state_dict). The models must have the same architecture.
func (m *Sequential[T]) CopyFrom(src *Sequential[T]) {
	m.mustMatch(src)
	copyWeights(m.params, src.params, m.buffers, src.buffers)
}

// copyWeights copies the source parameters and buffers into the
// destination's, which have the same shapes.
func copyWeights[T Float](dst, src []*Param[T], dstBuf, srcBuf []*Buffer[T]) {
	for i, p := range dst {
		copy(p.Value.Data, src[i].Value.Data)
	}
	for i, b := range dstBuf {
		copy(b.Value.Data, srcBuf[i].Value.Data)
	}
}

// SoftUpdate moves m's weights towards src's by τ (Polyak averaging):
// θ ← τ·θ_src + (1−τ)·θ. Buffers (running statistics) are copied, as
// Stable-Baselines3 does for a target network.
func (m *Sequential[T]) SoftUpdate(src *Sequential[T], tau float64) {
	m.mustMatch(src)
	softUpdateWeights(m.params, src.params, m.buffers, src.buffers, tau)
}

// softUpdateWeights moves the destination parameters towards the source's
// by τ, θ ← τ·θ_src + (1−τ)·θ, and copies the buffers.
func softUpdateWeights[T Float](dst, src []*Param[T], dstBuf, srcBuf []*Buffer[T], tau float64) {
	t := T(tau)
	for i, p := range dst {
		s := src[i].Value.Data
		for j, v := range p.Value.Data {
			p.Value.Data[j] = t*s[j] + (1-t)*v
		}
	}
	for i, b := range dstBuf {
		copy(b.Value.Data, srcBuf[i].Value.Data)
	}
}

func (m *Sequential[T]) mustMatch(src *Sequential[T]) {
	if len(m.params) != len(src.params) || len(m.buffers) != len(src.buffers) {
		panic("net: models have different architectures")
	}
	for i, p := range m.params {
		if !slices.Equal(p.Value.Shape, src.params[i].Value.Shape) {
			panic(fmt.Sprintf("net: parameter %s has shape %v, source has %v", p.Name, p.Value.Shape, src.params[i].Value.Shape))
		}
	}
	for i, b := range m.buffers {
		if !slices.Equal(b.Value.Shape, src.buffers[i].Value.Shape) {
			panic(fmt.Sprintf("net: buffer %s has shape %v, source has %v", b.Name, b.Value.Shape, src.buffers[i].Value.Shape))
		}
	}
}

// DeadReLUFraction returns, over every ReLU unit of the model (including
// those inside dueling heads), the fraction that were zero for every sample of
// the last Forward batch: units that passed no gradient on that batch. A
// fraction that grows during training signals dying ReLUs.
func (m *Sequential[T]) DeadReLUFraction() float64 {
	dead, units := m.deadReLUs()
	if units == 0 {
		return 0
	}
	return float64(dead) / float64(units)
}

// deadReLUs counts the dead ReLU units of DeadReLUFraction, and all units.
func (m *Sequential[T]) deadReLUs() (dead, units int) {
	add := func(r *ReLULayer[T]) {
		d, u := r.deadUnits()
		dead += d
		units += u
	}
	for _, l := range m.Layers {
		switch l := l.(type) {
		case *ReLULayer[T]:
			add(l)
		case reluHolder[T]:
			for _, r := range l.relus() {
				add(r)
			}
		}
	}
	return dead, units
}

// GradNorm returns the global L2 norm of all gradients, √Σ g².
func GradNorm[T Float](params []*Param[T]) float64 {
	s := 0.0
	for _, p := range params {
		if g32, ok := any(p.Grad.Data).([]float32); ok {
			s += vec.SumSquares(g32) // AVX-512, in a fixed order
			continue
		}
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
