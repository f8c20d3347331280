package net

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"testing"
)

// distTorch is testdata/dist_torch.json, written by dist_torch_gen.py
// (PyTorch 1.13, float64): C51 with terminal transitions and importance
// weights on 51 atoms, the quantile Huber loss with N ≠ N′, κ ≠ 1 and sampled
// τ, a noisy linear layer and IQN's cosine embedding.
type distTorch struct {
	Generator string `json:"generator"`
	C51       []struct {
		Atoms      int         `json:"atoms"`
		VMin       float64     `json:"v_min"`
		VMax       float64     `json:"v_max"`
		NextProbs  [][]float64 `json:"next_probs"`
		Reward     []float64   `json:"reward"`
		Discount   []float64   `json:"discount"`
		Weights    []float64   `json:"weights"`
		Projected  [][]float64 `json:"projected"`
		Logits     [][]float64 `json:"logits"`
		Loss       float64     `json:"loss"`
		PerSample  []float64   `json:"per_sample"`
		GradLogits [][]float64 `json:"grad_logits"`
	} `json:"c51"`
	QR []struct {
		Kappa     float64     `json:"kappa"`
		Theta     [][]float64 `json:"theta"`
		Target    [][]float64 `json:"target"`
		Tau       [][]float64 `json:"tau"`
		Weights   []float64   `json:"weights"`
		Loss      float64     `json:"loss"`
		PerSample []float64   `json:"per_sample"`
		GradTheta [][]float64 `json:"grad_theta"`
	} `json:"qr"`
	Noisy []struct {
		WeightMu        [][]float64 `json:"weight_mu"`
		WeightSigma     [][]float64 `json:"weight_sigma"`
		BiasMu          []float64   `json:"bias_mu"`
		BiasSigma       []float64   `json:"bias_sigma"`
		EpsilonIn       []float64   `json:"epsilon_in"`
		EpsilonOut      []float64   `json:"epsilon_out"`
		X               [][]float64 `json:"x"`
		Y               [][]float64 `json:"y"`
		YMean           [][]float64 `json:"y_mean"`
		GradY           [][]float64 `json:"grad_y"`
		GradWeightMu    [][]float64 `json:"grad_weight_mu"`
		GradWeightSigma [][]float64 `json:"grad_weight_sigma"`
		GradBiasMu      []float64   `json:"grad_bias_mu"`
		GradBiasSigma   []float64   `json:"grad_bias_sigma"`
		GradX           [][]float64 `json:"grad_x"`
	} `json:"noisy"`
	IQN []struct {
		Cosines    int         `json:"cosines"`
		Weight     [][]float64 `json:"weight"`
		Bias       []float64   `json:"bias"`
		X          [][]float64 `json:"x"`
		Tau        [][]float64 `json:"tau"`
		H          [][]float64 `json:"h"`
		GradH      [][]float64 `json:"grad_h"`
		GradWeight [][]float64 `json:"grad_weight"`
		GradBias   []float64   `json:"grad_bias"`
		GradX      [][]float64 `json:"grad_x"`
	} `json:"iqn"`
}

func readDistTorch(t *testing.T) distTorch {
	t.Helper()
	b, err := os.ReadFile("testdata/dist_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var r distTorch
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.C51) == 0 || len(r.QR) == 0 || len(r.Noisy) == 0 || len(r.IQN) == 0 {
		t.Fatal("testdata/dist_torch.json lacks a section")
	}
	return r
}

// TestDistributionalMatchesTorch checks the C51 projection and weighted
// cross-entropy, and the quantile Huber loss with sampled τ and weights,
// against dist_torch.json, in float64 (to 1e-13) and float32 (inputs rounded
// to float32, to 2e-6 relative).
func TestDistributionalMatchesTorch(t *testing.T) {
	r := readDistTorch(t)
	run := func(is32 bool) (worst map[string]float64) {
		worst = map[string]float64{}
		up := func(k string, e float64) { worst[k] = max(worst[k], e) }
		for _, c := range r.C51 {
			s := Support{VMin: c.VMin, VMax: c.VMax, Atoms: c.Atoms}
			bs, n := len(c.Reward), c.Atoms
			var m, g, per []float64
			var loss float64
			if is32 {
				m32, g32, per32 := make([]float32, bs*n), make([]float32, bs*n), make([]float32, bs)
				ProjectCategorical(s, as[float32](slices.Concat(c.NextProbs...)), as[float32](c.Reward), as[float32](c.Discount), m32)
				var w32 []float32
				if c.Weights != nil {
					w32 = as[float32](c.Weights)
				}
				loss = CategoricalCrossEntropy(as[float32](slices.Concat(c.Logits...)), as[float32](slices.Concat(c.Projected...)), n, w32, g32, per32)
				m, g, per = as[float64](nil), as[float64](nil), as[float64](nil)
				for i := range m32 {
					m, g = append(m, float64(m32[i])), append(g, float64(g32[i]))
				}
				for _, v := range per32 {
					per = append(per, float64(v))
				}
			} else {
				m, g, per = make([]float64, bs*n), make([]float64, bs*n), make([]float64, bs)
				ProjectCategorical(s, slices.Concat(c.NextProbs...), c.Reward, c.Discount, m)
				loss = CategoricalCrossEntropy(slices.Concat(c.Logits...), slices.Concat(c.Projected...), n, c.Weights, g, per)
			}
			_, e := maxErr(m, slices.Concat(c.Projected...))
			up("c51 projection", e)
			up("c51 loss", math.Abs(loss-c.Loss)/math.Abs(c.Loss))
			_, e = maxErr(g, slices.Concat(c.GradLogits...))
			up("c51 grad", e)
			_, e = maxErr(per, c.PerSample)
			up("c51 per-sample", e)
		}
		for _, c := range r.QR {
			bs, n := len(c.Theta), len(c.Theta[0])
			var g, per []float64
			var loss float64
			var tau []float64
			if c.Tau != nil {
				tau = slices.Concat(c.Tau...)
			}
			if is32 {
				g32, per32 := make([]float32, bs*n), make([]float32, bs)
				var tau32, w32 []float32
				if tau != nil {
					tau32 = as[float32](tau)
				}
				if c.Weights != nil {
					w32 = as[float32](c.Weights)
				}
				loss = QuantileHuberLoss(as[float32](slices.Concat(c.Theta...)), tau32, as[float32](slices.Concat(c.Target...)), bs, c.Kappa, w32, g32, per32)
				for _, v := range g32 {
					g = append(g, float64(v))
				}
				for _, v := range per32 {
					per = append(per, float64(v))
				}
			} else {
				g, per = make([]float64, bs*n), make([]float64, bs)
				loss = QuantileHuberLoss(slices.Concat(c.Theta...), tau, slices.Concat(c.Target...), bs, c.Kappa, c.Weights, g, per)
			}
			up("qr loss", math.Abs(loss-c.Loss)/math.Abs(c.Loss))
			_, e := maxErr(g, slices.Concat(c.GradTheta...))
			up("qr grad", e)
			_, e = maxErr(per, c.PerSample)
			up("qr per-sample", e)
		}
		return worst
	}
	for _, prec := range []struct {
		name string
		is32 bool
		tol  float64
	}{{"float64", false, 1e-13}, {"float32", true, 2e-6}} {
		worst := run(prec.is32)
		keys := slices.Sorted(maps.Keys(worst))
		msg := prec.name + " max relative errors vs PyTorch:"
		for _, k := range keys {
			msg += fmt.Sprintf("\n  %-16s %.3g", k, worst[k])
		}
		t.Log(msg)
		for k, e := range worst {
			if !(e <= prec.tol) {
				t.Errorf("%s %s: error %.3g > %.0g", prec.name, k, e, prec.tol)
			}
		}
	}
}

// TestNoisyAndIQNMatchTorch checks the noisy layer (with the noise and with
// the mean weights) and the cosine embedding against PyTorch's outputs and
// gradients, in float64 to 1e-13.
func TestNoisyAndIQNMatchTorch(t *testing.T) {
	r := readDistTorch(t)
	for _, c := range r.Noisy {
		in, out := len(c.EpsilonIn), len(c.EpsilonOut)
		m, err := Build[float64]([]int{in}, []LayerSpec{NoisyDense(out)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		l := m.Layers[0].(*NoisyDenseLayer[float64])
		copy(l.WMu.Value.Data, slices.Concat(c.WeightMu...))
		copy(l.WSigma.Value.Data, slices.Concat(c.WeightSigma...))
		copy(l.BMu.Value.Data, c.BiasMu)
		copy(l.BSigma.Value.Data, c.BiasSigma)
		copy(l.EpsIn.Value.Data, c.EpsilonIn)
		copy(l.EpsOut.Value.Data, c.EpsilonOut)
		x := FromSlice(slices.Concat(c.X...), len(c.X), in)
		closeTo(t, "noisy y", m.Forward(x).Data, slices.Concat(c.Y...), 1e-13)
		dx := m.Backward(FromSlice(slices.Concat(c.GradY...), len(c.X), out))
		closeTo(t, "noisy grad x", dx.Data, slices.Concat(c.GradX...), 1e-13)
		closeTo(t, "noisy grad weight_mu", l.WMu.Grad.Data, slices.Concat(c.GradWeightMu...), 1e-13)
		closeTo(t, "noisy grad weight_sigma", l.WSigma.Grad.Data, slices.Concat(c.GradWeightSigma...), 1e-13)
		closeTo(t, "noisy grad bias_mu", l.BMu.Grad.Data, c.GradBiasMu, 1e-13)
		closeTo(t, "noisy grad bias_sigma", l.BSigma.Grad.Data, c.GradBiasSigma, 1e-13)
		m.SetNoise(false)
		closeTo(t, "noisy y (mean weights)", m.Forward(x).Data, slices.Concat(c.YMean...), 1e-13)
	}
	for _, c := range r.IQN {
		bs, d, n := len(c.X), len(c.X[0]), len(c.Tau[0])
		m, err := Build[float64]([]int{d}, []LayerSpec{CosineEmbedding(c.Cosines)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := m.Layers[0].(*CosineEmbeddingLayer[float64])
		copy(e.W.Value.Data, slices.Concat(c.Weight...))
		copy(e.B.Value.Data, c.Bias)
		m.SetTau(FromSlice(slices.Concat(c.Tau...), bs, n))
		x := FromSlice(slices.Concat(c.X...), bs, d)
		closeTo(t, "iqn h", m.Forward(x).Data, slices.Concat(c.H...), 1e-13)
		dx := m.Backward(FromSlice(slices.Concat(c.GradH...), bs*n, d))
		closeTo(t, "iqn grad x", dx.Data, slices.Concat(c.GradX...), 1e-13)
		closeTo(t, "iqn grad weight", e.W.Grad.Data, slices.Concat(c.GradWeight...), 1e-13)
		closeTo(t, "iqn grad bias", e.B.Grad.Data, c.GradBias, 1e-13)
	}
}
