package net

import (
	"fmt"
	"math/rand/v2"
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

// LayerSpec describes a layer: its kind and the hyperparameters of that kind.
// Input sizes are not part of it; Build infers them from the model's input
// shape. It is what checkpoints store as a model's architecture.
type LayerSpec struct {
	// Kind is one of "dense", "relu", "sigmoid".
	Kind string `json:"kind"`
	// Units is the output width of a dense layer.
	Units int `json:"units,omitempty"`
	// Init names the weight initialiser of a layer with weights ("torch" for
	// PyTorch's default when empty); see Initializers.
	Init string `json:"init,omitempty"`
}

// Dense returns the spec of a fully connected layer with the given output width.
func Dense(units int) LayerSpec { return LayerSpec{Kind: "dense", Units: units} }

// ReLU returns the spec of a rectified linear activation.
func ReLU() LayerSpec { return LayerSpec{Kind: "relu"} }

// Sigmoid returns the spec of a logistic activation.
func Sigmoid() LayerSpec { return LayerSpec{Kind: "sigmoid"} }

// MLP returns the specs of a multilayer perceptron: a dense layer and a ReLU
// for each hidden width, then a dense output layer of out units.
func MLP(hidden []int, out int) []LayerSpec {
	var s []LayerSpec
	for _, h := range hidden {
		s = append(s, Dense(h), ReLU())
	}
	return append(s, Dense(out))
}

// infer checks s against the per-sample input shape in and returns the
// per-sample output shape and the number of parameters, without allocating
// the layer. Decoders use it to bound what a file may make them allocate.
func (s LayerSpec) infer(in []int) (out []int, nparams int, err error) {
	switch s.Kind {
	case "dense":
		if s.Units < 1 || s.Units > maxWidth {
			return nil, 0, fmt.Errorf("units must be in [1, %d], got %d", maxWidth, s.Units)
		}
		if _, err := initializer(s.Init); err != nil {
			return nil, 0, err
		}
		fanIn := numel(in)
		return []int{s.Units}, (fanIn + 1) * s.Units, nil
	case "relu", "sigmoid":
		if s.Units != 0 || s.Init != "" {
			return nil, 0, fmt.Errorf("%s takes no units or init", s.Kind)
		}
		return in, 0, nil
	}
	return nil, 0, fmt.Errorf("unknown kind %q", s.Kind)
}

// maxWidth bounds any one dimension a spec may ask for.
const maxWidth = 1 << 24

// buildLayer makes the layer of spec s for per-sample input shape in, named by
// its index i. Weights are initialised from rng; rng may be nil when the
// weights will be overwritten.
func buildLayer[T Float](s LayerSpec, i int, in []int, rng *rand.Rand) (Layer[T], []int, error) {
	out, _, err := s.infer(in)
	if err != nil {
		return nil, nil, fmt.Errorf("net: layer %d (%s): %w", i, s.Kind, err)
	}
	switch s.Kind {
	case "dense":
		d := newDense[T](i, numel(in), s.Units)
		d.init = s.Init
		if rng != nil {
			init, _ := initializer(s.Init)
			init.initDense(d.W.Value.Data, d.B.Value.Data, d.In, d.Out, rng)
		}
		return d, out, nil
	case "relu":
		return &ReLULayer[T]{}, out, nil
	case "sigmoid":
		return &SigmoidLayer[T]{}, out, nil
	}
	panic("net: unreachable: kind " + s.Kind)
}

// CountParams returns the number of parameters a model of these specs would
// have for inputs of shape in, checking the specs without allocating.
func CountParams(in []int, specs []LayerSpec) (int, error) {
	if err := checkInShape(in); err != nil {
		return 0, err
	}
	total := 0
	shape := in
	for i, s := range specs {
		out, n, err := s.infer(shape)
		if err != nil {
			return 0, fmt.Errorf("net: layer %d (%s): %w", i, s.Kind, err)
		}
		total += n
		if total > maxParams {
			return 0, fmt.Errorf("net: more than %d parameters", maxParams)
		}
		shape = out
	}
	return total, nil
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
		if n > maxWidth*16 {
			return fmt.Errorf("net: input shape %v is too large", in)
		}
	}
	return nil
}
