package remote

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/deepq/deepq/internal/dmenvrpc"
)

// cartPoleSpecs are the specs scripts/dm_env_rpc_server.py sends for
// testdata's CartPole.
func cartPoleSpecs() *pb.ActionObservationSpecs {
	f32 := func(v ...float32) *pb.TensorSpec_Value {
		return &pb.TensorSpec_Value{Payload: &pb.TensorSpec_Value_Floats{Floats: &pb.Tensor_FloatArray{Array: v}}}
	}
	i64 := func(v int64) *pb.TensorSpec_Value {
		return &pb.TensorSpec_Value{Payload: &pb.TensorSpec_Value_Int64S{Int64S: &pb.Tensor_Int64Array{Array: []int64{v}}}}
	}
	f64 := func(v float64) *pb.TensorSpec_Value {
		return &pb.TensorSpec_Value{Payload: &pb.TensorSpec_Value_Doubles{Doubles: &pb.Tensor_DoubleArray{Array: []float64{v}}}}
	}
	return &pb.ActionObservationSpecs{
		Actions: map[uint64]*pb.TensorSpec{1: {Name: "action", Dtype: pb.DataType_INT64, Min: i64(0), Max: i64(1)}},
		Observations: map[uint64]*pb.TensorSpec{
			1: {Name: "observation", Shape: []int32{4}, Dtype: pb.DataType_FLOAT,
				Min: f32(-4.8, -math.MaxFloat32, -0.41887903, -math.MaxFloat32), Max: f32(4.8, math.MaxFloat32, 0.41887903, math.MaxFloat32)},
			2: {Name: "reward", Dtype: pb.DataType_DOUBLE},
			3: {Name: "discount", Dtype: pb.DataType_DOUBLE, Min: f64(0), Max: f64(1)},
		},
	}
}

// FuzzSpecs feeds readSpecs arbitrary JoinWorld specs: an error or a
// consistent Spec, never a panic.
func FuzzSpecs(f *testing.F) {
	b, err := proto.Marshal(cartPoleSpecs())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "")
	f.Add(b, "observation")
	f.Fuzz(func(t *testing.T, b []byte, obs string) {
		sp := &pb.ActionObservationSpecs{}
		if proto.Unmarshal(b, sp) != nil {
			return
		}
		e := &Env{cfg: Config{World: "w", Observation: obs}, specs: sp}
		if e.readSpecs() != nil {
			return
		}
		s := e.Spec()
		if n := s.Observation.Size(); n < 1 || len(s.Observation.Low) != n || len(s.Observation.High) != n || len(e.obs) != n {
			t.Fatalf("spec %+v with %d-element buffers", s, len(e.obs))
		}
		if s.Actions.N < 1 {
			t.Fatalf("%d actions", s.Actions.N)
		}
	})
}

// FuzzDecode feeds decode arbitrary tensors: an error or len(dst) values,
// never a panic.
func FuzzDecode(f *testing.F) {
	for _, t := range []*pb.Tensor{
		{Payload: &pb.Tensor_Floats{Floats: &pb.Tensor_FloatArray{Array: []float32{1, 2, 3, 4}}}, Shape: []int32{4}},
		{Payload: &pb.Tensor_Uint8S{Uint8S: &pb.Tensor_Uint8Array{Array: []byte{0, 255, 7, 1}}}, Shape: []int32{2, 2}},
		{Payload: &pb.Tensor_Doubles{Doubles: &pb.Tensor_DoubleArray{Array: []float64{0.5}}}},
		{Payload: &pb.Tensor_Strings{Strings: &pb.Tensor_StringArray{Array: []string{"a"}}}},
	} {
		b, err := proto.Marshal(t)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(4))
	}
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		tensor := &pb.Tensor{}
		if proto.Unmarshal(b, tensor) != nil {
			return
		}
		dst := make([]float32, n)
		if err := decode(dst, tensor); err == nil {
			if k := numel(tensor.Payload); k != int(n) && k != 1 {
				t.Fatalf("decoded %d elements into %d", k, n)
			}
		}
		scalar(tensor)
	})
}

// TestReadSpecsErrors: specs deepq cannot use are errors that say why.
func TestReadSpecsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*pb.ActionObservationSpecs)
		want string
	}{
		{"two actions", func(s *pb.ActionObservationSpecs) { s.Actions[2] = s.Actions[1] }, "has 2 actions"},
		{"float action", func(s *pb.ActionObservationSpecs) { s.Actions[1].Dtype = pb.DataType_FLOAT }, "not a discrete scalar"},
		{"no max", func(s *pb.ActionObservationSpecs) { s.Actions[1].Max = nil }, "not a discrete scalar"},
		{"vector action", func(s *pb.ActionObservationSpecs) { s.Actions[1].Shape = []int32{2} }, "not a discrete scalar"},
		{"two observations", func(s *pb.ActionObservationSpecs) {
			s.Observations[4] = &pb.TensorSpec{Name: "pixels", Dtype: pb.DataType_UINT8, Shape: []int32{8, 8}}
		}, `observations ["observation" "pixels"]`},
		{"variable shape", func(s *pb.ActionObservationSpecs) { s.Observations[1].Shape = []int32{-1} }, "fixed positive dimensions"},
		{"huge", func(s *pb.ActionObservationSpecs) { s.Observations[1].Shape = []int32{1 << 20, 1 << 20} }, "more than"},
		{"strings", func(s *pb.ActionObservationSpecs) { s.Observations[1].Dtype = pb.DataType_STRING }, "want numbers"},
		{"bounds", func(s *pb.ActionObservationSpecs) { s.Observations[1].Shape = []int32{3} }, "has 4 elements, want 3"},
	} {
		sp := cartPoleSpecs()
		tc.edit(sp)
		e := &Env{cfg: Config{World: "w"}, specs: sp}
		if err := e.readSpecs(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	e := &Env{cfg: Config{World: "w"}, specs: cartPoleSpecs()}
	if err := e.readSpecs(); err != nil {
		t.Fatal(err)
	}
}
