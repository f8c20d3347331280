package net

import (
	"bytes"
	"flag"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deepq/deepq/internal/ckpt"
)

var update = flag.Bool("update", false, "rewrite the golden checkpoints in testdata/")

// goldenCheckpoints are small trained models saved in testdata/ with their
// optimizers: the format's regression test, and the seeds of the fuzz tests.
var goldenCheckpoints = []struct {
	file  string
	in    []int
	specs []LayerSpec
	opt   func([]*Param[float32]) Optimizer[float32]
}{
	{"mlp_adam.ckpt", []int{4}, MLP([]int{8, 8}, 2),
		func(p []*Param[float32]) Optimizer[float32] { return NewAdam(p, DefaultAdam()) }},
	{"conv_bn_dueling_deepmind.ckpt", []int{2, 5, 5},
		[]LayerSpec{Conv2D(3, 3, 1, 1), BatchNorm(), ReLU(), Flatten(), LayerNorm(-1), Dropout(0.1), Dueling(3, 4)},
		func(p []*Param[float32]) Optimizer[float32] { return NewDeepMindRMSProp(p, DefaultDeepMindRMSProp()) }},
	{"conv3d_rmsprop.ckpt", []int{1, 3, 4, 4}, []LayerSpec{Conv3D(2, 2, 1, 0), Tanh(), Flatten(), Dense(2)},
		func(p []*Param[float32]) Optimizer[float32] {
			return NewRMSProp(p, RMSPropConfig{LR: 0.01, Alpha: 0.95, Eps: 0.01, Centered: true, Momentum: 0.9})
		}},
	{"sgd_nesterov.ckpt", []int{3}, []LayerSpec{Dense(4), LeakyReLU(0.01), Dense(3), LogSoftmax(-1)},
		func(p []*Param[float32]) Optimizer[float32] {
			return NewSGD(p, SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4})
		}},
}

// trainFew builds a model from specs and takes three optimizer steps on a
// random batch, so that weights, buffers and optimizer state are all nonzero.
func trainFew(t testing.TB, in []int, specs []LayerSpec, mk func([]*Param[float32]) Optimizer[float32]) (*Sequential[float32], Optimizer[float32]) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, err := Build[float32](in, specs, rng)
	if err != nil {
		t.Fatal(err)
	}
	o := mk(m.Params())
	x := New[float32](append([]int{3}, in...)...)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for range 3 {
		y := m.Forward(x)
		o.ZeroGrad()
		m.Backward(y)
		o.Step()
	}
	return m, o
}

// sections returns the payloads of a checkpoint container by name.
func sections(t testing.TB, b []byte) map[string][]byte {
	r, err := ckpt.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for {
		name, _, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if out[name], err = r.ReadAll(math.MaxInt32); err != nil {
			t.Fatal(err)
		}
	}
}

func readGolden(t testing.TB, file string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenCheckpoints -update to write it)", err)
	}
	return b
}

// TestGoldenCheckpoints loads the checkpoints in testdata/ and requires that
// saving the loaded model and optimizer gives back the same bytes: the format
// is stable and the round trip is bit-exact. With -update it rewrites them.
func TestGoldenCheckpoints(t *testing.T) {
	for _, g := range goldenCheckpoints {
		path := filepath.Join("testdata", g.file)
		if *update {
			m, o := trainFew(t, g.in, g.specs, g.opt)
			if err := SaveFile(path, m, o); err != nil {
				t.Fatal(err)
			}
		}
		data := readGolden(t, g.file)
		m, o, err := Load[float32](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", g.file, err)
		}
		if !slices.Equal(m.Specs(), g.specs) || !slices.Equal(m.InShape, g.in) || o == nil {
			t.Fatalf("%s: architecture %v on %v", g.file, m.Specs(), m.InShape)
		}
		again := filepath.Join(t.TempDir(), g.file)
		if err := SaveFile(again, m, o); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(again); !bytes.Equal(b, data) {
			t.Errorf("%s: saving the loaded checkpoint changes its bytes", g.file)
		}
	}
}

// TestCheckpointRoundTripAll saves and loads each golden architecture, freshly
// trained, and requires every parameter, buffer and optimizer buffer to come
// back bit for bit, and training to continue identically.
func TestCheckpointRoundTripAll(t *testing.T) {
	for _, g := range goldenCheckpoints {
		m, o := trainFew(t, g.in, g.specs, g.opt)
		m.SetTraining(false) // no dropout noise in the continuation below
		path := filepath.Join(t.TempDir(), "m.ckpt")
		if err := SaveFile(path, m, o); err != nil {
			t.Fatal(err)
		}
		m2, o2, err := LoadFile[float32](path)
		if err != nil {
			t.Fatal(err)
		}
		m2.SetTraining(false)
		for i, b := range m.Buffers() {
			if !equalBits(b.Value.Data, m2.Buffers()[i].Value.Data) || b.Name != m2.Buffers()[i].Name {
				t.Fatalf("%s: buffer %s differs", g.file, b.Name)
			}
		}
		if o2.Name() != o.Name() || o2.Steps() != o.Steps() || o2.LR() != o.LR() {
			t.Fatalf("%s: optimizer %s/%d/%v, want %s/%d/%v", g.file, o2.Name(), o2.Steps(), o2.LR(), o.Name(), o.Steps(), o.LR())
		}
		x := New[float32](append([]int{2}, g.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(i%7) - 3
		}
		for _, pair := range []struct {
			m *Sequential[float32]
			o Optimizer[float32]
		}{{m, o}, {m2, o2}} {
			for range 2 {
				y := pair.m.Forward(x)
				pair.o.ZeroGrad()
				pair.m.Backward(y)
				pair.o.Step()
			}
		}
		for i, p := range m.Params() {
			if !equalBits(p.Value.Data, m2.Params()[i].Value.Data) {
				t.Fatalf("%s: parameter %s differs two steps after the round trip", g.file, p.Name)
			}
		}
		for i, b := range o.State() {
			if !equalBits(b.Data, o2.State()[i].Data) {
				t.Fatalf("%s: optimizer buffer %d differs", g.file, i)
			}
		}
	}
}

// fuzzSeeds returns the golden checkpoints' bytes.
func fuzzSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, g := range goldenCheckpoints {
		out = append(out, readGolden(f, g.file))
	}
	return out
}

func FuzzUnmarshalModel(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		p := sections(f, b)["model"]
		f.Add(p)
		f.Add(p[:len(p)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := UnmarshalModel[float32](b)
		if err != nil {
			return
		}
		n := m.NumParams()
		for _, buf := range m.Buffers() {
			n += buf.Value.Len()
		}
		if n*4 > len(b) {
			t.Fatalf("decoded %d parameters and buffer elements from %d bytes", n, len(b))
		}
	})
}

func FuzzUnmarshalOptimizer(f *testing.F) {
	seeds := fuzzSeeds(f)
	var models []*Sequential[float32]
	for i, b := range seeds {
		s := sections(f, b)
		m, err := UnmarshalModel[float32](s["model"])
		if err != nil {
			f.Fatal(err)
		}
		models = append(models, m)
		f.Add(uint8(i), s["optimizer"])
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		m := models[int(which)%len(models)]
		o, err := UnmarshalOptimizer(b, m.Params())
		if err == nil && (o.LR() < 0 || o.Steps() < 0) {
			t.Fatalf("accepted lr %v, steps %d", o.LR(), o.Steps())
		}
	})
}

// FuzzLoad feeds whole checkpoint files, damaged in any way, to Load.
func FuzzLoad(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
		f.Add(b[:len(b)-3])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := Load[float32](bytes.NewReader(b), int64(len(b)))
		if err == nil && m.NumParams()*4 > len(b) {
			t.Fatalf("decoded %d parameters from %d bytes", m.NumParams(), len(b))
		}
	})
}
