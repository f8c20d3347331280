package net

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestDeadReLU initialises one hidden ReLU unit so that its pre-activation
// is negative on the only training sample: no gradient reaches its weights,
// so they stay exactly as initialised through training while the rest of the
// network fits the target.
func TestDeadReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	m, err := Build[float32]([]int{4}, MLP([]int{3}, 1), rng)
	if err != nil {
		t.Fatal(err)
	}
	x := FromSlice([]float32{0.5, -1, 2, 0.25}, 1, 4)
	target := []float32{3}
	W, b := m.Params()[0], m.Params()[1]
	// Unit 1: w·x + b = 0.5·1 + (−1)·1 + 2·(−1) + 0.25·0 − 0.5 = −3 < 0.
	copy(W.Value.Data[4:8], []float32{1, 1, -1, 0})
	b.Value.Data[1] = -0.5
	// Units 0 and 2 alive: positive pre-activations.
	copy(W.Value.Data[0:4], []float32{0.2, 0, 0.3, 0})
	copy(W.Value.Data[8:12], []float32{0, -0.4, 0.1, 0})
	b.Value.Data[0], b.Value.Data[2] = 0.1, 0.1
	// Output weights positive, so that fitting the target only pushes the
	// live units' pre-activations up.
	copy(m.Params()[2].Value.Data, []float32{0.5, 0.5, 0.5})
	m.Params()[3].Value.Data[0] = 0
	deadW := slices.Clone(W.Value.Data[4:8])
	deadB := b.Value.Data[1]

	opt := NewSGD(m.Params(), SGDConfig{LR: 0.01})
	grad := make([]float32, 1)
	var first, last float64
	for step := range 200 {
		y := m.Forward(x)
		loss := EvalLoss(MSE{}, ReduceMean, y.Data, target, nil, grad, nil)
		if step == 0 {
			first = loss
		}
		last = loss
		if f := m.DeadReLUFraction(); f != float64(1)/3 {
			t.Fatalf("step %d: dead fraction %v, want 1/3", step, f)
		}
		opt.ZeroGrad()
		m.Backward(FromSlice(grad, 1, 1))
		for i, g := range W.Grad.Data[4:8] {
			if g != 0 {
				t.Fatalf("step %d: dead unit's weight gradient [%d] = %v, want exactly 0", step, i, g)
			}
		}
		if b.Grad.Data[1] != 0 {
			t.Fatalf("step %d: dead unit's bias gradient %v", step, b.Grad.Data[1])
		}
		opt.Step()
	}
	if !slices.Equal(W.Value.Data[4:8], deadW) || b.Value.Data[1] != deadB {
		t.Fatal("the dead unit's weights changed")
	}
	if !(last < 1e-6*first) {
		t.Fatalf("loss %v -> %v: the live units did not fit the target", first, last)
	}
}

// TestDeadReLUFraction counts units dead on the whole batch, including
// those in a dueling head's streams.
func TestDeadReLUFraction(t *testing.T) {
	m, _ := Build[float64]([]int{2}, []LayerSpec{Dense(4), ReLU(), Dueling(2, 4)}, nil)
	// All weights 0: every pre-activation is 0, so all 4+4+4 ReLU units are dead.
	m.Forward(New[float64](3, 2))
	if f := m.DeadReLUFraction(); f != 1 {
		t.Fatalf("dead fraction %v, want 1", f)
	}
	m.Params()[1].Value.Data[0] = 1 // bias of hidden unit 0: alive
	m.Forward(New[float64](3, 2))
	if f := m.DeadReLUFraction(); f != float64(11)/12 {
		t.Fatalf("dead fraction %v, want 11/12", f)
	}
}

func TestSummary(t *testing.T) {
	m, err := Build[float32]([]int{4, 10, 10}, append(MinAtarTrunk(), BatchNorm(), Dense(128), ReLU(), Dueling(6, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Summary()
	for _, want := range []string{
		"input        (4,10,10)",
		"0   conv2d       (16,8,8)                592",
		"2   flatten      (1024)                    0",
		"3   batch_norm   (1024)                 2048",
		"4   dense        (128)                131200",
		"6   dueling      (6)                     903",
		"total: 134743 parameters, 2048 buffer elements",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if m.NumParams() != 134743 {
		t.Errorf("NumParams %d", m.NumParams())
	}
}

// TestCloneCopySoftUpdate checks deep copies, hard and Polyak updates,
// including the BatchNorm buffers and the mode.
func TestCloneCopySoftUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	specs := []LayerSpec{Conv2D(2, 3, 1, 1), BatchNorm(), ReLU(), Flatten(), Dueling(3, 4)}
	a, _ := Build[float64]([]int{1, 4, 4}, specs, rng)
	a.Forward(randTensor(rng, 5, 1, 4, 4)) // move the running statistics
	a.SetTraining(false)
	c := a.Clone()
	if c.Training() {
		t.Fatal("clone is in training mode")
	}
	same := func(x, y *Sequential[float64]) bool {
		for i, p := range x.Params() {
			if !equalBits(p.Value.Data, y.Params()[i].Value.Data) {
				return false
			}
		}
		for i, b := range x.Buffers() {
			if !equalBits(b.Value.Data, y.Buffers()[i].Value.Data) {
				return false
			}
		}
		return true
	}
	if !same(a, c) {
		t.Fatal("clone differs")
	}
	x := randTensor(rng, 2, 1, 4, 4)
	if !equalBits(a.Forward(x).Clone().Data, c.Forward(x).Data) {
		t.Fatal("clone computes something else")
	}
	// The clone is deep: changing it leaves a alone.
	c.Params()[0].Value.Data[0] += 1
	c.Buffers()[0].Value.Data[0] += 1
	if same(a, c) {
		t.Fatal("clone shares storage")
	}
	c.CopyFrom(a)
	if !same(a, c) {
		t.Fatal("CopyFrom left differences")
	}
	// Polyak: θ ← τθ_src + (1−τ)θ on parameters; buffers copied.
	b, _ := Build[float64]([]int{1, 4, 4}, specs, rng)
	old := b.Params()[0].Value.Clone()
	b.SoftUpdate(a, 0.25)
	for i, v := range b.Params()[0].Value.Data {
		want := 0.25*a.Params()[0].Value.Data[i] + 0.75*old.Data[i]
		if v != want {
			t.Fatalf("soft update [%d] = %v, want %v", i, v, want)
		}
	}
	if !equalBits(b.Buffers()[1].Value.Data, a.Buffers()[1].Value.Data) {
		t.Fatal("soft update did not copy the running statistics")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("CopyFrom across architectures did not panic")
		}
	}()
	other, _ := Build[float64]([]int{1, 4, 4}, []LayerSpec{Flatten(), Dense(3)}, nil)
	other.CopyFrom(a)
}

// TestSpecs checks spec validation and the JSON form of every kind.
func TestSpecs(t *testing.T) {
	if m, err := Build[float32]([]int{2, 3, 5, 5}, nil, nil); err == nil || m != nil {
		t.Fatal("empty model accepted")
	}
	m3, err := Build[float32]([]int{2, 3, 5, 5}, []LayerSpec{Conv3D(2, 1, 1, 0), Flatten(), Dense(2)}, nil)
	if err != nil || !slices.Equal(m3.OutShape(), []int{2}) {
		t.Fatalf("conv3d model: %v", err)
	}
	in := []int{3, 5, 5}
	specs := []LayerSpec{Conv2D(4, 3, 1, 1), BatchNorm(), LeakyReLU(0.01), Dropout(0.1), LayerNorm(1),
		Tanh(), Sigmoid(), ReLU(), Softmax(2), LogSoftmax(-1), Flatten(), Dense(8), Dueling(3, 4)}
	m, err := Build[float32](in, WithInit(specs, "he_uniform"), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m.Specs())
	if err != nil {
		t.Fatal(err)
	}
	var back []LayerSpec
	if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back, m.Specs()) {
		t.Fatalf("specs do not survive JSON: %v\n%s", err, b)
	}
	if m.Specs()[0].Init != "he_uniform" || m.Specs()[12].Init != "he_uniform" || m.Specs()[1].Init != "" {
		t.Fatalf("WithInit: %+v", m.Specs())
	}
	for _, c := range []struct {
		spec LayerSpec
		want string
	}{
		{LayerSpec{Kind: "conv"}, `unknown kind "conv"`},
		{LayerSpec{Kind: "relu", Units: 3}, "relu takes no units"},
		{LayerSpec{Kind: "dense", Units: 4, Rate: 0.5}, "dense takes no rate"},
		{Dropout(1), "rate must be in [0, 1)"},
		{Softmax(0), "dim 0 is not a sample dimension"},
		{Softmax(5), "dim 5"},
		{LayerSpec{Kind: "dense", Units: 3, Init: "glorot"}, `unknown initializer "glorot"`},
		{Dueling(0, 4), "units (actions)"},
		{LayerNorm(-1), ""},
	} {
		_, err := CountParams([]int{2, 3}, []LayerSpec{c.spec})
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.spec, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.spec, err, c.want)
		}
	}
}

// TestTrainEvalMode checks that SetTraining reaches every modal layer.
func TestTrainEvalMode(t *testing.T) {
	m, _ := Build[float32]([]int{4}, []LayerSpec{Dense(4), BatchNorm(), Dropout(0.5), Dense(2)}, rand.New(rand.NewPCG(1, 2)))
	if !m.Training() {
		t.Fatal("a new model is not in training mode")
	}
	m.SetTraining(false)
	x := New[float32](1, 4)
	x.Data[0] = 1
	y1 := m.Forward(x).Clone()
	y2 := m.Forward(x)
	if !equalBits(y1.Data, y2.Data) {
		t.Fatal("evaluation mode is not deterministic")
	}
	if bn := m.Layers[1].(*BatchNormLayer[float32]); bn.training || m.Layers[2].(*DropoutLayer[float32]).training {
		t.Fatal("a layer stayed in training mode")
	}
}

// TestStepAllocatesNothing: at a steady batch size a training step (target
// forward, online forward and backward, optimizer step) through every layer
// kind allocates nothing. The matrices are kept small enough for gonum's
// serial GEMM, whose parallel path allocates for its goroutines.
func TestStepAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	m2d, err := Build[float32]([]int{2, 4, 4}, []LayerSpec{Conv2D(3, 3, 1, 1), BatchNorm(), LeakyReLU(0.1),
		LayerNorm(1), Tanh(), Dropout(0.2), Flatten(), Dense(8), Sigmoid(), ReLU(), Dueling(3, 4), LogSoftmax(-1)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m3d, err := Build[float32]([]int{1, 3, 3, 3}, []LayerSpec{Conv3D(2, 2, 1, 0), Softmax(1), Flatten(), Dense(2)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Convolutions without padding take the fast path of conv_wide.go.
	mWide, err := Build[float32]([]int{2, 10, 10}, []LayerSpec{Conv2D(4, 4, 2, 0), ReLU(), Conv2D(3, 3, 1, 0), Flatten(), Dense(2)}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Sequential[float32]{m2d, m3d, mWide} {
		target := m.Clone()
		target.SetTraining(false)
		opt := NewAdam(m.Params(), DefaultAdam())
		x := New[float32](append([]int{4}, m.InShape...)...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		dy := New[float32](append([]int{4}, m.OutShape()...)...)
		for i := range dy.Data {
			dy.Data[i] = float32(rng.NormFloat64())
		}
		step := func() {
			target.Forward(x)
			m.Forward(x)
			opt.ZeroGrad()
			m.Backward(dy)
			m.Forward(x)
			m.BackwardParams(dy)
			ClipGradNorm(m.Params(), 1)
			opt.Step()
			target.SoftUpdate(m, 0.01)
			_ = m.DeadReLUFraction()
		}
		step()
		if n := testing.AllocsPerRun(20, step); n != 0 {
			t.Errorf("%v: %v allocations per step", m.Specs()[0].Kind, n)
		}
	}
}
