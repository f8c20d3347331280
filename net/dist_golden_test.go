package net

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// distGolden are small trained models with the distributional and noisy
// layers, saved in testdata/ with their optimizers (rewritten with -update):
// the format's regression test for these kinds and seeds for the fuzz test.
var distGolden = []struct {
	file  string
	in    []int
	specs []LayerSpec
}{
	{"noisy_c51_adam.ckpt", []int{4}, []LayerSpec{NoisyDense(8), ReLU(),
		{Kind: "dueling_categorical", Units: 3, Atoms: 7, Hidden: 5, Sigma0: 0.5}}},
	{"iqn_adam.ckpt", []int{4}, []LayerSpec{Dense(6), ReLU(), CosineEmbedding(8), Dense(6), ReLU(), Dense(3)}},
}

// trainDist builds a model and takes three Adam steps on a random batch,
// resampling noise and τ each step.
func trainDist(t testing.TB, in []int, specs []LayerSpec) (*Sequential[float32], Optimizer[float32]) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, err := Build[float32](in, specs, rng)
	if err != nil {
		t.Fatal(err)
	}
	o := NewAdam(m.Params(), DefaultAdam())
	x := New[float32](append([]int{3}, in...)...)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	tau := New[float32](3, 4)
	iqn := slices.ContainsFunc(specs, func(s LayerSpec) bool { return s.Kind == "cosine_embedding" })
	for range 3 {
		m.ResampleNoise(rng)
		if iqn {
			SampleTau(rng, tau)
			m.SetTau(tau)
		}
		y := m.Forward(x)
		o.ZeroGrad()
		m.Backward(y)
		o.Step()
	}
	return m, o
}

// TestDistGoldenCheckpoints loads each golden checkpoint, checks its
// architecture and that saving it again gives the same bytes.
func TestDistGoldenCheckpoints(t *testing.T) {
	for _, g := range distGolden {
		path := filepath.Join("testdata", g.file)
		if *update {
			m, o := trainDist(t, g.in, g.specs)
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

// FuzzUnmarshalDistModel feeds damaged model sections of the distributional
// golden checkpoints to UnmarshalModel: errors, never panics or allocations
// beyond what the bytes can hold.
func FuzzUnmarshalDistModel(f *testing.F) {
	for _, g := range distGolden {
		p := sections(f, readGolden(f, g.file))["model"]
		f.Add(p)
		f.Add(p[:len(p)/2])
		// Absurd sizes in the header.
		f.Add(bytes.Replace(p, []byte(`"atoms":7`), []byte(`"atoms":99999999`), 1))
		f.Add(bytes.Replace(p, []byte(`"units":8`), []byte(`"units":4097`), 1))
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
