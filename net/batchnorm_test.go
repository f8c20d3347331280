package net

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBatchNormDefinition checks training and evaluation mode against the
// definition written out: batch statistics with the biased variance to
// normalise, running statistics with momentum and the unbiased variance.
func TestBatchNormDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const B, C, S = 4, 3, 5 // (B, C, 5) as BatchNorm1d on (N, C, L)
	m, err := Build[float64]([]int{C, S}, []LayerSpec{{Kind: "batch_norm", Eps: 1e-3, Momentum: 0.2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bn := m.Layers[0].(*BatchNormLayer[float64])
	for c := range C {
		bn.W.Value.Data[c] = 1 + 0.3*float64(c)
		bn.B.Value.Data[c] = -0.5 + float64(c)
	}
	rm, rv := []float64{0, 0, 0}, []float64{1, 1, 1}
	for step := range 4 {
		x := randTensor(rng, B, C, S)
		for i := range x.Data {
			x.Data[i] = 2*x.Data[i] + float64(step) // shifting statistics
		}
		y := m.Forward(x)
		for c := range C {
			var vals []float64
			for b := range B {
				vals = append(vals, x.Data[(b*C+c)*S:(b*C+c+1)*S]...)
			}
			n := float64(len(vals))
			mean, ss := 0.0, 0.0
			for _, v := range vals {
				mean += v
			}
			mean /= n
			for _, v := range vals {
				ss += (v - mean) * (v - mean)
			}
			for b := range B {
				for s := range S {
					i := (b*C+c)*S + s
					want := (x.Data[i]-mean)/math.Sqrt(ss/n+1e-3)*bn.W.Value.Data[c] + bn.B.Value.Data[c]
					if math.Abs(y.Data[i]-want) > 1e-12 {
						t.Fatalf("step %d: y[%d] = %v, want %v", step, i, y.Data[i], want)
					}
				}
			}
			rm[c] = 0.8*rm[c] + 0.2*mean
			rv[c] = 0.8*rv[c] + 0.2*ss/(n-1)
		}
		closeTo(t, "running_mean", bn.RunningMean.Value.Data, rm, 1e-14)
		closeTo(t, "running_var", bn.RunningVar.Value.Data, rv, 1e-14)
	}
	// Evaluation uses the running statistics and leaves them alone.
	m.SetTraining(false)
	x := randTensor(rng, 1, C, S) // a batch of one is fine in evaluation
	y := m.Forward(x)
	for i, v := range x.Data {
		c := (i / S) % C
		want := (v-rm[c])/math.Sqrt(rv[c]+1e-3)*bn.W.Value.Data[c] + bn.B.Value.Data[c]
		if math.Abs(y.Data[i]-want) > 1e-12 {
			t.Fatalf("eval: y[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
	closeTo(t, "running_mean after eval", bn.RunningMean.Value.Data, rm, 0)
}

// TestBatchNormSingleValuePanics: training on one value per channel has no
// variance; PyTorch raises, we panic with the package prefix.
func TestBatchNormSingleValuePanics(t *testing.T) {
	m, _ := Build[float32]([]int{3}, []LayerSpec{BatchNorm()}, nil)
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic")
		}
	}()
	m.Forward(New[float32](1, 3))
}

func TestBatchNormSpecErrors(t *testing.T) {
	for _, s := range []LayerSpec{
		{Kind: "batch_norm", Momentum: 0.1},
		{Kind: "batch_norm", Eps: 1e-5, Momentum: 1.5},
		{Kind: "batch_norm", Eps: 1e-5, Momentum: 0.1, Units: 3},
	} {
		if _, err := CountParams([]int{4}, []LayerSpec{s}); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if _, err := CountParams([]int{1, 2, 3, 4, 5}, []LayerSpec{BatchNorm()}); err == nil {
		t.Error("5-D per-sample input accepted")
	}
}
