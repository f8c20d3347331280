package net

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
)

// torchTensor is a tensor in testdata/layers.json: {"shape": [...], "data": [...]}.
type torchTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (tt torchTensor) t64() *Tensor[float64] { return FromSlice(slices.Clone(tt.Data), tt.Shape...) }
func (tt torchTensor) t32() *Tensor[float32] {
	d := make([]float32, len(tt.Data))
	for i, v := range tt.Data {
		d[i] = float32(v)
	}
	return FromSlice(d, tt.Shape...)
}

type torchRef struct {
	ConvA struct {
		InChannels, OutChannels                                int
		Kernel, Stride, Padding                                []int
		X, Weight, Bias, Y, GradY, GradX, GradWeight, GradBias torchTensor
	} `json:"conva"`
	Softmax struct {
		Vectors []struct {
			X                             []float64
			Softmax, LogSoftmax, GradY    torchTensor
			GradXSoftmax, GradXLogSoftmax torchTensor
		}
		BatchedDim1 struct {
			X, Softmax, LogSoftmax torchTensor
		}
	} `json:"softmax"`
	Linear struct {
		X, Weight, Bias, Y, GradY, GradX, GradWeight, GradBias torchTensor
	} `json:"linear"`
	MLP struct {
		X                                     torchTensor `json:"x"`
		Y                                     float64     `json:"y"`
		W1, B1, W2, B2, W3, B3                torchTensor
		Z1, H1, Z2, H2, F                     torchTensor
		Loss                                  float64 `json:"loss"`
		GradW1, GradB1, GradW2, GradB2        torchTensor
		GradW3, GradB3, GradX                 torchTensor
		GradZ1, GradH1, GradZ2, GradH2, GradF torchTensor
	} `json:"mlp"`
	RMSProp []struct {
		Settings struct {
			LR, Momentum, Alpha, Eps, WeightDecay float64
			Centered                              bool
		} `json:"settings"`
		Param0 []float64 `json:"param0"`
		Steps  []struct {
			Step       int         `json:"step"`
			LossBefore float64     `json:"loss_before"`
			Grad       torchTensor `json:"grad"`
			ParamAfter torchTensor `json:"param_after"`
			SquareAvg  torchTensor `json:"square_avg"`
		} `json:"steps"`
	} `json:"rmsprop"`
	RMSPropProblem struct {
		A, C, P0 []float64
	} `json:"rmsprop_problem"`
	Huber struct {
		Input, Target torchTensor
		Cases         []struct {
			Fn        string             `json:"fn"`
			Params    map[string]float64 `json:"params"`
			Reduction string             `json:"reduction"`
			Loss      torchTensor        `json:"loss"`
			GradInput torchTensor        `json:"grad_input"`
		} `json:"cases"`
		MinatarStyle struct {
			QSA, Target torchTensor
			Loss        float64     `json:"loss"`
			GradQSA     torchTensor `json:"grad_Q_s_a"`
		} `json:"minatar_style"`
	} `json:"huber"`
}

// loadTorch reads testdata/layers.json. Field names map from snake_case by
// json's case-insensitive matching after the underscores are removed.
func loadTorch(t *testing.T) *torchRef {
	t.Helper()
	b, err := os.ReadFile("testdata/layers.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(dropUnderscores(raw))
	var r torchRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// dropUnderscores renames keys like "grad_weight" to "gradweight" so that
// they match Go field names case-insensitively, except keys that tags name.
func dropUnderscores(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			nk := k
			switch k {
			case "grad_Q_s_a", "loss_before", "param_after", "square_avg", "grad_input", "minatar_style", "rmsprop_problem":
			default:
				nk = ""
				for _, c := range k {
					if c != '_' {
						nk += string(c)
					}
				}
			}
			out[nk] = dropUnderscores(x)
		}
		return out
	case []any:
		for i := range v {
			v[i] = dropUnderscores(v[i])
		}
	}
	return v
}

// closeTo reports the worst relative error of got against want (relative to
// max(|want|, 1)) and fails if it exceeds tol.
func closeTo[T Float](t *testing.T, what string, got []T, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		if float64(got[i]) == want[i] {
			continue
		}
		e := math.Abs(float64(got[i])-want[i]) / math.Max(math.Abs(want[i]), 1)
		if !(e <= tol) {
			t.Fatalf("%s[%d] = %v, want %v (rel err %.3g > %.1g)", what, i, got[i], want[i], e, tol)
		}
		worst = max(worst, e)
	}
	t.Logf("%-40s worst rel err %.2g (tolerance %.0g)", what, worst, tol)
}

// closeTo32 is closeTo for float32 results of float64 references: a
// reference beyond float32's range must come out as the same infinity.
func closeTo32(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	w := slices.Clone(want)
	for i, v := range want {
		if math.Abs(v) > math.MaxFloat32 {
			if float64(got[i]) != math.Inf(int(math.Copysign(1, v))) {
				t.Fatalf("%s[%d] = %v, want %v (beyond float32: ±Inf)", what, i, got[i], v)
			}
			w[i] = float64(got[i])
		}
	}
	closeTo(t, what, got, w, tol)
}

func denseFrom[T Float](w, b *Tensor[T]) *DenseLayer[T] {
	d := newDense[T]("0.", w.Shape[1], w.Shape[0])
	copy(d.W.Value.Data, w.Data)
	copy(d.B.Value.Data, b.Data)
	return d
}

func TestDenseMatchesTorch(t *testing.T) {
	ref := loadTorch(t).Linear
	t.Run("float64", func(t *testing.T) {
		d := denseFrom(ref.Weight.t64(), ref.Bias.t64())
		closeTo(t, "y", d.Forward(ref.X.t64()).Data, ref.Y.Data, 1e-12)
		closeTo(t, "grad_x", d.Backward(ref.GradY.t64()).Data, ref.GradX.Data, 1e-12)
		closeTo(t, "grad_weight", d.W.Grad.Data, ref.GradWeight.Data, 1e-12)
		closeTo(t, "grad_bias", d.B.Grad.Data, ref.GradBias.Data, 1e-12)
	})
	t.Run("float32", func(t *testing.T) {
		d := denseFrom(ref.Weight.t32(), ref.Bias.t32())
		closeTo(t, "y", d.Forward(ref.X.t32()).Data, ref.Y.Data, 1e-5)
		closeTo(t, "grad_x", d.Backward(ref.GradY.t32()).Data, ref.GradX.Data, 1e-5)
		closeTo(t, "grad_weight", d.W.Grad.Data, ref.GradWeight.Data, 1e-5)
		closeTo(t, "grad_bias", d.B.Grad.Data, ref.GradBias.Data, 1e-5)
	})
}

func TestHuberMatchesTorch(t *testing.T) {
	ref := loadTorch(t).Huber
	for _, c := range ref.Cases {
		var loss Loss
		if c.Fn == "huber_loss" {
			loss = Huber{Delta: c.Params["delta"]}
		} else {
			loss = SmoothL1{Beta: c.Params["beta"]}
		}
		red := map[string]Reduction{"mean": ReduceMean, "sum": ReduceSum, "none": ReduceNone}[c.Reduction]
		n := len(ref.Input.Data)
		grad, elems := make([]float64, n), make([]float64, n)
		got := EvalLoss(loss, red, ref.Input.Data, ref.Target.Data, nil, grad, elems)
		name := c.Fn + "/" + c.Reduction
		if red == ReduceNone {
			closeTo(t, name+" loss", elems, c.Loss.Data, 1e-12)
		} else {
			closeTo(t, name+" loss", []float64{got}, c.Loss.Data, 1e-12)
		}
		closeTo(t, name+" grad", grad, c.GradInput.Data, 1e-12)
	}
	// MinAtar calls smooth_l1_loss(target, Q): the loss is symmetric in its
	// arguments, and the gradient reaching Q is that of the difference Q − target.
	m := ref.MinatarStyle
	grad := make([]float64, len(m.QSA.Data))
	got := EvalLoss(SmoothL1{Beta: 1}, ReduceMean, m.QSA.Data, m.Target.Data, nil, grad, nil)
	closeTo(t, "minatar loss", []float64{got}, []float64{m.Loss}, 1e-12)
	closeTo(t, "minatar grad", grad, m.GradQSA.Data, 1e-12)
}

func TestRMSPropMatchesTorch(t *testing.T) {
	r := loadTorch(t)
	prob := r.RMSPropProblem
	for _, c := range r.RMSProp {
		p := &Param[float64]{Name: "p", Value: FromSlice(slices.Clone(c.Param0), len(c.Param0)), Grad: New[float64](len(c.Param0))}
		s := c.Settings
		o := NewRMSProp([]*Param[float64]{p}, RMSPropConfig{LR: s.LR, Alpha: s.Alpha, Eps: s.Eps, Centered: s.Centered, Momentum: s.Momentum, WeightDecay: s.WeightDecay})
		for _, st := range c.Steps {
			// loss = Σ aᵢ(pᵢ − cᵢ)², ∂/∂pᵢ = 2aᵢ(pᵢ − cᵢ)
			o.ZeroGrad()
			loss := 0.0
			for i, v := range p.Value.Data {
				d := v - prob.C[i]
				loss += prob.A[i] * d * d
				p.Grad.Data[i] += 2 * prob.A[i] * d
			}
			closeTo(t, "loss before", []float64{loss}, []float64{st.LossBefore}, 1e-12)
			closeTo(t, "grad", p.Grad.Data, st.Grad.Data, 1e-12)
			o.Step()
			closeTo(t, "param after", p.Value.Data, st.ParamAfter.Data, 1e-12)
			closeTo(t, "square avg", o.State()[0].Data, st.SquareAvg.Data, 1e-12)
		}
	}
}

func TestMLPMatchesTorch(t *testing.T) {
	ref := loadTorch(t).MLP
	m, err := Build[float64]([]int{5}, []LayerSpec{Dense(4), Sigmoid(), Dense(4), Sigmoid(), Dense(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []torchTensor{ref.W1, ref.B1, ref.W2, ref.B2, ref.W3, ref.B3} {
		copy(m.Params()[i].Value.Data, w.Data)
	}
	x := FromSlice(slices.Clone(ref.X.Data), 1, 5)
	f := m.Forward(x)
	// The intermediates: Z1 = W1x+b1, H1 = σ(Z1), Z2, H2, f.
	for i, want := range []torchTensor{ref.Z1, ref.H1, ref.Z2, ref.H2, ref.F} {
		var got []float64
		if i < 4 {
			got = m.Layers[i].(interface{ output() *Tensor[float64] }).output().Data
		} else {
			got = f.Data
		}
		closeTo(t, []string{"Z1", "H1", "Z2", "H2", "f"}[i], got, want.Data, 1e-12)
	}
	// ρ = (y − f)², δ⁴ = ∂ρ/∂f = 2(f − y).
	grad := make([]float64, 1)
	loss := EvalLoss(MSE{}, ReduceSum, f.Data, []float64{ref.Y}, nil, grad, nil)
	closeTo(t, "loss", []float64{loss}, []float64{ref.Loss}, 1e-12)
	closeTo(t, "grad_f", grad, ref.GradF.Data, 1e-12)
	gx := m.Backward(FromSlice(grad, 1, 1))
	closeTo(t, "grad_x", gx.Data, ref.GradX.Data, 1e-12)
	for i, w := range []torchTensor{ref.GradW1, ref.GradB1, ref.GradW2, ref.GradB2, ref.GradW3, ref.GradB3} {
		closeTo(t, m.Params()[i].Name+".grad", m.Params()[i].Grad.Data, w.Data, 1e-12)
	}
}

func convFrom[T Float](t *testing.T, w, b *Tensor[T], in []int, spec LayerSpec) *ConvLayer[T] {
	t.Helper()
	m, err := Build[T](in, []LayerSpec{spec}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Layers[0].(*ConvLayer[T])
	if !slices.Equal(c.W.Value.Shape, w.Shape) {
		t.Fatalf("weight shape %v, PyTorch's is %v", c.W.Value.Shape, w.Shape)
	}
	copy(c.W.Value.Data, w.Data)
	copy(c.B.Value.Data, b.Data)
	return c
}

func TestConvMatchesTorch(t *testing.T) {
	ref := loadTorch(t).ConvA
	spec := Conv2D(ref.OutChannels, 0, 0, 0)
	spec.KernelH, spec.KernelW = ref.Kernel[0], ref.Kernel[1]
	spec.StrideH, spec.StrideW = ref.Stride[0], ref.Stride[1]
	spec.PadH, spec.PadW = ref.Padding[0], ref.Padding[1]
	in := ref.X.Shape[1:]
	t.Run("float64", func(t *testing.T) {
		c := convFrom(t, ref.Weight.t64(), ref.Bias.t64(), in, spec)
		y := c.Forward(ref.X.t64())
		if !slices.Equal(y.Shape, ref.Y.Shape) {
			t.Fatalf("output shape %v, want %v", y.Shape, ref.Y.Shape)
		}
		closeTo(t, "y", y.Data, ref.Y.Data, 1e-12)
		closeTo(t, "grad_x", c.Backward(ref.GradY.t64()).Data, ref.GradX.Data, 1e-12)
		closeTo(t, "grad_weight", c.W.Grad.Data, ref.GradWeight.Data, 1e-12)
		closeTo(t, "grad_bias", c.B.Grad.Data, ref.GradBias.Data, 1e-12)
	})
	t.Run("float32", func(t *testing.T) {
		c := convFrom(t, ref.Weight.t32(), ref.Bias.t32(), in, spec)
		closeTo(t, "y", c.Forward(ref.X.t32()).Data, ref.Y.Data, 1e-5)
		closeTo(t, "grad_x", c.Backward(ref.GradY.t32()).Data, ref.GradX.Data, 1e-5)
		closeTo(t, "grad_weight", c.W.Grad.Data, ref.GradWeight.Data, 1e-5)
		closeTo(t, "grad_bias", c.B.Grad.Data, ref.GradBias.Data, 1e-5)
	})
}

func TestSoftmaxMatchesTorch(t *testing.T) {
	ref := loadTorch(t).Softmax
	for _, v := range ref.Vectors {
		n := len(v.X)
		for _, log := range []bool{false, true} {
			want, wantDx := v.Softmax.Data, v.GradXSoftmax.Data
			if log {
				want, wantDx = v.LogSoftmax.Data, v.GradXLogSoftmax.Data
			}
			name := fmt.Sprintf("%v log=%v", v.X, log)
			s64 := &SoftmaxLayer[float64]{Dim: -1, dim: 1, Log: log}
			closeTo(t, name+" y", s64.Forward(FromSlice(slices.Clone(v.X), 1, n)).Data, want, 1e-12)
			closeTo(t, name+" grad_x", s64.Backward(FromSlice(slices.Clone(v.GradY.Data), 1, n)).Data, wantDx, 1e-12)
			s32 := &SoftmaxLayer[float32]{Dim: -1, dim: 1, Log: log}
			x32, g32 := make([]float32, n), make([]float32, n)
			for i := range n {
				x32[i], g32[i] = float32(v.X[i]), float32(v.GradY.Data[i])
			}
			closeTo32(t, name+" y (float32)", s32.Forward(FromSlice(x32, 1, n)).Data, want, 1e-5)
			closeTo32(t, name+" grad_x (float32)", s32.Backward(FromSlice(g32, 1, n)).Data, wantDx, 1e-5)
		}
	}
	b := ref.BatchedDim1
	for _, log := range []bool{false, true} {
		m, err := Build[float64](b.X.Shape[1:], []LayerSpec{{Kind: map[bool]string{false: "softmax", true: "log_softmax"}[log], Dim: 1}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := b.Softmax.Data
		if log {
			want = b.LogSoftmax.Data
		}
		closeTo(t, fmt.Sprintf("batched dim 1 log=%v", log), m.Forward(b.X.t64()).Data, want, 1e-12)
	}
}
