package net

import (
	"fmt"
	"math/rand/v2"
)

// CategoricalLayer is the C51 head of Bellemare et al. (2017): it maps
// features x (B, In…) to logits (B, Actions, Atoms), one distribution over
// the atoms of a Support per action,
//
//	p(s, a) = softmax over atoms of logits(s, a)
//	Q(s, a) = Σᵢ zᵢ·pᵢ(s, a)                      (CategoricalQ)
//
// Trained with CategoricalCrossEntropy against ProjectCategorical's target on
// the chosen action's row (GatherAction, ScatterAction). The layer outputs
// logits, not probabilities, so that the loss's log-softmax is exact.
//
// Without Dueling the head is one stream Linear(In, A·N), or Linear(In,
// Hidden) → ReLU → Linear(Hidden, A·N) with Hidden > 0, its output read as
// (B, A, N). With Dueling it is Rainbow's distributional dueling head (Hessel
// et al. 2018, eq. 4, before the softmax): a value stream V (B, N) and an
// advantage stream A (B, A·N), each shaped as above, and
//
//	logits(s, a)ᵢ = Vᵢ(s) + Aᵢ(s, a) − (1/|A|) Σ_a′ Aᵢ(s, a′)
//
// Backward, given δ = ∂L/∂logits (B, A, N): ∂L/∂Vᵢ = Σ_a δ_ai, ∂L/∂A_ai =
// δ_ai − (1/|A|) Σ_a′ δ_a′i, and ∂L/∂x sums the streams'. With Sigma0 > 0
// every linear layer of the streams is a NoisyDenseLayer with that σ₀
// (Rainbow's noisy head); ResampleNoise and SetNoise reach them.
//
// Parameters are named as a PyTorch module with submodules value and
// advantage ("4.value.0.weight", "4.advantage.2.bias_mu"), or, without
// Dueling, as a Linear ("4.weight") or a Sequential ("4.0.weight",
// "4.2.weight").
type CategoricalLayer[T Float] struct {
	In, Actions, Atoms, Hidden int
	Dueling                    bool
	// Value is the value stream (nil without Dueling); Stream is the
	// advantage stream, or the whole head without Dueling.
	Value, Stream []Layer[T]

	spec      LayerSpec
	hidden    []*ReLULayer[T]
	logits    *Tensor[T]
	dv, da    *Tensor[T]
	dx        *Tensor[T]
	lastBatch int
}

// Categorical returns the spec of a C51 head (logits (B, actions, atoms))
// whose stream has a hidden layer of the given width (0: one linear layer).
// Set Sigma0 (0.5) for noisy linear layers.
func Categorical(actions, atoms, hidden int) LayerSpec {
	return LayerSpec{Kind: "categorical", Units: actions, Atoms: atoms, Hidden: hidden}
}

// DuelingCategorical returns the spec of Rainbow's distributional dueling
// head. For Rainbow's noisy head set Sigma0 (0.5).
func DuelingCategorical(actions, atoms, hidden int) LayerSpec {
	return LayerSpec{Kind: "dueling_categorical", Units: actions, Atoms: atoms, Hidden: hidden}
}

func newCategorical[T Float](prefix string, s LayerSpec, in int) *CategoricalLayer[T] {
	d := &CategoricalLayer[T]{In: in, Actions: s.Units, Atoms: s.Atoms, Hidden: s.Hidden,
		Dueling: s.Kind == "dueling_categorical", spec: s}
	linear := func(prefix string, in, out int) Layer[T] {
		if s.Sigma0 > 0 {
			return newNoisyDense[T](prefix, in, out, s.Sigma0, s.Init)
		}
		l := newDense[T](prefix, in, out)
		l.init = s.Init
		return l
	}
	stream := func(prefix string, out int) []Layer[T] {
		if s.Hidden == 0 {
			return []Layer[T]{linear(prefix, in, out)}
		}
		r := &ReLULayer[T]{}
		d.hidden = append(d.hidden, r)
		return []Layer[T]{linear(prefix+"0.", in, s.Hidden), r, linear(prefix+"2.", s.Hidden, out)}
	}
	if d.Dueling {
		d.Value = stream(prefix+"value.", s.Atoms)
		d.Stream = stream(prefix+"advantage.", s.Units*s.Atoms)
	} else {
		d.Stream = stream(prefix, s.Units*s.Atoms)
	}
	return d
}

// layers returns the value stream's layers, then the other stream's.
func (d *CategoricalLayer[T]) layers() []Layer[T] {
	return append(d.Value[:len(d.Value):len(d.Value)], d.Stream...)
}

// initWeights initialises the streams' linear layers from rng, value stream
// first; a nil rng leaves them at zero.
func (d *CategoricalLayer[T]) initWeights(rng *rand.Rand) {
	for _, l := range d.layers() {
		switch l := l.(type) {
		case *DenseLayer[T]:
			l.initWeights(rng)
		case *NoisyDenseLayer[T]:
			l.initWeights(rng)
		}
	}
}

// Forward computes the logits (B, Actions, Atoms) from x (B, In…).
func (d *CategoricalLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	a := x
	for _, l := range d.Stream {
		a = l.Forward(a)
	}
	bs, na, n := a.Shape[0], d.Actions, d.Atoms
	d.lastBatch = bs
	if d.logits == nil {
		d.logits = &Tensor[T]{}
	}
	if !d.Dueling {
		// The stream's (B, A·N) output, read as (B, A, N).
		d.logits.Data = a.Data
		d.logits.Shape = append(d.logits.Shape[:0], bs, na, n)
		return d.logits
	}
	v := x
	for _, l := range d.Value {
		v = l.Forward(v)
	}
	d.logits = reuse(d.logits, bs, na, n)
	out, ad, vd := d.logits.Data, a.Data, v.Data
	for b := range bs {
		for i := range n {
			var mean T
			for k := range na {
				mean += ad[(b*na+k)*n+i]
			}
			mean /= T(na)
			for k := range na {
				out[(b*na+k)*n+i] = vd[b*n+i] + ad[(b*na+k)*n+i] - mean
			}
		}
	}
	return d.logits
}

// streamGrads splits δ (B, A, N) into ∂L/∂V (B, N) and ∂L/∂A (B, A·N) for the
// dueling head.
func (d *CategoricalLayer[T]) streamGrads(dy *Tensor[T]) {
	bs, na, n := d.lastBatch, d.Actions, d.Atoms
	d.dv = reuse(d.dv, bs, n)
	d.da = reuse(d.da, bs, na*n)
	for b := range bs {
		for i := range n {
			var sum T
			for k := range na {
				sum += dy.Data[(b*na+k)*n+i]
			}
			d.dv.Data[b*n+i] = sum
			mean := sum / T(na)
			for k := range na {
				d.da.Data[(b*na+k)*n+i] = dy.Data[(b*na+k)*n+i] - mean
			}
		}
	}
}

func (d *CategoricalLayer[T]) checkGrad(dy *Tensor[T]) {
	if d.logits == nil {
		panic("net: categorical head: Backward before Forward")
	}
	mustLen("categorical head", dy, d.lastBatch*d.Actions*d.Atoms)
}

// Backward accumulates the streams' gradients and returns ∂L/∂x.
func (d *CategoricalLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	d.checkGrad(dy)
	if !d.Dueling {
		g := dy
		for i := len(d.Stream) - 1; i >= 0; i-- {
			g = d.Stream[i].Backward(g)
		}
		return g
	}
	d.streamGrads(dy)
	gv, ga := d.dv, d.da
	for i := len(d.Value) - 1; i >= 0; i-- {
		gv = d.Value[i].Backward(gv)
	}
	for i := len(d.Stream) - 1; i >= 0; i-- {
		ga = d.Stream[i].Backward(ga)
	}
	d.dx = reuse(d.dx, gv.Shape...)
	for i, g := range gv.Data {
		d.dx.Data[i] = g + ga.Data[i]
	}
	return d.dx
}

// backwardParams accumulates the streams' gradients without ∂L/∂x.
func (d *CategoricalLayer[T]) backwardParams(dy *Tensor[T]) {
	d.checkGrad(dy)
	if !d.Dueling {
		streamParamsOf(d.Stream, dy)
		return
	}
	d.streamGrads(dy)
	streamParamsOf(d.Value, d.dv)
	streamParamsOf(d.Stream, d.da)
}

// streamParamsOf runs Backward through the layers of a stream, down to the
// parameter gradients of its first layer (dense or noisy dense).
func streamParamsOf[T Float](layers []Layer[T], g *Tensor[T]) {
	for i := len(layers) - 1; i > 0; i-- {
		g = layers[i].Backward(g)
	}
	layers[0].(paramBackwarder[T]).backwardParams(g)
}

// Params returns the value stream's parameters, then the other stream's.
func (d *CategoricalLayer[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, l := range d.layers() {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Buffers returns the noise factors of the noisy layers (none without
// Sigma0).
func (d *CategoricalLayer[T]) Buffers() []*Buffer[T] {
	var bs []*Buffer[T]
	for _, l := range d.layers() {
		if n, ok := l.(*NoisyDenseLayer[T]); ok {
			bs = append(bs, n.Buffers()...)
		}
	}
	return bs
}

// ResampleNoise draws new noise for the noisy layers, value stream first
// (nothing without Sigma0).
func (d *CategoricalLayer[T]) ResampleNoise(rng *rand.Rand) {
	for _, l := range d.layers() {
		if n, ok := l.(*NoisyDenseLayer[T]); ok {
			n.ResampleNoise(rng)
		}
	}
}

// SetNoise switches the noise of the noisy layers on or off.
func (d *CategoricalLayer[T]) SetNoise(on bool) {
	for _, l := range d.layers() {
		if n, ok := l.(*NoisyDenseLayer[T]); ok {
			n.SetNoise(on)
		}
	}
}

func (d *CategoricalLayer[T]) setTraining(on bool) { d.SetNoise(on) }

func (d *CategoricalLayer[T]) hasNoise() bool { return d.spec.Sigma0 > 0 }

// relus returns the streams' hidden ReLUs.
func (d *CategoricalLayer[T]) relus() []*ReLULayer[T] { return d.hidden }

// Spec describes the layer.
func (d *CategoricalLayer[T]) Spec() LayerSpec { return d.spec }

// inferCategorical checks a categorical or dueling_categorical spec for
// fanIn input features.
func (s LayerSpec) inferCategorical(fanIn int) (layerSize, error) {
	if s.Units < 1 || s.Units > maxWidth {
		return layerSize{}, fmt.Errorf("units (actions) must be in [1, %d], got %d", maxWidth, s.Units)
	}
	if s.Atoms < 2 || s.Atoms > maxWidth {
		return layerSize{}, fmt.Errorf("atoms must be in [2, %d], got %d", maxWidth, s.Atoms)
	}
	if s.Hidden < 0 || s.Hidden > maxWidth {
		return layerSize{}, fmt.Errorf("hidden must be in [0, %d], got %d", maxWidth, s.Hidden)
	}
	if err := checkSigma0(s.Sigma0, true); err != nil {
		return layerSize{}, err
	}
	if _, err := initializer(s.Init); err != nil {
		return layerSize{}, err
	}
	outs, ok := mulBounded(s.Units, s.Atoms)
	if !ok {
		return layerSize{}, fmt.Errorf("%d actions × %d atoms are too many outputs", s.Units, s.Atoms)
	}
	if s.Kind == "dueling_categorical" {
		outs += s.Atoms
	}
	// Parameters per linear layer: (in+1)·out, twice that when noisy.
	perWeight := 1
	if s.Sigma0 > 0 {
		perWeight = 2
	}
	streams := 1
	if s.Kind == "dueling_categorical" {
		streams = 2
	}
	var n int
	if s.Hidden == 0 {
		n, ok = mulBounded(fanIn+1, outs)
	} else {
		n, ok = mulBounded(fanIn+1, streams*s.Hidden)
		if m, ok2 := mulBounded(s.Hidden+1, outs); ok && ok2 {
			n += m
		} else {
			ok = false
		}
	}
	if !ok || n > maxParams/perWeight {
		return layerSize{}, fmt.Errorf("%s head on %d features with hidden %d has too many weights", s.Kind, fanIn, s.Hidden)
	}
	// Noise buffers: ε_in and ε_out of each noisy linear layer.
	buffers := 0
	if s.Sigma0 > 0 {
		if s.Hidden == 0 {
			buffers = streams*fanIn + outs
		} else {
			buffers = streams*(fanIn+s.Hidden) + streams*s.Hidden + outs
		}
	}
	return layerSize{out: []int{s.Units, s.Atoms}, params: perWeight * n, buffers: buffers}, nil
}

// checkSigma0 checks σ₀: finite and > 0, or 0 when zero means "not noisy".
func checkSigma0(sigma0 float64, zeroOK bool) error {
	if zeroOK && sigma0 == 0 {
		return nil
	}
	if !(sigma0 > 0) || sigma0 > 1e6 {
		return fmt.Errorf("sigma0 must be in (0, 1e6] (Fortunato et al. use 0.5), got %v", sigma0)
	}
	return nil
}
