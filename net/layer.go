package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Layer is one differentiable stage of a network, working on a batch.
//
// Forward computes the output for x (B, ...) and keeps what Backward needs (its
// doc says what). Backward takes δ = ∂L/∂y for that output, adds ∂L/∂θ into the
// Grad of each parameter (accumulating: gradients sum until ZeroGrad), and
// returns ∂L/∂x. Outputs and input gradients live in buffers the layer owns and
// reuses: they are valid until the next call of the same method. The input of
// Forward must not be changed before Backward.
type Layer[T Float] interface {
	Forward(x *Tensor[T]) *Tensor[T]
	Backward(dy *Tensor[T]) *Tensor[T]
	// Params returns the layer's parameters, in a fixed order (nil if none).
	Params() []*Param[T]
	// Spec describes the layer so that Build can make it again.
	Spec() LayerSpec
}

// Param is a trainable tensor and the gradient accumulated for it.
type Param[T Float] struct {
	// Name identifies the parameter in a model, e.g. "0.weight" (PyTorch's
	// state-dict naming: layer index, then the parameter).
	Name  string
	Value *Tensor[T]
	// Grad has Value's shape and holds Σ ∂L/∂Value since the last ZeroGrad.
	Grad *Tensor[T]
}

func newParam[T Float](name string, shape ...int) *Param[T] {
	return &Param[T]{Name: name, Value: New[T](shape...), Grad: New[T](shape...)}
}

// Buffer is state a layer keeps that is not trained by gradients but belongs
// to the model, e.g. BatchNorm's running statistics: it is copied by Clone and
// CopyFrom and stored in checkpoints, as PyTorch's registered buffers.
type Buffer[T Float] struct {
	// Name is PyTorch's state-dict name, e.g. "1.running_mean".
	Name  string
	Value *Tensor[T]
}

// Optional layer behaviours, found by type assertion.
type (
	// buffered is a layer with buffers.
	buffered[T Float] interface{ Buffers() []*Buffer[T] }
	// modal is a layer that behaves differently in training and evaluation.
	modal interface{ setTraining(on bool) }
	// paramBackwarder accumulates the parameter gradients of Backward without
	// computing ∂L/∂x, for the first layer of a model whose input needs no
	// gradient (PyTorch skips that work the same way).
	paramBackwarder[T Float] interface{ backwardParams(dy *Tensor[T]) }
	// reluHolder is a layer that contains ReLUs (for the dead-unit measure).
	reluHolder[T Float] interface{ relus() []*ReLULayer[T] }
)

// LayerSpec describes a layer: its kind and the hyperparameters of that kind.
// Input sizes are not part of it; Build infers them from the model's input
// shape. It is what checkpoints store as a model's architecture, and it is a
// comparable value (==). Fields that a kind does not use must be zero; each
// kind's constructor (Dense, Conv2D, BatchNorm, ...) documents its fields.
//
// Dimensions (Dim) count as in PyTorch, with the batch as dimension 0 of the
// full (B, ...) tensor; negative values count from the end (−1 is the last).
type LayerSpec struct {
	// Kind is one of "dense", "conv2d", "conv3d", "flatten", "relu",
	// "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
	// "layer_norm", "batch_norm", "dueling", "noisy_dense", "categorical",
	// "dueling_categorical", "cosine_embedding", "multi_head", "lstm" (only
	// in a Recurrent model).
	Kind string `json:"kind"`
	// Units is the output width of a dense layer, the number of actions of
	// a dueling head, or the hidden width H of an LSTM.
	Units int `json:"units,omitempty"`
	// Hidden is the width of the hidden layer of each stream of a dueling head
	// (0: each stream is a single linear layer).
	Hidden int `json:"hidden,omitempty"`
	// Channels is the number of output channels of a convolution.
	Channels int `json:"channels,omitempty"`
	// KernelD, KernelH, KernelW are a convolution's kernel depth (conv3d only),
	// height and width.
	KernelD int `json:"kernel_d,omitempty"`
	KernelH int `json:"kernel_h,omitempty"`
	KernelW int `json:"kernel_w,omitempty"`
	// StrideD, StrideH, StrideW are a convolution's strides (≥ 1).
	StrideD int `json:"stride_d,omitempty"`
	StrideH int `json:"stride_h,omitempty"`
	StrideW int `json:"stride_w,omitempty"`
	// PadD, PadH, PadW are a convolution's zero paddings on each side, at most
	// half the kernel size as in PyTorch.
	PadD int `json:"pad_d,omitempty"`
	PadH int `json:"pad_h,omitempty"`
	PadW int `json:"pad_w,omitempty"`
	// Dim is the dimension softmax and log_softmax work along, or the first
	// dimension a layer_norm normalises over (it normalises Dim … last).
	Dim int `json:"dim,omitempty"`
	// Slope is the negative slope of a leaky_relu.
	Slope float64 `json:"slope,omitempty"`
	// Rate is the probability p that dropout zeroes an element.
	Rate float64 `json:"rate,omitempty"`
	// Eps is the ε added to the variance of a layer_norm or batch_norm.
	Eps float64 `json:"eps,omitempty"`
	// Momentum is batch_norm's running-statistics momentum m:
	// running ← (1−m)·running + m·batch.
	Momentum float64 `json:"momentum,omitempty"`
	// NoAffine drops the learnable scale γ and shift β of a layer_norm or
	// batch_norm (PyTorch's elementwise_affine=False / affine=False).
	NoAffine bool `json:"no_affine,omitempty"`
	// Init names the weight initialiser of a layer with weights (dense, conv,
	// dueling); "" means "torch", PyTorch's default. See Initializers.
	Init string `json:"init,omitempty"`
	// Atoms is the number of atoms of a categorical (C51) head's support.
	Atoms int `json:"atoms,omitempty"`
	// Sigma0 is σ₀ of a noisy layer's initial σ = σ₀/√fanIn (NoisyNet's 0.5);
	// on a categorical head, > 0 makes its linear layers noisy.
	Sigma0 float64 `json:"sigma0,omitempty"`
	// Heads is the number K of heads of a multi_head layer (Bootstrapped DQN).
	Heads int `json:"heads,omitempty"`
}

// Dense returns the spec of a fully connected layer with the given output
// width (PyTorch's Linear). Its input is flattened.
func Dense(units int) LayerSpec { return LayerSpec{Kind: "dense", Units: units} }

// Conv2D returns the spec of a 2-D convolution (PyTorch's Conv2d) with a
// square k×k kernel, stride s and zero padding p, mapping (C, H, W) to
// (channels, ⌊(H+2p−k)/s⌋+1, ⌊(W+2p−k)/s⌋+1). Set KernelH/KernelW etc. for
// rectangular geometry.
func Conv2D(channels, k, s, p int) LayerSpec {
	return LayerSpec{Kind: "conv2d", Channels: channels, KernelH: k, KernelW: k, StrideH: s, StrideW: s, PadH: p, PadW: p}
}

// Conv3D returns the spec of a 3-D convolution (PyTorch's Conv3d) with a
// cubic k×k×k kernel, stride s and padding p, mapping (C, D, H, W) to
// (channels, D′, H′, W′), each ⌊(n+2p−k)/s⌋+1.
func Conv3D(channels, k, s, p int) LayerSpec {
	return LayerSpec{Kind: "conv3d", Channels: channels, KernelD: k, KernelH: k, KernelW: k,
		StrideD: s, StrideH: s, StrideW: s, PadD: p, PadH: p, PadW: p}
}

// Flatten returns the spec of a layer that reshapes (B, d₁, …, dₙ) to
// (B, d₁⋯dₙ) (PyTorch's Flatten).
func Flatten() LayerSpec { return LayerSpec{Kind: "flatten"} }

// ReLU returns the spec of a rectified linear activation.
func ReLU() LayerSpec { return LayerSpec{Kind: "relu"} }

// LeakyReLU returns the spec of max(x, 0) + slope·min(x, 0) (PyTorch's
// default slope is 0.01).
func LeakyReLU(slope float64) LayerSpec { return LayerSpec{Kind: "leaky_relu", Slope: slope} }

// Sigmoid returns the spec of a logistic activation.
func Sigmoid() LayerSpec { return LayerSpec{Kind: "sigmoid"} }

// Tanh returns the spec of a hyperbolic-tangent activation.
func Tanh() LayerSpec { return LayerSpec{Kind: "tanh"} }

// Softmax returns the spec of a softmax along dimension dim (e.g. −1).
func Softmax(dim int) LayerSpec { return LayerSpec{Kind: "softmax", Dim: dim} }

// LogSoftmax returns the spec of a log-softmax along dimension dim.
func LogSoftmax(dim int) LayerSpec { return LayerSpec{Kind: "log_softmax", Dim: dim} }

// Dropout returns the spec of dropout with drop probability p in [0, 1).
func Dropout(p float64) LayerSpec { return LayerSpec{Kind: "dropout", Rate: p} }

// LayerNorm returns the spec of an affine layer normalisation over the
// dimensions dim … last of each sample (dim −1: the last one), with ε = 1e-5
// as PyTorch's LayerNorm.
func LayerNorm(dim int) LayerSpec { return LayerSpec{Kind: "layer_norm", Dim: dim, Eps: 1e-5} }

// BatchNorm returns the spec of an affine batch normalisation over dimension 1
// (features of (B, F), channels of (B, C, …)), with PyTorch's defaults
// ε = 1e-5 and momentum 0.1. It serves as BatchNorm1d, 2d and 3d.
func BatchNorm() LayerSpec { return LayerSpec{Kind: "batch_norm", Eps: 1e-5, Momentum: 0.1} }

// Dueling returns the spec of a dueling head (Wang et al. 2016) for the given
// number of actions: a value stream V (B,1) and an advantage stream A (B,
// actions) from the same (flattened) features, combined as
// Q = V + A − mean(A). With hidden > 0 each stream is Linear → ReLU → Linear
// with a hidden layer of that width, as in the paper's heads; with hidden = 0
// each is one linear layer.
func Dueling(actions, hidden int) LayerSpec {
	return LayerSpec{Kind: "dueling", Units: actions, Hidden: hidden}
}

// kinds maps each kind to the LayerSpec fields (by JSON name) it uses.
var kinds = map[string][]string{
	"dense":       {"units", "init"},
	"conv2d":      {"channels", "kernel_h", "kernel_w", "stride_h", "stride_w", "pad_h", "pad_w", "init"},
	"conv3d":      {"channels", "kernel_d", "kernel_h", "kernel_w", "stride_d", "stride_h", "stride_w", "pad_d", "pad_h", "pad_w", "init"},
	"flatten":     nil,
	"relu":        nil,
	"leaky_relu":  {"slope"},
	"sigmoid":     nil,
	"tanh":        nil,
	"softmax":     {"dim"},
	"log_softmax": {"dim"},
	"dropout":     {"rate"},
	"layer_norm":  {"dim", "eps", "no_affine"},
	"batch_norm":  {"eps", "momentum", "no_affine"},
	"dueling":     {"units", "hidden", "init"},

	"noisy_dense":         {"units", "sigma0", "init"},
	"categorical":         {"units", "atoms", "hidden", "sigma0", "init"},
	"dueling_categorical": {"units", "atoms", "hidden", "sigma0", "init"},
	"cosine_embedding":    {"units", "init"},
	"multi_head":          {"heads", "units", "hidden", "init"},
	"lstm":                {"units", "init"},
}

// Kinds returns the layer kinds Build knows, sorted.
func Kinds() []string {
	ks := make([]string, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// checkFields returns an error naming any field that is set but not used by
// s.Kind.
func (s LayerSpec) checkFields() error {
	used, ok := kinds[s.Kind]
	if !ok {
		return fmt.Errorf("unknown kind %q (available: %s)", s.Kind, strings.Join(Kinds(), ", "))
	}
	v := reflect.ValueOf(s)
	var extra []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "kind" || v.Field(i).IsZero() || contains(used, name) {
			continue
		}
		extra = append(extra, name)
	}
	if extra != nil {
		return fmt.Errorf("%s takes no %s", s.Kind, strings.Join(extra, ", "))
	}
	return nil
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// layerSize is what infer reports about a layer: its per-sample output shape,
// its number of parameters and of buffer elements.
type layerSize struct {
	out             []int
	params, buffers int
}

// infer checks s against the per-sample input shape in and returns the
// per-sample output shape and the numbers of parameters and buffer elements,
// without allocating the layer. Decoders use it to bound what a file may make
// them allocate, so every product is checked against overflow.
func (s LayerSpec) infer(in []int) (layerSize, error) {
	if err := s.checkFields(); err != nil {
		return layerSize{}, err
	}
	fanIn := numel(in)
	switch s.Kind {
	case "dense":
		if s.Units < 1 || s.Units > maxWidth {
			return layerSize{}, fmt.Errorf("units must be in [1, %d], got %d", maxWidth, s.Units)
		}
		if _, err := initializer(s.Init); err != nil {
			return layerSize{}, err
		}
		n, ok := mulBounded(fanIn+1, s.Units)
		if !ok {
			return layerSize{}, fmt.Errorf("%d×%d weights are too many", s.Units, fanIn)
		}
		return layerSize{out: []int{s.Units}, params: n}, nil
	case "conv2d", "conv3d":
		return s.inferConv(in)
	case "flatten":
		return layerSize{out: []int{fanIn}}, nil
	case "relu", "sigmoid", "tanh":
		return layerSize{out: in}, nil
	case "leaky_relu":
		if math.IsNaN(s.Slope) || math.IsInf(s.Slope, 0) {
			return layerSize{}, fmt.Errorf("slope must be finite, got %v", s.Slope)
		}
		return layerSize{out: in}, nil
	case "softmax", "log_softmax":
		if _, err := sampleDim(s.Dim, len(in)); err != nil {
			return layerSize{}, err
		}
		return layerSize{out: in}, nil
	case "dropout":
		if !(s.Rate >= 0 && s.Rate < 1) {
			return layerSize{}, fmt.Errorf("rate must be in [0, 1), got %v", s.Rate)
		}
		return layerSize{out: in}, nil
	case "layer_norm":
		d, err := sampleDim(s.Dim, len(in))
		if err != nil {
			return layerSize{}, err
		}
		if err := checkEps(s.Eps); err != nil {
			return layerSize{}, err
		}
		p := 0
		if !s.NoAffine {
			p = 2 * numel(in[d-1:])
		}
		return layerSize{out: in, params: p}, nil
	case "batch_norm":
		if len(in) > 4 {
			return layerSize{}, fmt.Errorf("input (C, …) of %d dimensions, at most 4 (C, D, H, W)", len(in))
		}
		if err := checkEps(s.Eps); err != nil {
			return layerSize{}, err
		}
		if !(s.Momentum >= 0 && s.Momentum <= 1) {
			return layerSize{}, fmt.Errorf("momentum must be in [0, 1], got %v", s.Momentum)
		}
		c, p := in[0], 0
		if !s.NoAffine {
			p = 2 * c
		}
		return layerSize{out: in, params: p, buffers: 2 * c}, nil
	case "dueling":
		if s.Units < 1 || s.Units > maxWidth {
			return layerSize{}, fmt.Errorf("units (actions) must be in [1, %d], got %d", maxWidth, s.Units)
		}
		if s.Hidden < 0 || s.Hidden > maxWidth {
			return layerSize{}, fmt.Errorf("hidden must be in [0, %d], got %d", maxWidth, s.Hidden)
		}
		if _, err := initializer(s.Init); err != nil {
			return layerSize{}, err
		}
		var n int
		var ok bool
		if s.Hidden == 0 {
			n, ok = mulBounded(fanIn+1, 1+s.Units)
		} else {
			n, ok = mulBounded(fanIn+1, 2*s.Hidden)
			n += (s.Hidden + 1) * (1 + s.Units)
		}
		if !ok || n > maxParams {
			return layerSize{}, fmt.Errorf("dueling head on %d features with hidden %d has too many weights", fanIn, s.Hidden)
		}
		return layerSize{out: []int{s.Units}, params: n}, nil
	case "noisy_dense":
		return s.inferNoisyDense(fanIn)
	case "categorical", "dueling_categorical":
		return s.inferCategorical(fanIn)
	case "cosine_embedding":
		return s.inferCosineEmbedding(fanIn)
	case "multi_head":
		return s.inferMultiHead(fanIn)
	case "lstm":
		if s.Units < 1 || s.Units > maxWidth {
			return layerSize{}, fmt.Errorf("units (hidden width) must be in [1, %d], got %d", maxWidth, s.Units)
		}
		if _, err := initializer(s.Init); err != nil {
			return layerSize{}, err
		}
		// 4H·In + 4H·H + 2·4H
		n, ok := mulBounded(fanIn+s.Units+2, 4*s.Units)
		if !ok {
			return layerSize{}, fmt.Errorf("an LSTM of %d units on %d features has too many weights", s.Units, fanIn)
		}
		return layerSize{out: []int{s.Units}, params: n}, nil
	}
	panic("net: unreachable: kind " + s.Kind)
}

func checkEps(eps float64) error {
	if !(eps > 0) || math.IsInf(eps, 0) {
		return fmt.Errorf("eps must be > 0 (PyTorch uses 1e-5), got %v", eps)
	}
	return nil
}

// sampleDim resolves a PyTorch dimension (0 = batch, negative from the end) of
// a (B, …) tensor whose samples have rank r to an index in [1, r].
func sampleDim(dim, r int) (int, error) {
	d := dim
	if d < 0 {
		d += r + 1
	}
	if d < 1 || d > r {
		return 0, fmt.Errorf("dim %d is not a sample dimension of a (B, …) tensor of rank %d (use 1 … %d or −%d … −1)", dim, r+1, r, r)
	}
	return d, nil
}

// mulBounded returns a·b and whether it is at most maxParams (a, b ≥ 0).
func mulBounded(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a != 0 && b > maxParams/a {
		return 0, false
	}
	return a * b, true
}

// maxWidth bounds any one dimension a spec may ask for.
const maxWidth = 1 << 24

// maxSample bounds the elements of one sample's activations at any layer.
const maxSample = maxWidth * 16

// buildLayer makes the layer of spec s for per-sample input shape in, named by
// its index i. Weights are initialised from rng; rng may be nil when the
// weights will be overwritten.
func buildLayer[T Float](s LayerSpec, i int, in []int, rng *rand.Rand) (Layer[T], []int, error) {
	size, err := s.infer(in)
	if err != nil {
		return nil, nil, fmt.Errorf("net: layer %d (%s): %w", i, s.Kind, err)
	}
	prefix := strconv.Itoa(i) + "."
	switch s.Kind {
	case "dense":
		d := newDense[T](prefix, numel(in), s.Units)
		d.init = s.Init
		d.initWeights(rng)
		return d, size.out, nil
	case "conv2d", "conv3d":
		c := newConv[T](prefix, s, in)
		c.initWeights(rng)
		return c, size.out, nil
	case "flatten":
		return &FlattenLayer[T]{}, size.out, nil
	case "relu":
		return &ReLULayer[T]{}, size.out, nil
	case "leaky_relu":
		return &LeakyReLULayer[T]{Slope: s.Slope}, size.out, nil
	case "sigmoid":
		return &SigmoidLayer[T]{}, size.out, nil
	case "tanh":
		return &TanhLayer[T]{}, size.out, nil
	case "softmax", "log_softmax":
		d, _ := sampleDim(s.Dim, len(in))
		return &SoftmaxLayer[T]{Dim: s.Dim, dim: d, Log: s.Kind == "log_softmax"}, size.out, nil
	case "dropout":
		seed := uint64(i) + 0x9e3779b97f4a7c15
		if rng != nil {
			seed = rng.Uint64()
		}
		return newDropout[T](s.Rate, seed), size.out, nil
	case "layer_norm":
		return newLayerNorm[T](prefix, s, in), size.out, nil
	case "batch_norm":
		return newBatchNorm[T](prefix, s, in), size.out, nil
	case "dueling":
		d := newDueling[T](prefix, s, numel(in))
		d.initWeights(rng)
		return d, size.out, nil
	case "noisy_dense":
		d := newNoisyDense[T](prefix, numel(in), s.Units, s.Sigma0, s.Init)
		d.initWeights(rng)
		return d, size.out, nil
	case "categorical", "dueling_categorical":
		d := newCategorical[T](prefix, s, numel(in))
		d.initWeights(rng)
		return d, size.out, nil
	case "cosine_embedding":
		e := newCosineEmbedding[T](prefix, s, numel(in))
		e.initWeights(rng)
		return e, size.out, nil
	case "multi_head":
		m := newMultiHead[T](prefix, s, numel(in))
		m.initWeights(rng)
		return m, size.out, nil
	case "lstm":
		l := newLSTM[T](prefix, numel(in), s.Units)
		l.init = s.Init
		l.initWeights(rng)
		return l, size.out, nil
	}
	panic("net: unreachable: kind " + s.Kind)
}

// CountParams returns the number of parameters a model of these specs would
// have for inputs of shape in, checking the specs without allocating.
func CountParams(in []int, specs []LayerSpec) (int, error) {
	p, _, err := sizeOf(in, specs)
	return p, err
}

// sizeOf checks specs for per-sample input shape in and returns the numbers
// of parameters and buffer elements of the model, without allocating it.
func sizeOf(in []int, specs []LayerSpec) (params, buffers int, err error) {
	if err := checkInShape(in); err != nil {
		return 0, 0, err
	}
	shape := in
	for i, s := range specs {
		size, err := s.infer(shape)
		if err != nil {
			return 0, 0, fmt.Errorf("net: layer %d (%s): %w", i, s.Kind, err)
		}
		params += size.params
		buffers += size.buffers
		if params+buffers > maxParams {
			return 0, 0, fmt.Errorf("net: more than %d parameters", maxParams)
		}
		if n := numel(size.out); n > maxSample {
			return 0, 0, fmt.Errorf("net: layer %d (%s): output %v has more than %d elements per sample", i, s.Kind, size.out, maxSample)
		}
		shape = size.out
	}
	return params, buffers, nil
}

// maxParams bounds the size of any model (4 GiB of float32 weights).
const maxParams = 1 << 30

func checkInShape(in []int) error {
	if len(in) == 0 {
		return fmt.Errorf("net: input shape is empty")
	}
	n := 1
	for _, d := range in {
		if d < 1 || d > maxWidth {
			return fmt.Errorf("net: input shape %v: dimensions must be in [1, %d]", in, maxWidth)
		}
		n *= d
		if n > maxSample {
			return fmt.Errorf("net: input shape %v is too large", in)
		}
	}
	return nil
}

// WithInit returns a copy of specs in which every layer with weights (dense,
// convolutions, dueling heads) uses the initialiser called init.
func WithInit(specs []LayerSpec, init string) []LayerSpec {
	out := make([]LayerSpec, len(specs))
	for i, s := range specs {
		if contains(kinds[s.Kind], "init") {
			s.Init = init
		}
		out[i] = s
	}
	return out
}
