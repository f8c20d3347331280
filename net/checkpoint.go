package net

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/internal/half"
)

// A model or optimizer is stored as one section of a checkpoint container
// (package internal/ckpt: versioned, CRC-32C over every byte, written
// atomically). A section's payload is:
//
//	uint32 header length, then a JSON header
//	the tensors' elements, little-endian, in the order the header implies
//
// A model's header is {"dtype", "in_shape", "layers"}; its tensors are the
// parameters in Params order, then the buffers (BatchNorm running statistics)
// in Buffers order. dtype is the model's type, "float32" or "float64", or
// for a model exported smaller (MarshalModelAs) "float16" (IEEE binary16)
// or "bfloat16", 2 bytes an element, rounded to nearest even. An optimizer's header is {"dtype", "name",
// "config", "lr", "steps"}; its tensors are the State buffers. Every size is
// checked against the architecture before anything is allocated.

// maxHeader bounds a section's JSON header.
const maxHeader = 1 << 20

type modelHeader struct {
	DType   string      `json:"dtype"`
	InShape []int       `json:"in_shape"`
	Layers  []LayerSpec `json:"layers"`
}

type optimHeader struct {
	DType  string          `json:"dtype"`
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
	LR     float64         `json:"lr"`
	Steps  int64           `json:"steps"`
}

func dtypeOf[T Float]() string {
	var z T
	if _, ok := any(z).(float32); ok {
		return "float32"
	}
	return "float64"
}

func dtypeSize(dtype string) (int, error) {
	switch dtype {
	case "float32":
		return 4, nil
	case "float64":
		return 8, nil
	case "float16", "bfloat16":
		return 2, nil
	}
	return 0, fmt.Errorf("unknown dtype %q", dtype)
}

// ModelDType returns the dtype a model payload stores its weights in.
func ModelDType(p []byte) (string, error) {
	var h modelHeader
	if _, err := splitPayload(p, &h); err != nil {
		return "", err
	}
	return h.DType, nil
}

// MarshalModelAs encodes m as MarshalModel does with its weights and
// buffers stored as dtype: "float32", "float64", or to halve a float32
// model's size "float16" or "bfloat16", each element rounded to nearest
// even (package internal/half: relative error at most 2⁻¹¹ for float16 in
// its normal range, 6.1·10⁻⁵ ≤ |w| ≤ 65504, and 2⁻⁸ for bfloat16; float16
// keeps smaller magnitudes to within 3·10⁻⁸). UnmarshalModel reads any of
// them back into either element type. A weight float16 cannot hold (|w| ≥
// 65520, or a NaN or Inf in any dtype) is an error naming the tensor.
func MarshalModelAs[T Float](m *Sequential[T], dtype string) ([]byte, error) {
	if _, err := dtypeSize(dtype); err != nil {
		return nil, fmt.Errorf("net: %w (want float32, float64, float16 or bfloat16)", err)
	}
	names := m.stateNames()
	for i, t := range m.stateTensors() {
		for j, v := range t.Data {
			x := float64(v)
			if math.IsNaN(x) || math.IsInf(x, 0) || dtype == "float16" && !half.F16Fits(float32(x)) ||
				dtype == "bfloat16" && !half.BF16Fits(float32(x)) {
				return nil, fmt.Errorf("net: %s[%d] = %v cannot be stored as %s", names[i], j, v, dtype)
			}
		}
	}
	return payloadAs(modelHeader{DType: dtype, InShape: m.InShape, Layers: m.Specs()}, m.stateTensors(), dtype)
}

// stateNames names the tensors of stateTensors, for errors.
func (m *Sequential[T]) stateNames() []string {
	var ns []string
	for _, p := range m.params {
		ns = append(ns, p.Name)
	}
	for i := range m.buffers {
		ns = append(ns, fmt.Sprintf("buffer %d", i))
	}
	return ns
}

// payload assembles a header and tensors into a section payload, the
// elements in their own type.
func payload[T Float](header any, tensors []*Tensor[T]) ([]byte, error) {
	return payloadAs(header, tensors, dtypeOf[T]())
}

// payloadAs assembles a header and tensors into a section payload, the
// elements stored as dtype.
func payloadAs[T Float](header any, tensors []*Tensor[T], dtype string) ([]byte, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, t := range tensors {
		n += t.Len()
	}
	size, err := dtypeSize(dtype)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	buf := make([]byte, 0, 4+len(h)+n*size)
	buf = le.AppendUint32(buf, uint32(len(h)))
	buf = append(buf, h...)
	for _, t := range tensors {
		for _, v := range t.Data {
			switch dtype {
			case "float32":
				buf = le.AppendUint32(buf, math.Float32bits(float32(v)))
			case "float64":
				buf = le.AppendUint64(buf, math.Float64bits(float64(v)))
			case "float16":
				buf = le.AppendUint16(buf, half.F16Bits(float32(v)))
			case "bfloat16":
				buf = le.AppendUint16(buf, half.BF16Bits(float32(v)))
			}
		}
	}
	return buf, nil
}

// splitPayload parses the header of a payload into h (strictly: unknown
// fields are errors) and returns the tensor bytes that follow.
func splitPayload(p []byte, h any) ([]byte, error) {
	if len(p) < 4 {
		return nil, errors.New("section too short for its header")
	}
	n := binary.LittleEndian.Uint32(p)
	if n > maxHeader || int64(n) > int64(len(p)-4) {
		return nil, fmt.Errorf("header length %d out of range", n)
	}
	dec := json.NewDecoder(bytes.NewReader(p[4 : 4+n]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	return p[4+n:], nil
}

// fillTensors reads the elements of tensors from data stored as dtype,
// converting to T; data must hold exactly that many elements.
func fillTensors[T Float](data []byte, dtype string, tensors []*Tensor[T]) error {
	size, err := dtypeSize(dtype)
	if err != nil {
		return err
	}
	n := 0
	for _, t := range tensors {
		n += t.Len()
	}
	if len(data) != n*size {
		return fmt.Errorf("%d bytes of tensor data, want %d (%d %s values)", len(data), n*size, n, dtype)
	}
	le := binary.LittleEndian
	for _, t := range tensors {
		for i := range t.Data {
			switch dtype {
			case "float32":
				t.Data[i] = T(math.Float32frombits(le.Uint32(data)))
			case "float64":
				t.Data[i] = T(math.Float64frombits(le.Uint64(data)))
			case "float16":
				t.Data[i] = T(half.F16(le.Uint16(data)))
			case "bfloat16":
				t.Data[i] = T(half.BF16(le.Uint16(data)))
			}
			data = data[size:]
		}
	}
	return nil
}

// stateTensors returns the tensors a checkpoint stores for m: the parameters,
// then the buffers.
func (m *Sequential[T]) stateTensors() []*Tensor[T] { return weightTensors(m.params, m.buffers) }

// weightTensors lists a model's parameters, then its buffers: the order of
// checkpoints, CopyFrom and SoftUpdate.
func weightTensors[T Float](params []*Param[T], buffers []*Buffer[T]) []*Tensor[T] {
	ts := make([]*Tensor[T], 0, len(params)+len(buffers))
	for _, p := range params {
		ts = append(ts, p.Value)
	}
	for _, b := range buffers {
		ts = append(ts, b.Value)
	}
	return ts
}

// MarshalModel encodes m's architecture, weights and buffers as a section
// payload.
func MarshalModel[T Float](m *Sequential[T]) ([]byte, error) {
	return payload(modelHeader{DType: dtypeOf[T](), InShape: m.InShape, Layers: m.Specs()}, m.stateTensors())
}

// UnmarshalModel decodes a payload made by MarshalModel (of either dtype)
// into a new model of element type T.
func UnmarshalModel[T Float](p []byte) (*Sequential[T], error) {
	return decodeModel(p, "model", func(in []int, specs []LayerSpec) (*Sequential[T], error) { return Build[T](in, specs, nil) },
		(*Sequential[T]).stateTensors)
}

// decodeModel decodes a model payload (header, then the weights of either
// dtype) into the model build makes from its architecture; state lists the
// model's tensors in payload order. what names the model in errors.
func decodeModel[T Float, M any](p []byte, what string, build func(in []int, specs []LayerSpec) (M, error), state func(M) []*Tensor[T]) (M, error) {
	var zero M
	var h modelHeader
	data, err := splitPayload(p, &h)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	size, err := dtypeSize(h.DType)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	np, nb, err := sizeOf(h.InShape, h.Layers)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	if len(data) != (np+nb)*size {
		return zero, fmt.Errorf("%s: %d bytes of weights, the architecture needs %d", what, len(data), (np+nb)*size)
	}
	m, err := build(h.InShape, h.Layers)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	if err := fillTensors(data, h.DType, state(m)); err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// MarshalOptimizer encodes o's configuration and state as a section payload.
func MarshalOptimizer[T Float](o Optimizer[T]) ([]byte, error) {
	var cfg any
	switch o := o.(type) {
	case *SGD[T]:
		cfg = o.cfg
	case *RMSProp[T]:
		cfg = o.cfg
	case *Adam[T]:
		cfg = o.cfg
	case *DeepMindRMSProp[T]:
		cfg = o.cfg
	default:
		return nil, fmt.Errorf("net: cannot save optimizer %T", o)
	}
	c, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return payload(optimHeader{DType: dtypeOf[T](), Name: o.Name(), Config: c, LR: o.LR(), Steps: o.Steps()}, o.State())
}

// NewOptimizer makes the optimizer called name ("sgd", "rmsprop", "adam" or
// "deepmind_rmsprop") over params from its JSON configuration (unknown fields
// and invalid values are errors).
func NewOptimizer[T Float](name string, config []byte, params []*Param[T]) (Optimizer[T], error) {
	strict := func(v any) error {
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	switch name {
	case "sgd":
		var c SGDConfig
		if err := strict(&c); err != nil {
			return nil, fmt.Errorf("sgd config: %w", err)
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return NewSGD(params, c), nil
	case "rmsprop":
		var c RMSPropConfig
		if err := strict(&c); err != nil {
			return nil, fmt.Errorf("rmsprop config: %w", err)
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return NewRMSProp(params, c), nil
	case "adam":
		var c AdamConfig
		if err := strict(&c); err != nil {
			return nil, fmt.Errorf("adam config: %w", err)
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return NewAdam(params, c), nil
	case "deepmind_rmsprop":
		var c DeepMindRMSPropConfig
		if err := strict(&c); err != nil {
			return nil, fmt.Errorf("deepmind_rmsprop config: %w", err)
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return NewDeepMindRMSProp(params, c), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (available: sgd, rmsprop, adam, deepmind_rmsprop)", name)
}

// UnmarshalOptimizer decodes a payload made by MarshalOptimizer into a new
// optimizer over params, which must be those of the same architecture.
func UnmarshalOptimizer[T Float](p []byte, params []*Param[T]) (Optimizer[T], error) {
	var h optimHeader
	data, err := splitPayload(p, &h)
	if err != nil {
		return nil, fmt.Errorf("optimizer: %w", err)
	}
	o, err := NewOptimizer(h.Name, h.Config, params)
	if err != nil {
		return nil, fmt.Errorf("optimizer: %w", err)
	}
	bufs := make([]*Tensor[T], len(o.State()))
	for i, b := range o.State() {
		bufs[i] = New[T](b.Shape...)
	}
	if err := fillTensors(data, h.DType, bufs); err != nil {
		return nil, fmt.Errorf("optimizer: %w", err)
	}
	if err := o.SetState(h.Steps, bufs); err != nil {
		return nil, fmt.Errorf("optimizer: %w", err)
	}
	if !(h.LR >= 0) || math.IsInf(h.LR, 0) {
		return nil, fmt.Errorf("optimizer: learning rate %v", h.LR)
	}
	o.SetLR(h.LR)
	return o, nil
}

// SaveFile writes m and, if o is not nil, its optimizer to path atomically.
func SaveFile[T Float](path string, m *Sequential[T], o Optimizer[T]) error {
	mp, err := MarshalModel(m)
	if err != nil {
		return err
	}
	var op []byte
	if o != nil {
		if op, err = MarshalOptimizer(o); err != nil {
			return err
		}
	}
	return ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		if err := w.Bytes("model", mp); err != nil {
			return err
		}
		if o != nil {
			return w.Bytes("optimizer", op)
		}
		return nil
	})
}

// LoadFile reads a model and its optimizer (nil if none was saved) from a file
// written by SaveFile. Any damage to the file is an error.
func LoadFile[T Float](path string) (*Sequential[T], Optimizer[T], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	}
	m, o, err := Load[T](f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, o, nil
}

// Load reads a model and its optimizer (nil if none was saved) from a
// checkpoint container of size bytes (-1 if unknown) written by SaveFile.
func Load[T Float](rd io.Reader, size int64) (*Sequential[T], Optimizer[T], error) {
	r, err := ckpt.NewReader(rd, size)
	if err != nil {
		return nil, nil, err
	}
	var m *Sequential[T]
	var optPayload []byte
	for {
		name, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		p, err := r.ReadAll(math.MaxInt32)
		if err != nil {
			return nil, nil, err
		}
		switch name {
		case "model":
			if m, err = UnmarshalModel[T](p); err != nil {
				return nil, nil, err
			}
		case "optimizer":
			optPayload = p
		}
	}
	if m == nil {
		return nil, nil, errors.New("no model in the checkpoint")
	}
	var o Optimizer[T]
	if optPayload != nil {
		if o, err = UnmarshalOptimizer(optPayload, m.Params()); err != nil {
			return nil, nil, err
		}
	}
	return m, o, nil
}
