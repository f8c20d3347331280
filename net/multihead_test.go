package net

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMultiHeadGradients checks the multi-head layer (linear heads and heads
// with a hidden layer, on a torso) against central differences in float64.
func TestMultiHeadGradients(t *testing.T) {
	cases := []struct {
		name  string
		in    []int
		specs []LayerSpec
	}{
		{"multi_head-linear", []int{5}, []LayerSpec{MultiHead(3, 2, 0)}},
		{"multi_head-hidden", []int{2, 3}, []LayerSpec{Dense(6), ReLU(), MultiHead(4, 3, 5)}},
		{"multi_head-one", []int{4}, []LayerSpec{Dense(3), Tanh(), MultiHead(1, 2, 3)}},
	}
	summary := map[string]float64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(41, 42))
			m, err := Build[float64](c.in, c.specs, rng)
			if err != nil {
				t.Fatal(err)
			}
			summary[c.name] = gradCheck(t, m, randTensor(rng, append([]int{3}, c.in...)...), rng, nil)
		})
	}
	logWorst(t, "multi_head", summary)
}

// TestMultiHeadIsKNetworks checks that head k of the layer computes what a
// separate network of the torso and head k's layers computes (the heads share
// only their input), that a head whose δ is 0 gets no gradient, the parameter
// names, the sizes infer reports, and BackwardParams against Backward.
func TestMultiHeadIsKNetworks(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	in := []int{5}
	specs := []LayerSpec{Dense(6), ReLU(), MultiHead(3, 2, 4)}
	m, err := Build[float64](in, specs, rng)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.OutShape(); !slices.Equal(got, []int{3, 2}) {
		t.Fatalf("output shape %v, want [3 2]", got)
	}
	np, _, err := sizeOf(in, specs)
	if err != nil {
		t.Fatal(err)
	}
	if np != m.NumParams() || np != 6*6+3*(6*4+4+4*2+2) {
		t.Errorf("infer says %d parameters, the model has %d", np, m.NumParams())
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	if want := "0.weight 0.bias 2.0.0.weight 2.0.0.bias 2.0.2.weight 2.0.2.bias 2.1.0.weight"; !strings.HasPrefix(strings.Join(names, " "), want) {
		t.Errorf("parameter names %v, want them to start %q", names, want)
	}
	x := randTensor(rng, 4, 5)
	y := m.Forward(x).Clone()
	head := m.Layers[2].(*MultiHeadLayer[float64])
	for k := range 3 {
		// The same computation as a plain network: torso, then head k.
		single, err := Build[float64](in, []LayerSpec{Dense(6), ReLU(), Dense(4), ReLU(), Dense(2)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		src := append(m.Params()[:2:2], head.Params()[4*k:4*k+4]...)
		for i, p := range single.Params() {
			copy(p.Value.Data, src[i].Value.Data)
		}
		q := single.Forward(x)
		for b := range 4 {
			for a := range 2 {
				if got, want := y.Data[(b*3+k)*2+a], q.Data[b*2+a]; got != want {
					t.Fatalf("head %d sample %d action %d: %v, the separate network gives %v", k, b, a, got, want)
				}
			}
		}
	}

	// δ only on head 1: heads 0 and 2 get no gradient.
	dy := New[float64](4, 3, 2)
	for b := range 4 {
		for a := range 2 {
			dy.Data[(b*3+1)*2+a] = rng.NormFloat64()
		}
	}
	m.ZeroGrad()
	m.Forward(x)
	m.Backward(dy)
	for i, p := range head.Params() {
		zero := !slices.ContainsFunc(p.Grad.Data, func(v float64) bool { return v != 0 })
		if (i/4 != 1) != zero {
			t.Errorf("%s: gradient zero %v with δ only on head 1", p.Name, zero)
		}
	}
	var want [][]float64
	for _, p := range m.Params() {
		want = append(want, slices.Clone(p.Grad.Data))
	}
	m.ZeroGrad()
	m.Forward(x)
	m.BackwardParams(dy)
	for i, p := range m.Params() {
		if !equalBits(p.Grad.Data, want[i]) {
			t.Fatalf("%s differs between Backward and BackwardParams", p.Name)
		}
	}

	// A checkpoint round trip keeps the layer.
	pl, err := MarshalModel(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalModel[float64](pl)
	if err != nil {
		t.Fatal(err)
	}
	if !equalBits(back.Forward(x).Data, y.Data) {
		t.Error("the decoded model computes something else")
	}
}

// TestMultiHeadSpecErrors checks that bad specs are errors naming the field.
func TestMultiHeadSpecErrors(t *testing.T) {
	bad := MultiHead(2, 3, 0)
	bad.Atoms = 5
	for _, c := range []struct {
		spec LayerSpec
		want string
	}{
		{MultiHead(0, 3, 0), "heads must be in"},
		{MultiHead(2, 0, 0), "units (actions)"},
		{MultiHead(2, 3, -1), "hidden must be in"},
		{bad, "multi_head takes no atoms"},
	} {
		_, err := Build[float32]([]int{4}, []LayerSpec{c.spec}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.spec, err, c.want)
		}
	}
}
