package net

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// NoisyDenseLayer is the factorised-Gaussian noisy linear layer of Fortunato
// et al., "Noisy Networks for Exploration" (2018), eq. (9)–(11), as in Rainbow:
//
//	W = μ_W + σ_W ⊙ (ε_out ⊗ ε_in)    (Out,In)
//	b = μ_b + σ_b ⊙ ε_out              (Out)
//	y = x·Wᵀ + b                       x (B,In) -> y (B,Out)
//
// with ε_in (In) and ε_out (Out) drawn as f(ε), ε ~ N(0, 1), f(x) = sgn(x)·√|x|.
// The noise stays fixed until ResampleNoise draws a new one (the agent
// resamples before acting at every step and before every update, as the
// paper's Algorithm 1); it does not change inside Forward, so that a batch
// sees one W. With the noise off (SetNoise(false), or evaluation mode after
// Sequential.SetTraining(false)) the layer uses the mean weights W = μ_W,
// b = μ_b: acting with the noise off is the greedy policy for evaluation.
//
// Initialisation (p = In): μ_W, μ_b ~ U(−1/√p, 1/√p) (the "torch" initialiser;
// another Init draws μ instead), σ_W = σ_b = σ₀/√p, σ₀ = Sigma0 (0.5 in the
// paper), then a first noise draw from the same generator.
//
// W is never formed: with x̃ = x ⊙ ε_in (each row) and δ̃ = δ ⊙ ε_out,
//
//	y = x·μ_Wᵀ + μ_b + ε_out ⊙ (x̃·σ_Wᵀ + σ_b)
//
// and Backward, given δ = ∂L/∂y (B,Out), is
//
//	∂L/∂μ_W += δᵀ·x,  ∂L/∂σ_W += δ̃ᵀ·x̃        (= G ⊙ (ε_out ⊗ ε_in), G = δᵀ·x)
//	∂L/∂μ_b += Σ_batch δ,  ∂L/∂σ_b += Σ_batch δ̃
//	∂L/∂x = δ·μ_W + (δ̃·σ_W) ⊙ ε_in            (= δ·W)
//
// so that each pass is two matrix products of the layer's size and a few
// row scalings, instead of an element-wise sweep over the Out·In weights
// (which costs more than the product itself at batch 1, when acting). The
// results equal the formed-W ones up to rounding (TestNoisyForward,
// TestNoisyGradients). Backward uses the noise of the last Forward (none if
// it was off), which Forward keeps with x and x̃.
//
// The noise factors are buffers ("epsilon_in", "epsilon_out"): Clone and
// CopyFrom copy them and checkpoints store them, so a resumed run starts from
// the very noise it was saved with; draws after that come from the caller's
// generator, whose state the caller saves (net saves no generator).
// Parameters are named as Kaixhin's Rainbow NoisyLinear: "weight_mu",
// "weight_sigma", "bias_mu", "bias_sigma".
type NoisyDenseLayer[T Float] struct {
	In, Out int
	// Sigma0 is σ₀ of the initial σ = σ₀/√In.
	Sigma0 float64
	// WMu and WSigma are μ_W and σ_W, (Out, In) row-major as DenseLayer.W.
	WMu, WSigma *Param[T]
	// BMu and BSigma are μ_b and σ_b, (Out).
	BMu, BSigma *Param[T]
	// EpsIn (In) and EpsOut (Out) are the current noise factors.
	EpsIn, EpsOut *Buffer[T]

	init      string
	off       bool       // noise off: mean weights
	noisy     bool       // the last Forward had the noise on
	x         *Tensor[T] // last input
	ein, eout []T        // the noise of the last Forward
	xe        []T        // x̃ = x ⊙ ε_in of the last Forward (B,In)
	s         []T        // x̃·σ_Wᵀ, then δ̃ (B,Out)
	y, dx     *Tensor[T]
}

// NoisyDense returns the spec of a factorised-Gaussian noisy linear layer with
// the given output width and σ₀ = 0.5 (Fortunato et al.). Set Sigma0 for
// another σ₀ (> 0).
func NoisyDense(units int) LayerSpec {
	return LayerSpec{Kind: "noisy_dense", Units: units, Sigma0: 0.5}
}

// newNoisyDense makes a noisy layer whose parameters and buffers are named
// prefix+"weight_mu" etc.
func newNoisyDense[T Float](prefix string, in, out int, sigma0 float64, init string) *NoisyDenseLayer[T] {
	return &NoisyDenseLayer[T]{
		In: in, Out: out, Sigma0: sigma0, init: init,
		WMu:    newParam[T](prefix+"weight_mu", out, in),
		WSigma: newParam[T](prefix+"weight_sigma", out, in),
		BMu:    newParam[T](prefix+"bias_mu", out),
		BSigma: newParam[T](prefix+"bias_sigma", out),
		EpsIn:  &Buffer[T]{Name: prefix + "epsilon_in", Value: New[T](in)},
		EpsOut: &Buffer[T]{Name: prefix + "epsilon_out", Value: New[T](out)},
	}
}

// initWeights draws μ from the initialiser, sets σ = σ₀/√In and draws the
// first noise, all from rng; a nil rng leaves everything at zero.
func (d *NoisyDenseLayer[T]) initWeights(rng *rand.Rand) {
	if rng == nil {
		return
	}
	init, _ := initializer(d.init)
	init.initDense(d.WMu.Value.Data, d.BMu.Value.Data, d.In, d.Out, rng)
	s := T(d.Sigma0 / math.Sqrt(float64(d.In)))
	for i := range d.WSigma.Value.Data {
		d.WSigma.Value.Data[i] = s
	}
	for i := range d.BSigma.Value.Data {
		d.BSigma.Value.Data[i] = s
	}
	d.ResampleNoise(rng)
}

// noiseF is f(x) = sgn(x)·√|x|.
func noiseF(x float64) float64 { return math.Copysign(math.Sqrt(math.Abs(x)), x) }

// ResampleNoise draws new factors from rng: ε_in (In values), then ε_out
// (Out values), each f(N(0,1)).
func (d *NoisyDenseLayer[T]) ResampleNoise(rng *rand.Rand) {
	for i := range d.EpsIn.Value.Data {
		d.EpsIn.Value.Data[i] = T(noiseF(rng.NormFloat64()))
	}
	for i := range d.EpsOut.Value.Data {
		d.EpsOut.Value.Data[i] = T(noiseF(rng.NormFloat64()))
	}
}

// SetNoise switches the noise on (the default) or off (mean weights μ).
// Sequential.SetTraining sets it too: on in training mode, off in evaluation
// mode; the last call wins.
func (d *NoisyDenseLayer[T]) SetNoise(on bool) { d.off = !on }

// Noise reports whether the noise is on.
func (d *NoisyDenseLayer[T]) Noise() bool { return !d.off }

func (d *NoisyDenseLayer[T]) setTraining(on bool) { d.SetNoise(on) }

// Forward returns y = x·Wᵀ + b with W and b from the current noise (μ_W and
// μ_b with the noise off), in the factored form of the type's comment.
func (d *NoisyDenseLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	bs, in := batchOf(x)
	if in != d.In {
		panic(fmt.Sprintf("net: noisy dense layer %s: input %v has %d features per sample, want %d", d.WMu.Name, x.Shape, in, d.In))
	}
	d.x = x
	d.noisy = !d.off
	d.y = reuse(d.y, bs, d.Out)
	y := d.y.Data
	affine(Float32, y, x.Data, d.WMu.Value.Data, d.BMu.Value.Data, bs, d.In, d.Out)
	if !d.noisy {
		return d.y
	}
	d.ein = append(d.ein[:0], d.EpsIn.Value.Data...)
	d.eout = append(d.eout[:0], d.EpsOut.Value.Data...)
	d.xe = scaleRows(d.xe, x.Data, d.ein, bs)
	d.s = grow(d.s, bs*d.Out)
	affine(Float32, d.s, d.xe, d.WSigma.Value.Data, d.BSigma.Value.Data, bs, d.In, d.Out)
	for r := 0; r < bs; r++ {
		yr, sr := y[r*d.Out:(r+1)*d.Out], d.s[r*d.Out:(r+1)*d.Out]
		for o, eo := range d.eout {
			yr[o] += eo * sr[o]
		}
	}
	return d.y
}

// scaleRows returns dst (reused) holding each of the bs rows of x multiplied
// element-wise by e; dst may be x.
func scaleRows[T Float](dst, x, e []T, bs int) []T {
	n := len(e)
	dst = grow(dst, bs*n)
	for r := 0; r < bs; r++ {
		xr, dr := x[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		for i, ei := range e {
			dr[i] = xr[i] * ei
		}
	}
	return dst
}

// Backward accumulates the gradients of μ and σ and returns ∂L/∂x in the
// input's shape.
func (d *NoisyDenseLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	d.backwardParams(dy)
	bs := d.x.Shape[0]
	d.dx = reuse(d.dx, d.x.Shape...)
	dx := d.dx.Data
	if !d.noisy {
		gemm(false, false, bs, d.In, d.Out, 1, dy.Data, d.Out, d.WMu.Value.Data, d.In, 0, dx, d.In)
		return d.dx
	}
	// dx = (δ̃·σ_W) ⊙ ε_in + δ·μ_W, δ̃ left in d.s by backwardParams.
	gemm(false, false, bs, d.In, d.Out, 1, d.s, d.Out, d.WSigma.Value.Data, d.In, 0, dx, d.In)
	scaleRows(dx, dx, d.ein, bs)
	gemm(false, false, bs, d.In, d.Out, 1, dy.Data, d.Out, d.WMu.Value.Data, d.In, 1, dx, d.In)
	return d.dx
}

// backwardParams accumulates the gradients of μ and σ only (and leaves δ̃ in
// d.s for Backward).
func (d *NoisyDenseLayer[T]) backwardParams(dy *Tensor[T]) {
	if d.x == nil {
		panic("net: noisy dense layer " + d.WMu.Name + ": Backward before Forward")
	}
	bs := d.x.Shape[0]
	if len(dy.Data) != bs*d.Out {
		panic(fmt.Sprintf("net: noisy dense layer %s: gradient %v does not match output (%d,%d)", d.WMu.Name, dy.Shape, bs, d.Out))
	}
	affineGrad(Float32, d.WMu.Grad.Data, d.BMu.Grad.Data, dy.Data, d.x.Data, bs, d.In, d.Out)
	if !d.noisy {
		return // ε = 0: no gradient reaches σ
	}
	d.s = scaleRows(d.s, dy.Data, d.eout, bs)
	affineGrad(Float32, d.WSigma.Grad.Data, d.BSigma.Grad.Data, d.s, d.xe, bs, d.In, d.Out)
}

// Params returns μ_W, σ_W, μ_b, σ_b.
func (d *NoisyDenseLayer[T]) Params() []*Param[T] {
	return []*Param[T]{d.WMu, d.WSigma, d.BMu, d.BSigma}
}

// Buffers returns the noise factors ε_in, ε_out.
func (d *NoisyDenseLayer[T]) Buffers() []*Buffer[T] { return []*Buffer[T]{d.EpsIn, d.EpsOut} }

// Spec describes the layer.
func (d *NoisyDenseLayer[T]) Spec() LayerSpec {
	return LayerSpec{Kind: "noisy_dense", Units: d.Out, Sigma0: d.Sigma0, Init: d.init}
}

// noisyLayer is a layer with noise to resample or switch off (a noisy dense
// layer, or a head built of them).
type noisyLayer interface {
	ResampleNoise(rng *rand.Rand)
	SetNoise(on bool)
	hasNoise() bool
}

func (d *NoisyDenseLayer[T]) hasNoise() bool { return true }

// ResampleNoise draws new noise for every noisy layer of the model, in layer
// order, from rng. Call it before acting and before each update (Fortunato et
// al.); between a Forward and its Backward it would make Backward use stale
// noise for nothing (Backward uses the noise of its Forward).
func (m *Sequential[T]) ResampleNoise(rng *rand.Rand) {
	for _, l := range m.Layers {
		if n, ok := l.(noisyLayer); ok {
			n.ResampleNoise(rng)
		}
	}
}

// SetNoise switches the noise of every noisy layer on or off (mean weights,
// for evaluation) without touching the mode of other layers (dropout, batch
// normalisation).
func (m *Sequential[T]) SetNoise(on bool) {
	for _, l := range m.Layers {
		if n, ok := l.(noisyLayer); ok {
			n.SetNoise(on)
		}
	}
}

// HasNoise reports whether the model has noisy layers.
func (m *Sequential[T]) HasNoise() bool {
	for _, l := range m.Layers {
		if n, ok := l.(noisyLayer); ok && n.hasNoise() {
			return true
		}
	}
	return false
}

// inferNoisyDense checks a noisy_dense spec for fanIn input features.
func (s LayerSpec) inferNoisyDense(fanIn int) (layerSize, error) {
	if s.Units < 1 || s.Units > maxWidth {
		return layerSize{}, fmt.Errorf("units must be in [1, %d], got %d", maxWidth, s.Units)
	}
	if err := checkSigma0(s.Sigma0, false); err != nil {
		return layerSize{}, err
	}
	if _, err := initializer(s.Init); err != nil {
		return layerSize{}, err
	}
	n, ok := mulBounded(fanIn+1, s.Units)
	if !ok || n > maxParams/2 {
		return layerSize{}, fmt.Errorf("%d×%d noisy weights are too many", s.Units, fanIn)
	}
	return layerSize{out: []int{s.Units}, params: 2 * n, buffers: fanIn + s.Units}, nil
}
