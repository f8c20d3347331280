package net

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/deepq/deepq/internal/half"
)

// TestMarshalModelAs16: a float32 model written as float16 or bfloat16
// reads back with every weight the format's rounding of the original (within
// 2⁻¹¹ or 2⁻⁸ relative), in about half the bytes; "float32" writes exactly
// MarshalModel's bytes; a weight float16 cannot hold and an unknown dtype
// are errors naming them.
func TestMarshalModelAs16(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, err := Build[float32]([]int{4}, MLP([]int{64, 64}, 2), rng)
	if err != nil {
		t.Fatal(err)
	}
	full, err := MarshalModel(m)
	if err != nil {
		t.Fatal(err)
	}
	if same, err := MarshalModelAs(m, "float32"); err != nil || !bytes.Equal(same, full) {
		t.Fatalf("MarshalModelAs float32 differs from MarshalModel (%v)", err)
	}
	for _, c := range []struct {
		dtype string
		round func(float32) float32
		eps   float64
	}{{"float16", half.F16Round, 0x1p-11}, {"bfloat16", half.BF16Round, 0x1p-8}} {
		p, err := MarshalModelAs(m, c.dtype)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, t := range m.stateTensors() {
			n += t.Len()
		}
		if saved := len(full) - len(p); saved < 2*n-64 {
			t.Errorf("%s: %d bytes, float32 %d: want about 2 bytes less for each of %d weights", c.dtype, len(p), len(full), n)
		}
		back, err := UnmarshalModel[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, tt := range back.stateTensors() {
			for j, v := range tt.Data {
				w := m.stateTensors()[i].Data[j]
				if v != c.round(w) {
					t.Fatalf("%s: weight %v read back as %v, want %v", c.dtype, w, v, c.round(w))
				}
				if math.Abs(float64(w)) >= 0x1p-14 {
					worst = max(worst, math.Abs(float64(v-w))/math.Abs(float64(w)))
				}
			}
		}
		if worst > c.eps || worst == 0 {
			t.Errorf("%s: worst relative error %g, want in (0, %g]", c.dtype, worst, c.eps)
		}
		// float64 models read it too.
		if _, err := UnmarshalModel[float64](p); err != nil {
			t.Errorf("%s into float64: %v", c.dtype, err)
		}
	}
	big := m.Clone()
	big.Params()[2].Value.Data[5] = 7e4
	if _, err := MarshalModelAs(big, "float16"); err == nil || !strings.Contains(err.Error(), big.Params()[2].Name+"[5] = 70000 cannot be stored as float16") {
		t.Errorf("70000 as float16: %v", err)
	}
	if _, err := MarshalModelAs(big, "bfloat16"); err != nil {
		t.Errorf("70000 as bfloat16: %v", err)
	}
	if _, err := MarshalModelAs(m, "int8"); err == nil || !strings.Contains(err.Error(), `unknown dtype "int8"`) {
		t.Errorf("int8: %v", err)
	}
}
