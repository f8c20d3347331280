package net

import (
	"math"
	"testing"
)

func quadParam(p0 ...float64) *Param[float64] {
	return &Param[float64]{Name: "p", Value: FromSlice(p0, len(p0)), Grad: New[float64](len(p0))}
}

// TestAdamFirstSteps checks Adam against its definition, step by step, in
// float64: the bias-corrected first step is θ − lr·g/(|g| + ε).
func TestAdamFirstSteps(t *testing.T) {
	p := quadParam(1, -2, 0.5)
	cfg := AdamConfig{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	o := NewAdam([]*Param[float64]{p}, cfg)
	m, v := make([]float64, 3), make([]float64, 3)
	want := []float64{1, -2, 0.5}
	for step := 1; step <= 4; step++ {
		o.ZeroGrad()
		for i, x := range p.Value.Data { // L = Σ (i+1)·x²
			p.Grad.Data[i] = 2 * float64(i+1) * x
		}
		g := append([]float64(nil), p.Grad.Data...)
		o.Step()
		for i := range want {
			m[i] = 0.9*m[i] + 0.1*g[i]
			v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(0.9, float64(step)))
			vh := v[i] / (1 - math.Pow(0.999, float64(step)))
			want[i] -= 0.1 * mh / (math.Sqrt(vh) + 1e-8)
		}
		closeTo(t, "adam param", p.Value.Data, want, 1e-12)
	}
	if o.Steps() != 4 {
		t.Fatalf("Steps() = %d, want 4", o.Steps())
	}
}

func TestSGDMomentum(t *testing.T) {
	for _, nesterov := range []bool{false, true} {
		p := quadParam(1)
		o := NewSGD([]*Param[float64]{p}, SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: nesterov, WeightDecay: 0.01})
		x, buf := 1.0, 0.0
		for step := 0; step < 5; step++ {
			o.ZeroGrad()
			p.Grad.Data[0] = 2 * p.Value.Data[0]
			o.Step()
			d := 2*x + 0.01*x
			if step == 0 {
				buf = d
			} else {
				buf = 0.9*buf + d
			}
			if nesterov {
				d += 0.9 * buf
			} else {
				d = buf
			}
			x -= 0.1 * d
			closeTo(t, "sgd param", p.Value.Data, []float64{x}, 1e-12)
		}
	}
}

// TestRMSPropCenteredMomentum checks the centered, momentum and weight-decay
// branches of RMSProp against torch.optim.RMSprop's update written out.
func TestRMSPropCenteredMomentum(t *testing.T) {
	p := quadParam(1.5, -0.5)
	cfg := RMSPropConfig{LR: 0.01, Alpha: 0.95, Eps: 0.01, Centered: true, Momentum: 0.5, WeightDecay: 0.1}
	o := NewRMSProp([]*Param[float64]{p}, cfg)
	x := []float64{1.5, -0.5}
	sq, ga, buf := make([]float64, 2), make([]float64, 2), make([]float64, 2)
	for step := 0; step < 5; step++ {
		o.ZeroGrad()
		for i, v := range p.Value.Data {
			p.Grad.Data[i] = 3 * v * v
		}
		o.Step()
		for i := range x {
			g := 3*x[i]*x[i] + 0.1*x[i]
			sq[i] = 0.95*sq[i] + 0.05*g*g
			ga[i] = 0.95*ga[i] + 0.05*g
			avg := math.Sqrt(sq[i]-ga[i]*ga[i]) + 0.01
			buf[i] = 0.5*buf[i] + g/avg
			x[i] -= 0.01 * buf[i]
		}
		closeTo(t, "rmsprop param", p.Value.Data, x, 1e-12)
	}
}

func TestClipGradNorm(t *testing.T) {
	p := quadParam(0, 0)
	p.Grad.Data[0], p.Grad.Data[1] = 3, 4
	if n := ClipGradNorm([]*Param[float64]{p}, 1); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	closeTo(t, "clipped", p.Grad.Data, []float64{3 / (5 + 1e-6), 4 / (5 + 1e-6)}, 1e-15)
	p.Grad.Data[0], p.Grad.Data[1] = 0.3, 0.4
	ClipGradNorm([]*Param[float64]{p}, 10)
	closeTo(t, "unclipped", p.Grad.Data, []float64{0.3, 0.4}, 0)
}
