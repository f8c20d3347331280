package remote

import (
	"fmt"
	"math"

	pb "github.com/deepq/deepq/internal/dmenvrpc"
)

// Setting is one named value of a CreateWorld or Reset request (dm_env_rpc's
// settings are tensors keyed by name). Make one with Int, Uint, Float64s or
// String.
type Setting struct {
	Name   string
	tensor *pb.Tensor
}

// Int is an INT64 scalar setting.
func Int(name string, v int64) Setting {
	return Setting{name, &pb.Tensor{Payload: &pb.Tensor_Int64S{Int64S: &pb.Tensor_Int64Array{Array: []int64{v}}}}}
}

// Uint is a UINT64 scalar setting, e.g. Uint("seed", s).
func Uint(name string, v uint64) Setting {
	return Setting{name, &pb.Tensor{Payload: &pb.Tensor_Uint64S{Uint64S: &pb.Tensor_Uint64Array{Array: []uint64{v}}}}}
}

// Float64s is a DOUBLE vector setting of shape (len(v)), e.g. a start state.
func Float64s(name string, v ...float64) Setting {
	return Setting{name, &pb.Tensor{
		Payload: &pb.Tensor_Doubles{Doubles: &pb.Tensor_DoubleArray{Array: append([]float64(nil), v...)}},
		Shape:   []int32{int32(len(v))},
	}}
}

// String is a STRING scalar setting.
func String(name, v string) Setting {
	return Setting{name, &pb.Tensor{Payload: &pb.Tensor_Strings{Strings: &pb.Tensor_StringArray{Array: []string{v}}}}}
}

func settingsMap(ss []Setting) (map[string]*pb.Tensor, error) {
	m := make(map[string]*pb.Tensor, len(ss))
	for _, s := range ss {
		if s.tensor == nil {
			return nil, fmt.Errorf("remote: setting %q has no value (make settings with Int, Uint, Float64s or String)", s.Name)
		}
		if _, dup := m[s.Name]; dup {
			return nil, fmt.Errorf("remote: setting %q given twice", s.Name)
		}
		m[s.Name] = s.tensor
	}
	return m, nil
}

// numel returns the element count of a payload, or -1 for strings and protos.
func numel(p any) int {
	switch p := p.(type) {
	case *pb.Tensor_Floats:
		return len(p.Floats.GetArray())
	case *pb.Tensor_Doubles:
		return len(p.Doubles.GetArray())
	case *pb.Tensor_Int8S:
		return len(p.Int8S.GetArray())
	case *pb.Tensor_Int32S:
		return len(p.Int32S.GetArray())
	case *pb.Tensor_Int64S:
		return len(p.Int64S.GetArray())
	case *pb.Tensor_Uint8S:
		return len(p.Uint8S.GetArray())
	case *pb.Tensor_Uint32S:
		return len(p.Uint32S.GetArray())
	case *pb.Tensor_Uint64S:
		return len(p.Uint64S.GetArray())
	case *pb.Tensor_Bools:
		return len(p.Bools.GetArray())
	}
	return -1
}

// decode writes t's elements into dst as float32 (rounding doubles and large
// integers to nearest, bools as 0 and 1). A one-element tensor fills dst (the
// protocol's broadcast); otherwise t must have len(dst) elements.
func decode(dst []float32, t *pb.Tensor) error {
	if t == nil {
		return fmt.Errorf("missing")
	}
	n := numel(t.Payload)
	if n < 0 {
		return fmt.Errorf("holds %T, not numbers", t.Payload)
	}
	if n != len(dst) && n != 1 {
		return fmt.Errorf("has %d elements, want %d", n, len(dst))
	}
	at := func(i int) int { // element i of the payload, broadcasting one
		if n == 1 {
			return 0
		}
		return i
	}
	switch p := t.Payload.(type) {
	case *pb.Tensor_Floats:
		if n == len(dst) {
			copy(dst, p.Floats.Array)
			return nil
		}
		for i := range dst {
			dst[i] = p.Floats.Array[0]
		}
	case *pb.Tensor_Doubles:
		for i := range dst {
			dst[i] = float32(p.Doubles.Array[at(i)])
		}
	case *pb.Tensor_Int8S:
		for i := range dst {
			dst[i] = float32(int8(p.Int8S.Array[at(i)]))
		}
	case *pb.Tensor_Int32S:
		for i := range dst {
			dst[i] = float32(p.Int32S.Array[at(i)])
		}
	case *pb.Tensor_Int64S:
		for i := range dst {
			dst[i] = float32(p.Int64S.Array[at(i)])
		}
	case *pb.Tensor_Uint8S:
		for i := range dst {
			dst[i] = float32(p.Uint8S.Array[at(i)])
		}
	case *pb.Tensor_Uint32S:
		for i := range dst {
			dst[i] = float32(p.Uint32S.Array[at(i)])
		}
	case *pb.Tensor_Uint64S:
		for i := range dst {
			dst[i] = float32(p.Uint64S.Array[at(i)])
		}
	case *pb.Tensor_Bools:
		for i := range dst {
			dst[i] = 0
			if p.Bools.Array[at(i)] {
				dst[i] = 1
			}
		}
	}
	return nil
}

// scalar returns a one-element numeric tensor's value as a float64.
func scalar(t *pb.Tensor) (float64, error) {
	var v [1]float32
	if t == nil {
		return 0, fmt.Errorf("missing")
	}
	if n := numel(t.Payload); n != 1 {
		return 0, fmt.Errorf("has %d elements, want 1", n)
	}
	if d, ok := t.Payload.(*pb.Tensor_Doubles); ok { // keep a double reward exact
		return d.Doubles.Array[0], nil
	}
	if err := decode(v[:], t); err != nil {
		return 0, err
	}
	return float64(v[0]), nil
}

// bound decodes a TensorSpec bound into dst (n elements; one broadcasts), or
// fills dst with def when the spec has none.
func bound(dst []float32, v *pb.TensorSpec_Value, def float32) error {
	if v == nil || v.Payload == nil {
		for i := range dst {
			dst[i] = def
		}
		return nil
	}
	t := &pb.Tensor{}
	switch p := v.Payload.(type) {
	case *pb.TensorSpec_Value_Floats:
		t.Payload = &pb.Tensor_Floats{Floats: p.Floats}
	case *pb.TensorSpec_Value_Doubles:
		t.Payload = &pb.Tensor_Doubles{Doubles: p.Doubles}
	case *pb.TensorSpec_Value_Int8S:
		t.Payload = &pb.Tensor_Int8S{Int8S: p.Int8S}
	case *pb.TensorSpec_Value_Int32S:
		t.Payload = &pb.Tensor_Int32S{Int32S: p.Int32S}
	case *pb.TensorSpec_Value_Int64S:
		t.Payload = &pb.Tensor_Int64S{Int64S: p.Int64S}
	case *pb.TensorSpec_Value_Uint8S:
		t.Payload = &pb.Tensor_Uint8S{Uint8S: p.Uint8S}
	case *pb.TensorSpec_Value_Uint32S:
		t.Payload = &pb.Tensor_Uint32S{Uint32S: p.Uint32S}
	case *pb.TensorSpec_Value_Uint64S:
		t.Payload = &pb.Tensor_Uint64S{Uint64S: p.Uint64S}
	}
	return decode(dst, t)
}

// intBound returns a one-element integer bound exactly.
func intBound(v *pb.TensorSpec_Value) (int64, bool) {
	switch p := v.GetPayload().(type) {
	case *pb.TensorSpec_Value_Int8S:
		if len(p.Int8S.Array) == 1 {
			return int64(int8(p.Int8S.Array[0])), true
		}
	case *pb.TensorSpec_Value_Int32S:
		if len(p.Int32S.Array) == 1 {
			return int64(p.Int32S.Array[0]), true
		}
	case *pb.TensorSpec_Value_Int64S:
		if len(p.Int64S.Array) == 1 {
			return p.Int64S.Array[0], true
		}
	case *pb.TensorSpec_Value_Uint8S:
		if len(p.Uint8S.Array) == 1 {
			return int64(p.Uint8S.Array[0]), true
		}
	case *pb.TensorSpec_Value_Uint32S:
		if len(p.Uint32S.Array) == 1 {
			return int64(p.Uint32S.Array[0]), true
		}
	case *pb.TensorSpec_Value_Uint64S:
		if len(p.Uint64S.Array) == 1 && p.Uint64S.Array[0] <= math.MaxInt64 {
			return int64(p.Uint64S.Array[0]), true
		}
	}
	return 0, false
}

// actionTensor encodes the action value v as a scalar of dtype.
func actionTensor(dtype pb.DataType, v int64) *pb.Tensor {
	t := &pb.Tensor{}
	switch dtype {
	case pb.DataType_INT8:
		t.Payload = &pb.Tensor_Int8S{Int8S: &pb.Tensor_Int8Array{Array: []byte{byte(int8(v))}}}
	case pb.DataType_INT32:
		t.Payload = &pb.Tensor_Int32S{Int32S: &pb.Tensor_Int32Array{Array: []int32{int32(v)}}}
	case pb.DataType_UINT8:
		t.Payload = &pb.Tensor_Uint8S{Uint8S: &pb.Tensor_Uint8Array{Array: []byte{byte(v)}}}
	case pb.DataType_UINT32:
		t.Payload = &pb.Tensor_Uint32S{Uint32S: &pb.Tensor_Uint32Array{Array: []uint32{uint32(v)}}}
	case pb.DataType_UINT64:
		t.Payload = &pb.Tensor_Uint64S{Uint64S: &pb.Tensor_Uint64Array{Array: []uint64{uint64(v)}}}
	default: // INT64
		t.Payload = &pb.Tensor_Int64S{Int64S: &pb.Tensor_Int64Array{Array: []int64{v}}}
	}
	return t
}

// integerType reports whether dtype is one an action index can travel as.
func integerType(dtype pb.DataType) bool {
	switch dtype {
	case pb.DataType_INT8, pb.DataType_INT32, pb.DataType_INT64,
		pb.DataType_UINT8, pb.DataType_UINT32, pb.DataType_UINT64:
		return true
	}
	return false
}
