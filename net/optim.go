package net

import (
	"fmt"
	"math"
	"slices"

	kernels "github.com/deepq/deepq/internal/gemm"
	"github.com/deepq/deepq/internal/vec"
)

// Optimizer updates parameters from their accumulated gradients. Gradients
// accumulate across Backward calls until ZeroGrad; Step reads them and leaves
// them in place, as in PyTorch.
type Optimizer[T Float] interface {
	// Name is the optimizer's name in configs, e.g. "adam".
	Name() string
	// Step applies one update to every parameter.
	Step()
	// ZeroGrad sets every parameter's gradient to 0.
	ZeroGrad()
	// LR returns the learning rate; SetLR changes it (for schedules).
	LR() float64
	SetLR(lr float64)
	// Steps returns the number of Step calls so far.
	Steps() int64
	// State returns the per-parameter buffers (e.g. RMSProp's square average), in
	// a fixed order; SetState restores them and the step count. Together with the
	// config they resume the optimizer exactly.
	State() []*Tensor[T]
	SetState(steps int64, bufs []*Tensor[T]) error
}

// optBase holds what every optimizer shares.
type optBase[T Float] struct {
	params []*Param[T]
	lr     float64
	steps  int64
	bufs   []*Tensor[T] // slot-major: slot s of parameter i is bufs[s*len(params)+i]
	pass   vecPass      // the vectorised float32 update of one parameter
}

// vecPass is a vectorised float32 optimizer update of one parameter, run over
// ranges of its elements by kernels.For (elementwise, so any split gives the
// same bits). run picks the update; w, g, a, b are the parameter, its
// gradient and two state slots.
type vecPass struct {
	run        func(p *vecPass, lo, hi int)
	w, g, a, b []float32
	lr, alpha  float32
	eps        float32
	adam       vec.AdamParams
}

func (p *vecPass) Run(lo, hi int) { p.run(p, lo, hi) }

// do runs the pass over all of w, in parallel for large parameters.
func (p *vecPass) do(run func(p *vecPass, lo, hi int), w, g, a, b []float32) {
	p.run, p.w, p.g, p.a, p.b = run, w, g, a, b
	kernels.For(len(w), updateGrain, p)
	p.w, p.g, p.a, p.b = nil, nil, nil, nil
}

// updateGrain is the least number of elements per thread of an optimizer
// update. Below 2·2¹⁷ elements (the CartPole and MinAtar nets' weights) the
// hand-off to a second thread costs about what it saves: with 2¹⁵ their
// steps took 5–15% longer on two threads than on one.
const updateGrain = 1 << 17

func rmspropRange(p *vecPass, lo, hi int) {
	vec.RMSProp(p.w[lo:hi], p.g[lo:hi], p.a[lo:hi], p.lr, p.alpha, p.eps)
}

func rmspropCenteredRange(p *vecPass, lo, hi int) {
	vec.RMSPropCentered(p.w[lo:hi], p.g[lo:hi], p.a[lo:hi], p.b[lo:hi], p.lr, p.alpha, p.eps)
}

func adamRange(p *vecPass, lo, hi int) {
	vec.Adam(p.w[lo:hi], p.g[lo:hi], p.a[lo:hi], p.b[lo:hi], p.adam)
}

func zeroRange(p *vecPass, lo, hi int) { clear(p.g[lo:hi]) }

// zeroGrain is the least number of gradient elements per thread for
// ZeroGrad (1 MiB, some 30 µs to clear): zeroing is memory speed, so only
// the largest weights (the Nature DQN's 3136×512) gain from a second thread.
const zeroGrain = 1 << 18

func deepmindRange(p *vecPass, lo, hi int) {
	vec.DeepMindRMSProp(p.w[lo:hi], p.g[lo:hi], p.a[lo:hi], p.b[lo:hi], p.lr, p.alpha, p.eps)
}

func newOptBase[T Float](params []*Param[T], lr float64, slots int) optBase[T] {
	o := optBase[T]{params: params, lr: lr}
	for range slots {
		for _, p := range params {
			o.bufs = append(o.bufs, New[T](p.Value.Shape...))
		}
	}
	return o
}

func (o *optBase[T]) slot(s, i int) []T { return o.bufs[s*len(o.params)+i].Data }

func (o *optBase[T]) ZeroGrad() {
	for _, p := range o.params {
		if g, ok := any(p.Grad.Data).([]float32); ok && len(g) >= 2*zeroGrain {
			o.pass.do(zeroRange, g, g, nil, nil) // split between threads
			continue
		}
		p.Grad.Zero()
	}
}

func (o *optBase[T]) LR() float64         { return o.lr }
func (o *optBase[T]) SetLR(lr float64)    { o.lr = lr }
func (o *optBase[T]) Steps() int64        { return o.steps }
func (o *optBase[T]) State() []*Tensor[T] { return o.bufs }

func (o *optBase[T]) SetState(steps int64, bufs []*Tensor[T]) error {
	if steps < 0 {
		return fmt.Errorf("net: optimizer state has negative step count %d", steps)
	}
	if len(bufs) != len(o.bufs) {
		return fmt.Errorf("net: optimizer state has %d buffers, want %d", len(bufs), len(o.bufs))
	}
	for i, b := range bufs {
		if !slices.Equal(b.Shape, o.bufs[i].Shape) {
			return fmt.Errorf("net: optimizer buffer %d has shape %v, want %v", i, b.Shape, o.bufs[i].Shape)
		}
	}
	for i, b := range bufs {
		copy(o.bufs[i].Data, b.Data)
	}
	o.steps = steps
	return nil
}

// SGDConfig configures stochastic gradient descent, as torch.optim.SGD.
type SGDConfig struct {
	LR float64 `json:"lr"`
	// Momentum μ: v ← μ·v + (1−dampening)·g; 0 disables it.
	Momentum  float64 `json:"momentum,omitempty"`
	Dampening float64 `json:"dampening,omitempty"`
	// Nesterov uses g + μ·v as the step direction.
	Nesterov bool `json:"nesterov,omitempty"`
	// WeightDecay λ adds λ·θ to the gradient (L2 regularisation).
	WeightDecay float64 `json:"weight_decay,omitempty"`
}

// Validate checks the configuration as torch.optim.SGD does.
func (c SGDConfig) Validate() error {
	switch {
	case !finiteNonNeg(c.LR):
		return fmt.Errorf("net: sgd: lr must be a finite number ≥ 0, got %v", c.LR)
	case !finiteNonNeg(c.Momentum):
		return fmt.Errorf("net: sgd: momentum must be ≥ 0, got %v", c.Momentum)
	case !finiteNonNeg(c.Dampening):
		return fmt.Errorf("net: sgd: dampening must be ≥ 0, got %v", c.Dampening)
	case !finiteNonNeg(c.WeightDecay):
		return fmt.Errorf("net: sgd: weight_decay must be ≥ 0, got %v", c.WeightDecay)
	case c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0):
		return fmt.Errorf("net: sgd: nesterov needs momentum > 0 and dampening 0")
	}
	return nil
}

func finiteNonNeg(x float64) bool { return x >= 0 && !math.IsInf(x, 0) }

// SGD is torch.optim.SGD: θ ← θ − lr·d with d = g (+ momentum).
type SGD[T Float] struct {
	optBase[T]
	cfg SGDConfig
}

// NewSGD returns SGD over params.
func NewSGD[T Float](params []*Param[T], cfg SGDConfig) *SGD[T] {
	slots := 0
	if cfg.Momentum != 0 {
		slots = 1
	}
	return &SGD[T]{optBase: newOptBase(params, cfg.LR, slots), cfg: cfg}
}

// Name returns "sgd".
func (o *SGD[T]) Name() string { return "sgd" }

// Step applies θ ← θ − lr·d.
func (o *SGD[T]) Step() {
	lr, mu, damp, wd := T(o.lr), T(o.cfg.Momentum), T(o.cfg.Dampening), T(o.cfg.WeightDecay)
	for i, p := range o.params {
		w, g := p.Value.Data, p.Grad.Data
		var v []T
		if mu != 0 {
			v = o.slot(0, i)
		}
		for j := range w {
			d := g[j]
			if wd != 0 {
				d += wd * w[j]
			}
			if mu != 0 {
				if o.steps == 0 {
					v[j] = d // PyTorch starts the buffer at the first gradient
				} else {
					v[j] = mu*v[j] + (1-damp)*d
				}
				if o.cfg.Nesterov {
					d += mu * v[j]
				} else {
					d = v[j]
				}
			}
			w[j] -= lr * d
		}
	}
	o.steps++
}

// RMSPropConfig configures RMSProp as torch.optim.RMSprop, with ε added
// outside the square root.
type RMSPropConfig struct {
	LR float64 `json:"lr"`
	// Alpha is the smoothing constant of the square average (PyTorch's alpha,
	// 0.99 by default; DQN uses 0.95).
	Alpha float64 `json:"alpha"`
	// Eps is added to the root mean square, outside the square root.
	Eps float64 `json:"eps"`
	// Centered divides by the estimated variance, √(E[g²] − E[g]²), instead of
	// the raw second moment.
	Centered bool `json:"centered,omitempty"`
	// Momentum μ: b ← μ·b + g/avg, θ ← θ − lr·b; 0 disables it.
	Momentum float64 `json:"momentum,omitempty"`
	// WeightDecay λ adds λ·θ to the gradient.
	WeightDecay float64 `json:"weight_decay,omitempty"`
}

// Validate checks the configuration as torch.optim.RMSprop does.
func (c RMSPropConfig) Validate() error {
	switch {
	case !finiteNonNeg(c.LR):
		return fmt.Errorf("net: rmsprop: lr must be a finite number ≥ 0, got %v", c.LR)
	case !(c.Alpha >= 0 && c.Alpha < 1):
		return fmt.Errorf("net: rmsprop: alpha must be in [0, 1), got %v", c.Alpha)
	case !finiteNonNeg(c.Eps):
		return fmt.Errorf("net: rmsprop: eps must be ≥ 0, got %v", c.Eps)
	case !finiteNonNeg(c.Momentum):
		return fmt.Errorf("net: rmsprop: momentum must be ≥ 0, got %v", c.Momentum)
	case !finiteNonNeg(c.WeightDecay):
		return fmt.Errorf("net: rmsprop: weight_decay must be ≥ 0, got %v", c.WeightDecay)
	}
	return nil
}

// DefaultRMSProp returns PyTorch's defaults: lr 0.01, α 0.99, ε 1e-8.
func DefaultRMSProp() RMSPropConfig { return RMSPropConfig{LR: 0.01, Alpha: 0.99, Eps: 1e-8} }

// RMSProp is torch.optim.RMSprop:
//
//	s ← α·s + (1−α)·g²
//	ḡ ← α·ḡ + (1−α)·g          (centered only)
//	avg = √(s − ḡ²) + ε        (centered) or √s + ε
//	θ ← θ − lr·g/avg           (or through the momentum buffer)
type RMSProp[T Float] struct {
	optBase[T]
	cfg RMSPropConfig
}

// NewRMSProp returns RMSProp over params, its state at zero.
func NewRMSProp[T Float](params []*Param[T], cfg RMSPropConfig) *RMSProp[T] {
	slots := 1 // square average
	if cfg.Centered {
		slots++
	}
	if cfg.Momentum > 0 {
		slots++
	}
	return &RMSProp[T]{optBase: newOptBase(params, cfg.LR, slots), cfg: cfg}
}

// Name returns "rmsprop".
func (o *RMSProp[T]) Name() string { return "rmsprop" }

// Step applies one RMSProp update.
func (o *RMSProp[T]) Step() {
	lr, alpha, eps, mu, wd := T(o.lr), T(o.cfg.Alpha), T(o.cfg.Eps), T(o.cfg.Momentum), T(o.cfg.WeightDecay)
	for i, p := range o.params {
		w, g := p.Value.Data, p.Grad.Data
		sq := o.slot(0, i)
		var gavg, buf []T
		s := 1
		if o.cfg.Centered {
			gavg = o.slot(s, i)
			s++
		}
		if mu > 0 {
			buf = o.slot(s, i)
		}
		if wd == 0 && buf == nil {
			// The common cases, vectorised (same float32 operations).
			if w32, ok := any(w).([]float32); ok {
				g32, sq32 := any(g).([]float32), any(sq).([]float32)
				o.pass.lr, o.pass.alpha, o.pass.eps = float32(lr), float32(alpha), float32(eps)
				if gavg == nil {
					o.pass.do(rmspropRange, w32, g32, sq32, nil)
				} else {
					o.pass.do(rmspropCenteredRange, w32, g32, sq32, any(gavg).([]float32))
				}
				continue
			}
		}
		for j := range w {
			gj := g[j]
			if wd != 0 {
				gj += wd * w[j]
			}
			sq[j] = alpha*sq[j] + (1-alpha)*(gj*gj)
			var avg T
			if gavg != nil {
				gavg[j] = alpha*gavg[j] + (1-alpha)*gj
				avg = T(math.Sqrt(float64(sq[j]-gavg[j]*gavg[j]))) + eps
			} else {
				avg = T(math.Sqrt(float64(sq[j]))) + eps
			}
			if buf != nil {
				buf[j] = mu*buf[j] + gj/avg
				w[j] -= lr * buf[j]
			} else {
				w[j] -= lr * (gj / avg)
			}
		}
	}
	o.steps++
}

// AdamConfig configures Adam as torch.optim.Adam.
type AdamConfig struct {
	LR    float64 `json:"lr"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
	// WeightDecay λ adds λ·θ to the gradient (L2, not AdamW's decoupled decay).
	WeightDecay float64 `json:"weight_decay,omitempty"`
}

// Validate checks the configuration as torch.optim.Adam does.
func (c AdamConfig) Validate() error {
	switch {
	case !finiteNonNeg(c.LR):
		return fmt.Errorf("net: adam: lr must be a finite number ≥ 0, got %v", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("net: adam: betas must be in [0, 1), got %v, %v", c.Beta1, c.Beta2)
	case !finiteNonNeg(c.Eps):
		return fmt.Errorf("net: adam: eps must be ≥ 0, got %v", c.Eps)
	case !finiteNonNeg(c.WeightDecay):
		return fmt.Errorf("net: adam: weight_decay must be ≥ 0, got %v", c.WeightDecay)
	}
	return nil
}

// DefaultAdam returns PyTorch's defaults: lr 1e-3, β (0.9, 0.999), ε 1e-8.
func DefaultAdam() AdamConfig { return AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Adam is torch.optim.Adam (Kingma & Ba 2015), with bias correction:
//
//	m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²
//	θ ← θ − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)
type Adam[T Float] struct {
	optBase[T]
	cfg AdamConfig
}

// NewAdam returns Adam over params, its moments at zero.
func NewAdam[T Float](params []*Param[T], cfg AdamConfig) *Adam[T] {
	return &Adam[T]{optBase: newOptBase(params, cfg.LR, 2), cfg: cfg}
}

// Name returns "adam".
func (o *Adam[T]) Name() string { return "adam" }

// Step applies one Adam update.
func (o *Adam[T]) Step() {
	o.steps++
	t := float64(o.steps)
	b1, b2, eps, wd := T(o.cfg.Beta1), T(o.cfg.Beta2), T(o.cfg.Eps), T(o.cfg.WeightDecay)
	stepSize := T(o.lr / (1 - math.Pow(o.cfg.Beta1, t)))
	bc2Sqrt := T(math.Sqrt(1 - math.Pow(o.cfg.Beta2, t)))
	for i, p := range o.params {
		w, g := p.Value.Data, p.Grad.Data
		m, v := o.slot(0, i), o.slot(1, i)
		if w32, ok := any(w).([]float32); ok && wd == 0 {
			// Vectorised, with the same float32 operations as the loop below.
			o.pass.adam = vec.AdamParams{Beta1: float32(b1), Beta2: float32(b2), Eps: float32(eps), Step: float32(stepSize), BC2: float32(bc2Sqrt)}
			o.pass.do(adamRange, w32, any(g).([]float32), any(m).([]float32), any(v).([]float32))
			continue
		}
		for j := range w {
			gj := g[j]
			if wd != 0 {
				gj += wd * w[j]
			}
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*(gj*gj)
			denom := T(math.Sqrt(float64(v[j])))/bc2Sqrt + eps
			w[j] -= stepSize * (m[j] / denom)
		}
	}
}

// DeepMindRMSPropConfig configures the RMSProp variant of the Nature DQN
// (Mnih et al. 2015; Graves 2013), with ε inside the square root.
type DeepMindRMSPropConfig struct {
	// LR is the learning rate (0.00025 in the Nature DQN).
	LR float64 `json:"lr"`
	// Alpha is the decay of both running averages (the paper's gradient
	// momentum and squared gradient momentum, 0.95).
	Alpha float64 `json:"alpha"`
	// Eps is added to the centered second moment inside the square root (the
	// paper's min squared gradient, 0.01).
	Eps float64 `json:"eps"`
	// WeightDecay λ adds λ·θ to the gradient (DeepMind's weight cost; 0 in
	// the paper).
	WeightDecay float64 `json:"weight_decay,omitempty"`
}

// DefaultDeepMindRMSProp returns the Nature DQN's settings: lr 0.00025,
// α 0.95, ε 0.01.
func DefaultDeepMindRMSProp() DeepMindRMSPropConfig {
	return DeepMindRMSPropConfig{LR: 0.00025, Alpha: 0.95, Eps: 0.01}
}

// Validate checks the configuration.
func (c DeepMindRMSPropConfig) Validate() error {
	switch {
	case !finiteNonNeg(c.LR):
		return fmt.Errorf("net: deepmind_rmsprop: lr must be a finite number ≥ 0, got %v", c.LR)
	case !(c.Alpha >= 0 && c.Alpha < 1):
		return fmt.Errorf("net: deepmind_rmsprop: alpha must be in [0, 1), got %v", c.Alpha)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("net: deepmind_rmsprop: eps must be > 0 (the Nature DQN uses 0.01), got %v", c.Eps)
	case !finiteNonNeg(c.WeightDecay):
		return fmt.Errorf("net: deepmind_rmsprop: weight_decay must be ≥ 0, got %v", c.WeightDecay)
	}
	return nil
}

// DeepMindRMSProp is the centered RMSProp of the Nature DQN's Lua code
// (dqn/NeuralQLearner.lua), without a momentum buffer and with ε inside the
// square root:
//
//	ḡ ← α·ḡ + (1−α)·g
//	s ← α·s + (1−α)·g²
//	θ ← θ − lr·g/√(s − ḡ² + ε)
//
// Both averages start at zero. State() is [ḡ…, s…].
type DeepMindRMSProp[T Float] struct {
	optBase[T]
	cfg DeepMindRMSPropConfig
}

// NewDeepMindRMSProp returns DeepMind's RMSProp over params, its state at zero.
func NewDeepMindRMSProp[T Float](params []*Param[T], cfg DeepMindRMSPropConfig) *DeepMindRMSProp[T] {
	return &DeepMindRMSProp[T]{optBase: newOptBase(params, cfg.LR, 2), cfg: cfg}
}

// Name returns "deepmind_rmsprop".
func (o *DeepMindRMSProp[T]) Name() string { return "deepmind_rmsprop" }

// Step applies one update.
func (o *DeepMindRMSProp[T]) Step() {
	lr, alpha, eps, wd := T(o.lr), T(o.cfg.Alpha), T(o.cfg.Eps), T(o.cfg.WeightDecay)
	for i, p := range o.params {
		w, g := p.Value.Data, p.Grad.Data
		gavg, sq := o.slot(0, i), o.slot(1, i)
		if w32, ok := any(w).([]float32); ok && wd == 0 {
			// Vectorised, with the same float32 operations as the loop below.
			o.pass.lr, o.pass.alpha, o.pass.eps = float32(lr), float32(alpha), float32(eps)
			o.pass.do(deepmindRange, w32, any(g).([]float32), any(gavg).([]float32), any(sq).([]float32))
			continue
		}
		for j := range w {
			gj := g[j]
			if wd != 0 {
				gj += wd * w[j]
			}
			gavg[j] = alpha*gavg[j] + (1-alpha)*gj
			sq[j] = alpha*sq[j] + (1-alpha)*(gj*gj)
			w[j] -= lr * gj / T(math.Sqrt(float64(sq[j]-gavg[j]*gavg[j]+eps)))
		}
	}
	o.steps++
}
