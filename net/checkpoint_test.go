package net

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func trainedModel(t testing.TB) (*Sequential[float32], Optimizer[float32]) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, err := Build[float32]([]int{4}, MLP([]int{8, 8}, 2), rng)
	if err != nil {
		t.Fatal(err)
	}
	o := NewAdam(m.Params(), DefaultAdam())
	x := New[float32](3, 4)
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

func TestCheckpointRoundTrip(t *testing.T) {
	m, o := trainedModel(t)
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := SaveFile(path, m, o); err != nil {
		t.Fatal(err)
	}
	m2, o2, err := LoadFile[float32](path)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		if !equalBits(p.Value.Data, m2.Params()[i].Value.Data) {
			t.Fatalf("parameter %s differs after the round trip", p.Name)
		}
	}
	if o2.Name() != "adam" || o2.Steps() != 3 || o2.LR() != o.LR() {
		t.Fatalf("optimizer: %s steps %d lr %v", o2.Name(), o2.Steps(), o2.LR())
	}
	for i, b := range o.State() {
		if !equalBits(b.Data, o2.State()[i].Data) {
			t.Fatalf("optimizer buffer %d differs", i)
		}
	}
	// The restored pair continues exactly as the original.
	x := New[float32](2, 4)
	x.Data[0] = 1
	for _, pair := range []struct {
		m *Sequential[float32]
		o Optimizer[float32]
	}{{m, o}, {m2, o2}} {
		y := pair.m.Forward(x)
		pair.o.ZeroGrad()
		pair.m.Backward(y)
		pair.o.Step()
	}
	for i, p := range m.Params() {
		if !equalBits(p.Value.Data, m2.Params()[i].Value.Data) {
			t.Fatalf("parameter %s differs one step after the round trip", p.Name)
		}
	}
	// A float32 checkpoint loads into a float64 model for reference work.
	m64, _, err := LoadFile[float64](path)
	if err != nil {
		t.Fatal(err)
	}
	if m64.NumParams() != m.NumParams() {
		t.Fatal("float64 load has another size")
	}
}

func equalBits[T Float](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCheckpointDamage truncates and corrupts a checkpoint at every position
// class and expects errors, never panics.
func TestCheckpointDamage(t *testing.T) {
	m, o := trainedModel(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ckpt")
	if err := SaveFile(good, m, o); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	bad := filepath.Join(dir, "bad.ckpt")
	try := func(what string, b []byte) {
		t.Helper()
		os.WriteFile(bad, b, 0o644)
		if _, _, err := LoadFile[float32](bad); err == nil {
			t.Errorf("%s: loaded without error", what)
		}
	}
	for _, n := range []int{0, 5, 12, 20, len(data) / 2, len(data) - 5, len(data) - 1} {
		try("truncated", data[:n])
	}
	for i := 0; i < len(data); i += max(1, len(data)/97) {
		c := bytes.Clone(data)
		c[i] ^= 0x41
		try("flipped byte", c)
	}
	try("trailing garbage", append(bytes.Clone(data), 0))
	v := bytes.Clone(data)
	v[8] = 99
	os.WriteFile(bad, v, 0o644)
	if _, _, err := LoadFile[float32](bad); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("wrong version: %v", err)
	}
	if _, _, err := LoadFile[float32](filepath.Join(dir, "missing.ckpt")); err == nil {
		t.Error("missing file loaded")
	}
}

// TestUnmarshalModelAbsurd feeds an architecture that would need terabytes:
// the decoder must refuse before allocating.
func TestUnmarshalModelAbsurd(t *testing.T) {
	p, _ := payload[float32](modelHeader{DType: "float32", InShape: []int{1 << 20}, Layers: []LayerSpec{Dense(1 << 20)}}, nil)
	if _, err := UnmarshalModel[float32](p); err == nil {
		t.Fatal("absurd model accepted")
	}
	p, _ = payload[float32](modelHeader{DType: "float32", InShape: []int{4}, Layers: []LayerSpec{Dense(3)}}, nil)
	if _, err := UnmarshalModel[float32](p); err == nil {
		t.Fatal("model without weights accepted")
	}
	for _, layers := range [][]LayerSpec{
		{Conv2D(1<<20, 3, 1, 1)},
		{Conv2D(1<<12, 3, 1, 1), Conv2D(1<<12, 3, 1, 1)},
		{Flatten(), Dueling(1<<24, 1<<24)},
		{Flatten(), Dense(1 << 24), Dense(1 << 24)},
		{Conv2D(64, 1, 1, 0), Conv2D(1<<14, 1, 1, 0)}, // 2^14·64·64 activations per sample
	} {
		p, _ = payload[float32](modelHeader{DType: "float32", InShape: []int{3, 64, 64}, Layers: layers}, nil)
		if _, err := UnmarshalModel[float32](p); err == nil {
			t.Fatalf("absurd model %v accepted", layers)
		}
	}
	// A BatchNorm model whose data lacks the running statistics.
	m, _ := Build[float32]([]int{3}, []LayerSpec{BatchNorm()}, nil)
	p, _ = payload(modelHeader{DType: "float32", InShape: []int{3}, Layers: m.Specs()}, m.stateTensors()[:2])
	if _, err := UnmarshalModel[float32](p); err == nil {
		t.Fatal("batch norm without running statistics accepted")
	}
}
