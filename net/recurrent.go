package net

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Recurrent is a recurrent Q-network as in DRQN (Hausknecht & Stone 2015) and
// R2D2 (Kapturowski et al. 2019): a feed-forward torso applied to every time
// step, an LSTM over time, and a feed-forward head applied to every step:
//
//	x (B,T,In…) -> torso on (B·T,In…) -> (B·T,F) -> LSTM on (B,T,F) -> (B,T,H) -> head on (B·T,H) -> q (B,T,Out…)
//
// Learning runs Forward and Backward (or BackwardParams) on sequences; acting
// runs Step, one time step (T = 1) with the LSTM's state carried from the
// previous call. The state belongs to the model: SetState starts a stored
// sequence from its recorded state (R2D2's stored state), ResetState or
// ResetRows clear it at an episode start. The torso or the head may be empty
// (nil): the LSTM then reads the flattened observation, or its h_t is the
// output.
//
// Its layers are named as one PyTorch module list: torso layers 0…k−1, the
// LSTM k ("k.weight_ih_l0"), head layers from k+1; checkpoints
// (MarshalRecurrent) store the specs and tensors as MarshalModel does.
type Recurrent[T Float] struct {
	// InShape is the shape of one observation, e.g. [4] or [4 10 10].
	InShape []int
	Torso   *Sequential[T] // nil if the LSTM reads the observation
	LSTM    *LSTMLayer[T]
	Head    *Sequential[T] // nil if the output is h_t

	params  []*Param[T]
	buffers []*Buffer[T]
	out     []int // per-step output shape
	// Views of the same data under the shapes each part expects.
	sv, xv, fv, hv, qv, dqv, dhv, dfv, dxv Tensor[T]
	dims                                   []int // scratch for the views' shapes
}

// BuildRecurrent makes a recurrent model for observations of shape in from
// specs holding exactly one LSTM spec: the specs before it are the torso,
// those after it the head, e.g.
//
//	append(MLPTrunk([]int{64}), LSTM(64), Dense(actions))
//
// Weights are initialised from rng (nil leaves them at zero). The model
// starts in training mode with a zero state.
func BuildRecurrent[T Float](in []int, specs []LayerSpec, rng *rand.Rand) (*Recurrent[T], error) {
	if _, _, err := sizeOf(in, specs); err != nil {
		return nil, err
	}
	k := -1
	for i, s := range specs {
		if s.Kind != "lstm" {
			continue
		}
		if k >= 0 {
			return nil, fmt.Errorf("net: layers %d and %d are both LSTMs; a Recurrent model has one", k, i)
		}
		k = i
	}
	if k < 0 {
		return nil, fmt.Errorf("net: a recurrent model needs one lstm layer among its specs")
	}
	m := &Recurrent[T]{InShape: slices.Clone(in)}
	feat := m.InShape
	if k > 0 {
		torso, err := buildSequential[T](in, specs[:k], 0, rng)
		if err != nil {
			return nil, err
		}
		m.Torso = torso
		feat = torso.OutShape()
	}
	l, hOut, err := buildLayer[T](specs[k], k, feat, rng)
	if err != nil {
		return nil, err
	}
	m.LSTM = l.(*LSTMLayer[T])
	m.out = hOut
	if k+1 < len(specs) {
		head, err := buildSequential[T](hOut, specs[k+1:], k+1, rng)
		if err != nil {
			return nil, err
		}
		m.Head = head
		m.out = head.OutShape()
	}
	if m.Torso != nil {
		m.params = append(m.params, m.Torso.Params()...)
		m.buffers = append(m.buffers, m.Torso.Buffers()...)
	}
	m.params = append(m.params, m.LSTM.Params()...)
	if m.Head != nil {
		m.params = append(m.params, m.Head.Params()...)
		m.buffers = append(m.buffers, m.Head.Buffers()...)
	}
	return m, nil
}

// parts returns the torso and head that exist, in order.
func (m *Recurrent[T]) parts() []*Sequential[T] {
	var p []*Sequential[T]
	for _, s := range []*Sequential[T]{m.Torso, m.Head} {
		if s != nil {
			p = append(p, s)
		}
	}
	return p
}

// view points v at data under shape dims (no copy) and returns it.
func view[T Float](v *Tensor[T], data []T, dims ...int) *Tensor[T] {
	v.Shape = append(v.Shape[:0], dims...)
	v.Data = data
	return v
}

// shape returns (a, b…, rest…) in the model's scratch slice, valid until the
// next call.
func (m *Recurrent[T]) shape(rest []int, lead ...int) []int {
	m.dims = append(append(m.dims[:0], lead...), rest...)
	return m.dims
}

// Forward runs x (B,T,In…) through the torso, the LSTM (from the carried
// state, which it leaves at (h_T, c_T)) and the head, and returns q
// (B,T,Out…), owned by the model until its next Forward or Step.
func (m *Recurrent[T]) Forward(x *Tensor[T]) *Tensor[T] {
	if len(x.Shape) < 2 || numel(x.Shape[2:]) != numel(m.InShape) {
		panic(fmt.Sprintf("net: recurrent model: input %v, want (B,T,%v)", x.Shape, m.InShape))
	}
	bs, steps := x.Shape[0], x.Shape[1]
	f := x
	if m.Torso != nil {
		f = m.Torso.Forward(view(&m.xv, x.Data, m.shape(m.InShape, bs*steps)...))
	}
	h := m.LSTM.Forward(view(&m.fv, f.Data, bs, steps, m.LSTM.In))
	if m.Head == nil {
		return h
	}
	q := m.Head.Forward(view(&m.hv, h.Data, bs*steps, m.LSTM.Hidden))
	return view(&m.qv, q.Data, m.shape(m.out, bs, steps)...)
}

// Step runs one time step for acting: x (B,In…) -> q (B,Out…), carrying the
// LSTM's state from the previous Step (or SetState/ResetState).
func (m *Recurrent[T]) Step(x *Tensor[T]) *Tensor[T] {
	bs := x.Shape[0]
	q := m.Forward(view(&m.sv, x.Data, m.shape(x.Shape[1:], bs, 1)...))
	return view(&m.qv, q.Data, m.shape(m.out, bs)...)
}

// backwardToLSTM propagates δ = ∂L/∂q (B,T,Out…) through the head and returns
// ∂L/∂h (B,T,H).
func (m *Recurrent[T]) backwardToLSTM(dq *Tensor[T]) *Tensor[T] {
	if m.Head == nil {
		return dq
	}
	x := m.LSTM.x
	bs, steps := x.Shape[0], x.Shape[1]
	dh := m.Head.Backward(view(&m.dqv, dq.Data, m.shape(m.out, bs*steps)...))
	return view(&m.dhv, dh.Data, bs, steps, m.LSTM.Hidden)
}

// Backward propagates δ = ∂L/∂q (B,T,Out…) of the last Forward through the
// head, the LSTM (full or truncated BPTT, see LSTMLayer.Truncate) and the
// torso, accumulating every parameter gradient, and returns ∂L/∂x (B,T,In…).
// The LSTM's StateGrad then holds the gradient of the starting state.
func (m *Recurrent[T]) Backward(dq *Tensor[T]) *Tensor[T] {
	x := m.LSTM.x
	bs, steps := x.Shape[0], x.Shape[1]
	df := m.LSTM.Backward(m.backwardToLSTM(dq))
	if m.Torso == nil {
		return df
	}
	dx := m.Torso.Backward(view(&m.dfv, df.Data, m.shape(m.Torso.shapes[len(m.Torso.shapes)-1], bs*steps)...))
	return view(&m.dxv, dx.Data, m.shape(m.InShape, bs, steps)...)
}

// BackwardParams accumulates the parameter gradients of Backward without
// ∂L/∂x (the call for a training step).
func (m *Recurrent[T]) BackwardParams(dq *Tensor[T]) {
	dh := m.backwardToLSTM(dq)
	if m.Torso == nil || m.Torso.first == len(m.Torso.Layers) {
		m.LSTM.backwardParams(dh)
		return
	}
	x := m.LSTM.x
	bs, steps := x.Shape[0], x.Shape[1]
	df := m.LSTM.Backward(dh)
	m.Torso.BackwardParams(view(&m.dfv, df.Data, m.shape(m.Torso.shapes[len(m.Torso.shapes)-1], bs*steps)...))
}

// SetState sets the LSTM state (h, c), each (B,H), that the next Forward or
// Step starts from.
func (m *Recurrent[T]) SetState(h, c *Tensor[T]) { m.LSTM.SetState(h, c) }

// State returns the carried LSTM state (h, c), each (B,H) (nil after
// ResetState: zeros).
func (m *Recurrent[T]) State() (h, c *Tensor[T]) { return m.LSTM.State() }

// ResetState makes the next call start from a zero state.
func (m *Recurrent[T]) ResetState() { m.LSTM.ResetState() }

// ResetRows zeroes the state of sample b (its episode starts again).
func (m *Recurrent[T]) ResetRows(b int) { m.LSTM.ResetRows(b) }

// Params returns every parameter: torso, LSTM, head.
func (m *Recurrent[T]) Params() []*Param[T] { return m.params }

// Buffers returns the torso's and head's buffers.
func (m *Recurrent[T]) Buffers() []*Buffer[T] { return m.buffers }

// ZeroGrad sets every gradient to 0.
func (m *Recurrent[T]) ZeroGrad() {
	for _, p := range m.params {
		p.Grad.Zero()
	}
}

// NumParams returns the number of scalar parameters.
func (m *Recurrent[T]) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Value.Len()
	}
	return n
}

// Specs returns the specs the model was built from (torso, LSTM, head).
func (m *Recurrent[T]) Specs() []LayerSpec {
	var s []LayerSpec
	if m.Torso != nil {
		s = append(s, m.Torso.Specs()...)
	}
	s = append(s, m.LSTM.Spec())
	if m.Head != nil {
		s = append(s, m.Head.Specs()...)
	}
	return s
}

// OutShape returns the per-step output shape.
func (m *Recurrent[T]) OutShape() []int { return slices.Clone(m.out) }

// Summary returns a table of the layers with their per-step output shapes
// and parameter counts, as Sequential's, numbered as the parameter names.
func (m *Recurrent[T]) Summary() string {
	var b strings.Builder
	shape := func(s []int) string {
		parts := make([]string, len(s))
		for i, d := range s {
			parts[i] = fmt.Sprint(d)
		}
		return "(" + strings.Join(parts, ",") + ")"
	}
	row := func(i int, l Layer[T], out []int) {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Len()
		}
		fmt.Fprintf(&b, "%-3d %-12s %-16s %10d\n", i, l.Spec().Kind, shape(out), n)
	}
	fmt.Fprintf(&b, "%-3s %-12s %-16s %10s\n", "#", "layer", "output", "params")
	fmt.Fprintf(&b, "%-3s %-12s %s per step\n", "", "input", shape(m.InShape))
	i := 0
	if m.Torso != nil {
		for j, l := range m.Torso.Layers {
			row(i, l, m.Torso.shapes[j])
			i++
		}
	}
	row(i, m.LSTM, []int{m.LSTM.Hidden})
	i++
	if m.Head != nil {
		for j, l := range m.Head.Layers {
			row(i, l, m.Head.shapes[j])
			i++
		}
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

// DeadReLUFraction returns, over every ReLU unit of the torso and the head,
// the fraction that were zero for every sample of the last Forward (see
// Sequential.DeadReLUFraction; a torso unit counts per step of the batch).
func (m *Recurrent[T]) DeadReLUFraction() float64 {
	dead, units := 0, 0
	for _, s := range m.parts() {
		d, u := s.deadReLUs()
		dead += d
		units += u
	}
	if units == 0 {
		return 0
	}
	return float64(dead) / float64(units)
}

// SetTraining sets training or evaluation mode in the torso and head.
func (m *Recurrent[T]) SetTraining(on bool) {
	for _, s := range m.parts() {
		s.SetTraining(on)
	}
}

// Clone returns a deep copy with the same weights, buffers, mode and
// truncation window, a zero state and zero gradients (a target network).
func (m *Recurrent[T]) Clone() *Recurrent[T] {
	c, err := BuildRecurrent[T](m.InShape, m.Specs(), nil)
	if err != nil {
		panic("net: Clone: " + err.Error())
	}
	c.CopyFrom(m)
	c.LSTM.Truncate = m.LSTM.Truncate
	for i, s := range m.parts() {
		c.parts()[i].SetTraining(s.Training())
	}
	return c
}

// CopyFrom copies src's weights and buffers into m (a hard target update);
// the models must have the same architecture. The state is not copied.
func (m *Recurrent[T]) CopyFrom(src *Recurrent[T]) {
	m.mustMatch(src)
	copyWeights(m.params, src.params, m.buffers, src.buffers)
}

// SoftUpdate moves m's weights towards src's by τ: θ ← τ·θ_src + (1−τ)·θ;
// buffers are copied.
func (m *Recurrent[T]) SoftUpdate(src *Recurrent[T], tau float64) {
	m.mustMatch(src)
	softUpdateWeights(m.params, src.params, m.buffers, src.buffers, tau)
}

func (m *Recurrent[T]) mustMatch(src *Recurrent[T]) {
	if !slices.Equal(m.Specs(), src.Specs()) || !slices.Equal(m.InShape, src.InShape) {
		panic("net: recurrent models have different architectures")
	}
}

// stateTensors returns what a checkpoint stores: parameters, then buffers.
func (m *Recurrent[T]) stateTensors() []*Tensor[T] { return weightTensors(m.params, m.buffers) }

// MarshalRecurrent encodes m's architecture, weights and buffers as a section
// payload in MarshalModel's format (header {"dtype", "in_shape", "layers"},
// then the tensors in Params and Buffers order). The LSTM state and the
// truncation window are not part of it.
func MarshalRecurrent[T Float](m *Recurrent[T]) ([]byte, error) {
	return payload(modelHeader{DType: dtypeOf[T](), InShape: m.InShape, Layers: m.Specs()}, m.stateTensors())
}

// UnmarshalRecurrent decodes a payload made by MarshalRecurrent (of either
// dtype) into a new recurrent model of element type T.
func UnmarshalRecurrent[T Float](p []byte) (*Recurrent[T], error) {
	return decodeModel(p, "recurrent model", func(in []int, specs []LayerSpec) (*Recurrent[T], error) { return BuildRecurrent[T](in, specs, nil) },
		(*Recurrent[T]).stateTensors)
}
