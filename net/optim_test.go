package net

import (
	"github.com/deepq/deepq/schedule"
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

// TestDeepMindRMSProp checks the Nature DQN's RMSProp against its update
// written out: centered, ε inside the square root, no momentum buffer.
func TestDeepMindRMSProp(t *testing.T) {
	p := quadParam(1.5, -0.5, 0.1)
	o := NewDeepMindRMSProp([]*Param[float64]{p}, DefaultDeepMindRMSProp())
	x := []float64{1.5, -0.5, 0.1}
	ga, sq := make([]float64, 3), make([]float64, 3)
	for step := 0; step < 6; step++ {
		o.ZeroGrad()
		for i, v := range p.Value.Data {
			p.Grad.Data[i] = 3*v*v - 1
		}
		o.Step()
		for i := range x {
			g := 3*x[i]*x[i] - 1
			ga[i] = 0.95*ga[i] + 0.05*g
			sq[i] = 0.95*sq[i] + 0.05*g*g
			x[i] -= 0.00025 * g / math.Sqrt(sq[i]-ga[i]*ga[i]+0.01)
		}
		closeTo(t, "deepmind rmsprop param", p.Value.Data, x, 1e-15)
		closeTo(t, "g_avg", o.State()[0].Data, ga, 1e-15)
		closeTo(t, "s", o.State()[1].Data, sq, 1e-15)
	}
	// The first step: s − ḡ² = 0.05g² − 0.0025g² = 0.0475g², so the step is
	// lr·g/√(0.0475g² + 0.01), below lr/√0.0475 ≈ 4.6·lr however large g is.
	q := quadParam(0)
	o = NewDeepMindRMSProp([]*Param[float64]{q}, DefaultDeepMindRMSProp())
	q.Grad.Data[0] = 1e6
	o.Step()
	if d := -q.Value.Data[0]; !(d > 4.5*0.00025 && d < 4.6*0.00025) {
		t.Fatalf("first step %v", d)
	}
}

func TestOptimizerConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name, cfg string
	}{
		{"sgd", `{"lr":-1}`},
		{"sgd", `{"lr":0.1,"nesterov":true}`},
		{"rmsprop", `{"lr":0.1,"alpha":1,"eps":1e-8}`},
		{"rmsprop", `{"lr":0.1,"alpha":0.9,"eps":-1}`},
		{"adam", `{"lr":0.1,"beta1":0.9,"beta2":1.5,"eps":1e-8}`},
		{"deepmind_rmsprop", `{"lr":0.1,"alpha":0.95,"eps":0}`},
		{"deepmind_rmsprop", `{"lr":0.1,"alpha":0.95,"eps":0.01,"momentum":0.9}`},
		{"lamb", `{}`},
	} {
		if _, err := NewOptimizer[float32](c.name, []byte(c.cfg), nil); err == nil {
			t.Errorf("%s %s accepted", c.name, c.cfg)
		}
	}
	for _, v := range []interface{ Validate() error }{DefaultAdam(), DefaultRMSProp(), DefaultDeepMindRMSProp(), SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true}} {
		if err := v.Validate(); err != nil {
			t.Errorf("%+v: %v", v, err)
		}
	}
}

func TestSetScheduledLR(t *testing.T) {
	// A schedule drives an optimizer's rate by its step count.
	p := quadParam(1)
	o := NewSGD([]*Param[float64]{p}, SGDConfig{LR: 1})
	sched := schedule.Step{Initial: 0.1, Gamma: 0.1, Every: 2}
	var lrs []float64
	for range 5 {
		SetScheduledLR(o, sched)
		lrs = append(lrs, o.LR())
		o.Step()
	}
	closeTo(t, "scheduled lr", lrs, []float64{0.1, 0.1, 0.01, 0.01, 0.001}, 1e-15)
}

func TestScheduleConfig(t *testing.T) {
	good := []ScheduleConfig{
		DefaultSchedule(1e-3),
		{Kind: "linear", LR: 1e-3, End: 1e-5, Steps: 1000},
		{Kind: "step", LR: 1e-3, Gamma: 0.5, Steps: 100},
		{Kind: "inverse_time", LR: 1e-3, Tau: 1e4},
	}
	for _, c := range good {
		s, err := c.Schedule()
		if err != nil || s.Value(0) != 1e-3 {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, c := range []ScheduleConfig{
		{Kind: "cosine", LR: 1},
		{Kind: "constant", LR: -1},
		{Kind: "constant", LR: 1, Tau: 3},
		{Kind: "linear", LR: 1, End: 0.1},
		{Kind: "step", LR: 1, Gamma: 2, Steps: 10},
		{Kind: "inverse_time", LR: 1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
