package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/deepq/deepq/internal/atomicfile"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/net/onnx/internal/onnxpb"
)

const (
	// Opset is the version of the default ONNX operator set ("ai.onnx") the
	// exported graphs import: 13, of ONNX 1.8 (2020), which runtimes of the
	// years since read; onnx 1.12 knows opsets up to 17.
	Opset = 13
	// IRVersion is the ONNX IR version of the exported files: 7, the one
	// that came with opset 13.
	IRVersion = 7
	// Input is the name of the graph's input, the batch of observations
	// (batch, InShape…), float32.
	Input = "obs"
	// Output is the name of the graph's output, the Q-values (batch,
	// actions), float32.
	Output = "q"
	// BatchDim is the symbolic name of the batch dimension of Input and
	// Output: any batch size runs.
	BatchDim = "batch"
)

// kinds lists the layer kinds Export translates, in net's names: all that
// net.Build makes. A layer of another type is an error.
var kinds = []string{
	"dense", "conv2d", "conv3d", "flatten", "relu", "leaky_relu", "sigmoid", "tanh",
	"softmax", "log_softmax", "dropout", "layer_norm", "batch_norm", "dueling",
}

// Property is a key-value pair stored in the model's metadata_props, e.g.
// {"deepq.env", "MinAtar/Breakout"}.
type Property struct{ Key, Value string }

// Options are what Export writes besides the network.
type Options struct {
	// Name is the graph's name ("" for "deepq").
	Name string
	// Doc is the model's doc_string.
	Doc string
	// Metadata is stored, in order, as the model's metadata_props. Keys must
	// be distinct.
	Metadata []Property
	// ProducerVersion is the model's producer_version (producer_name is
	// "deepq").
	ProducerVersion string
}

// Marshal returns m as a serialized ONNX ModelProto (see the package doc for
// the graph it builds). Every layer kind net.Build makes has a translation;
// a layer of another type (a Layer implemented outside net) is an error
// naming it.
func Marshal(m *net.Sequential[float32], opt Options) ([]byte, error) {
	mp, err := model(m, opt)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(mp)
}

// Export writes m as an ONNX model to w.
func Export(w io.Writer, m *net.Sequential[float32], opt Options) error {
	b, err := Marshal(m, opt)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile writes m as an ONNX model to path, atomically: path holds its
// old content or the whole model, never part of it.
func WriteFile(path string, m *net.Sequential[float32], opt Options) error {
	b, err := Marshal(m, opt)
	if err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("onnx: writing %s: is a directory", path)
	}
	err = atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		// The temporary file's name is of no use to the reader.
		var pe *fs.PathError
		var le *os.LinkError
		if errors.As(err, &pe) {
			err = pe.Err
		} else if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("onnx: writing %s: %w", path, err)
	}
	return nil
}

// model builds the ModelProto of m.
func model(m *net.Sequential[float32], opt Options) (*onnxpb.ModelProto, error) {
	seen := map[string]bool{}
	var meta []*onnxpb.StringStringEntryProto
	for _, p := range opt.Metadata {
		if seen[p.Key] {
			return nil, fmt.Errorf("onnx: metadata key %q given twice", p.Key)
		}
		seen[p.Key] = true
		meta = append(meta, &onnxpb.StringStringEntryProto{Key: p.Key, Value: p.Value})
	}
	name := opt.Name
	if name == "" {
		name = "deepq"
	}
	b := &builder{g: &onnxpb.GraphProto{Name: name}}
	b.g.Input = []*onnxpb.ValueInfoProto{valueInfo(Input, m.InShape)}
	b.g.Output = []*onnxpb.ValueInfoProto{valueInfo(Output, m.OutShape())}
	x, shape := Input, m.InShape
	for i, l := range m.Layers {
		var err error
		if x, shape, err = b.layer(strconv.Itoa(i), l, x, shape); err != nil {
			return nil, err
		}
	}
	if x == Input { // only layers without nodes (dropout)
		b.node(Output, "Identity", []string{x})
	} else {
		b.rename(x, Output)
	}
	return &onnxpb.ModelProto{
		IrVersion:       IRVersion,
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName:    "deepq",
		ProducerVersion: opt.ProducerVersion,
		DocString:       opt.Doc,
		Graph:           b.g,
		MetadataProps:   meta,
	}, nil
}

// valueInfo describes a float32 tensor of shape (batch, per…).
func valueInfo(name string, per []int) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}}}
	for _, d := range per {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: int32(onnxpb.TensorProto_FLOAT),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}},
	}}
}

// builder appends nodes and initializers to a graph. Values are named after
// the layers that make them ("3" for layer 3's output, "6.advantage.0" inside
// a dueling head); initializers keep deepq's (PyTorch's state-dict) parameter
// names, "0.weight", "6.value.2.bias".
type builder struct {
	g *onnxpb.GraphProto
}

// node appends the node op(inputs…) named name, whose one output is also
// called name, and returns that output.
func (b *builder) node(name, op string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		Name: name, OpType: op, Input: inputs, Output: []string{name}, Attribute: attrs,
	})
	return name
}

// rename makes the node output called from be called to.
func (b *builder) rename(from, to string) {
	for _, n := range b.g.Node {
		for i, in := range n.Input {
			if in == from {
				n.Input[i] = to
			}
		}
		for i, out := range n.Output {
			if out == from {
				n.Output[i] = to
			}
		}
	}
}

// initializer adds a float32 constant of the given shape and returns its name.
func (b *builder) initializer(name string, shape []int, data []float32) string {
	if len(data) != numel(shape) {
		panic(fmt.Sprintf("onnx: initializer %s: %d values for shape %v", name, len(data), shape))
	}
	raw := make([]byte, 0, 4*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: name, Dims: int64s(shape), DataType: int32(onnxpb.TensorProto_FLOAT), RawData: raw,
	})
	return name
}

// param adds a parameter as an initializer named as in deepq.
func (b *builder) param(p *net.Param[float32]) string {
	return b.initializer(p.Name, p.Value.Shape, p.Value.Data)
}

// layer appends the nodes of layer l, called name, which maps x (batch,
// shape…) to its output, and returns the output and its per-sample shape.
func (b *builder) layer(name string, l net.Layer[float32], x string, shape []int) (string, []int, error) {
	s := l.Spec()
	switch l := l.(type) {
	case *net.DenseLayer[float32]:
		x = b.flatten(name, x, shape)
		return b.dense(name, l, x), []int{l.Out}, nil
	case *net.ConvLayer[float32]:
		y, out := b.conv(name, l, s, x, shape)
		return y, out, nil
	case *net.FlattenLayer[float32]:
		return b.node(name, "Flatten", []string{x}, attrInt("axis", 1)), []int{numel(shape)}, nil
	case *net.ReLULayer[float32]:
		return b.node(name, "Relu", []string{x}), shape, nil
	case *net.LeakyReLULayer[float32]:
		return b.node(name, "LeakyRelu", []string{x}, attrFloat("alpha", float32(l.Slope))), shape, nil
	case *net.SigmoidLayer[float32]:
		return b.node(name, "Sigmoid", []string{x}), shape, nil
	case *net.TanhLayer[float32]:
		return b.node(name, "Tanh", []string{x}), shape, nil
	case *net.SoftmaxLayer[float32]:
		op := "Softmax"
		if l.Log {
			op = "LogSoftmax"
		}
		// Both count dimensions with the batch as 0 and negative from the end.
		return b.node(name, op, []string{x}, attrInt("axis", int64(l.Dim))), shape, nil
	case *net.DropoutLayer[float32]:
		// At inference dropout is the identity: no node.
		return x, shape, nil
	case *net.LayerNormLayer[float32]:
		return b.layerNorm(name, l, s, x, shape), shape, nil
	case *net.BatchNormLayer[float32]:
		return b.batchNorm(name, l, s, x, shape), shape, nil
	case *net.DuelingLayer[float32]:
		return b.dueling(name, l, x, shape), []int{l.Actions}, nil
	}
	return "", nil, fmt.Errorf("onnx: layer %s (%s): no ONNX translation for this kind (supported: %s)",
		name, s.Kind, strings.Join(kinds, ", "))
}

// flatten returns x (batch, shape…) as (batch, Πshape): x itself if shape has
// one dimension, else the output of a Flatten node named name+".flatten".
func (b *builder) flatten(name, x string, shape []int) string {
	if len(shape) == 1 {
		return x
	}
	return b.node(name+".flatten", "Flatten", []string{x}, attrInt("axis", 1))
}

// dense appends y = x·Wᵀ + b as Gemm(x, W, b, transB=1): x (batch, In),
// W (Out, In), b (Out) -> y (batch, Out).
func (b *builder) dense(name string, l *net.DenseLayer[float32], x string) string {
	return b.node(name, "Gemm", []string{x, b.param(l.W), b.param(l.B)}, attrInt("transB", 1))
}

// conv appends Conv(x, W, b): x (batch, C, [D,] H, W), W (Out, C, [kD,] kH,
// kW), zero padding p on both sides of each spatial axis.
func (b *builder) conv(name string, l *net.ConvLayer[float32], s net.LayerSpec, x string, shape []int) (string, []int) {
	k := []int{s.KernelH, s.KernelW}
	st := []int{s.StrideH, s.StrideW}
	p := []int{s.PadH, s.PadW}
	if s.Kind == "conv3d" {
		k = []int{s.KernelD, s.KernelH, s.KernelW}
		st = []int{s.StrideD, s.StrideH, s.StrideW}
		p = []int{s.PadD, s.PadH, s.PadW}
	}
	out := []int{l.OutC}
	for a := range k {
		out = append(out, (shape[1+a]+2*p[a]-k[a])/st[a]+1)
	}
	y := b.node(name, "Conv", []string{x, b.param(l.W), b.param(l.B)},
		attrInts("kernel_shape", k...), attrInts("strides", st...),
		attrInts("pads", append(p[:len(p):len(p)], p...)...)) // begins, then ends
	return y, out
}

// dueling appends the two streams and Q = (V + A) − mean(A), with V (batch,
// 1) broadcast over the actions and mean(A) a ReduceMean over axis 1 with
// keepdims (batch, 1): the order in which deepq adds them.
func (b *builder) dueling(name string, l *net.DuelingLayer[float32], x string, shape []int) string {
	x = b.flatten(name, x, shape)
	stream := func(sname string, layers []net.Layer[float32]) string {
		y := x
		for i, sl := range layers {
			n := name + "." + sname
			if len(layers) > 1 {
				n += "." + strconv.Itoa(i) // as the parameter names: value.0, value.2
			}
			switch sl := sl.(type) {
			case *net.DenseLayer[float32]:
				y = b.dense(n, sl, y)
			case *net.ReLULayer[float32]:
				y = b.node(n, "Relu", []string{y})
			default:
				panic(fmt.Sprintf("onnx: dueling stream layer %T", sl))
			}
		}
		return y
	}
	v := stream("value", l.Value)
	a := stream("advantage", l.Advantage)
	mean := b.node(name+".mean", "ReduceMean", []string{a}, attrInts("axes", 1), attrInt("keepdims", 1))
	va := b.node(name+".v_plus_a", "Add", []string{v, a})
	return b.node(name, "Sub", []string{va, mean})
}

// batchNorm appends BatchNormalization in its inference form,
// y = γ·(x − running_mean)/√(running_var + ε) + β per channel (dimension 1);
// γ = 1 and β = 0 without affine parameters.
func (b *builder) batchNorm(name string, l *net.BatchNormLayer[float32], s net.LayerSpec, x string, shape []int) string {
	var gamma, beta string
	if l.W != nil {
		gamma, beta = b.param(l.W), b.param(l.B)
	} else {
		ones := make([]float32, l.C)
		for i := range ones {
			ones[i] = 1
		}
		gamma = b.initializer(name+".weight", []int{l.C}, ones)
		beta = b.initializer(name+".bias", []int{l.C}, make([]float32, l.C))
	}
	mean := b.initializer(l.RunningMean.Name, l.RunningMean.Value.Shape, l.RunningMean.Value.Data)
	variance := b.initializer(l.RunningVar.Name, l.RunningVar.Value.Shape, l.RunningVar.Value.Data)
	return b.node(name, "BatchNormalization", []string{x, gamma, beta, mean, variance},
		attrFloat("epsilon", float32(s.Eps)))
}

// layerNorm appends layer normalisation over the axes d … r of x (batch,
// shape…) of rank r+1, with ONNX 13's operators (LayerNormalization came in
// opset 17):
//
//	μ = ReduceMean(x), c = x − μ, σ² = ReduceMean(c·c), y = c/√(σ² + ε)·γ + β
func (b *builder) layerNorm(name string, l *net.LayerNormLayer[float32], s net.LayerSpec, x string, shape []int) string {
	d := s.Dim
	if d < 0 {
		d += len(shape) + 1
	}
	axes := make([]int, 0, len(shape))
	for a := d; a <= len(shape); a++ {
		axes = append(axes, a)
	}
	mu := b.node(name+".mean", "ReduceMean", []string{x}, attrInts("axes", axes...), attrInt("keepdims", 1))
	c := b.node(name+".centered", "Sub", []string{x, mu})
	sq := b.node(name+".squared", "Mul", []string{c, c})
	v := b.node(name+".var", "ReduceMean", []string{sq}, attrInts("axes", axes...), attrInt("keepdims", 1))
	eps := b.initializer(name+".eps", nil, []float32{float32(s.Eps)})
	ve := b.node(name+".var_eps", "Add", []string{v, eps})
	sd := b.node(name+".std", "Sqrt", []string{ve})
	if l.W == nil {
		return b.node(name, "Div", []string{c, sd})
	}
	y := b.node(name+".normalized", "Div", []string{c, sd})
	y = b.node(name+".scaled", "Mul", []string{y, b.param(l.W)})
	return b.node(name, "Add", []string{y, b.param(l.B)})
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

func attrInts(name string, v ...int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: int64s(v)}
}

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: v}
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, d := range v {
		out[i] = int64(d)
	}
	return out
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
