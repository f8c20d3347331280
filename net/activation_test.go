package net

import (
	"math"
	"testing"
)

// TestActivations checks each elementwise activation's values and
// derivatives, including extreme inputs and the conventions at 0.
func TestActivations(t *testing.T) {
	x := []float64{-1000, -2, -0.5, 0, 0.5, 2, 1000}
	for _, c := range []struct {
		layer Layer[float64]
		f, df func(float64) float64
	}{
		{&ReLULayer[float64]{}, func(v float64) float64 { return max(v, 0) },
			func(v float64) float64 { return map[bool]float64{true: 1, false: 0}[v > 0] }},
		{&LeakyReLULayer[float64]{Slope: 0.01}, func(v float64) float64 { return map[bool]float64{true: v, false: 0.01 * v}[v > 0] },
			func(v float64) float64 { return map[bool]float64{true: 1, false: 0.01}[v > 0] }},
		{&SigmoidLayer[float64]{}, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) },
			func(v float64) float64 { s := 1 / (1 + math.Exp(-v)); return s * (1 - s) }},
		{&TanhLayer[float64]{}, math.Tanh, func(v float64) float64 { return 1 - math.Tanh(v)*math.Tanh(v) }},
	} {
		name := c.layer.Spec().Kind
		y := c.layer.Forward(FromSlice(append([]float64(nil), x...), 1, len(x)))
		ones := New[float64](1, len(x))
		for i := range ones.Data {
			ones.Data[i] = 1
		}
		dx := c.layer.Backward(ones)
		for i, v := range x {
			if math.IsNaN(y.Data[i]) || math.Abs(y.Data[i]-c.f(v)) > 1e-15 {
				t.Errorf("%s(%v) = %v, want %v", name, v, y.Data[i], c.f(v))
			}
			if math.Abs(dx.Data[i]-c.df(v)) > 1e-15 {
				t.Errorf("%s′(%v) = %v, want %v", name, v, dx.Data[i], c.df(v))
			}
		}
	}
}
