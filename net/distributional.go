package net

import (
	"fmt"
	"math"
)

// This file holds the numerical core of distributional Q-learning: the
// categorical (C51) projection and cross-entropy of Bellemare, Dabney & Munos
// (2017), and the quantile Huber loss of QR-DQN (Dabney et al. 2018a) and IQN
// (Dabney et al. 2018b). Every loss works on rows, one per sample: (B, N)
// tensors, row-major. The network heads that produce the rows are
// CategoricalLayer (C51 logits) and, for quantiles, any layer whose output
// is read as (B, A, N); GatherAction picks the chosen action's row and
// ScatterAction puts its gradient back.

// Support is the fixed support of a categorical return distribution:
//
//	zᵢ = VMin + i·Δz,  Δz = (VMax − VMin)/(Atoms − 1),  i = 0 … Atoms−1
//
// as torch.linspace(v_min, v_max, atoms) computes it (from VMin for the lower
// half of the indices and from VMax for the upper half, so that both ends are
// exact).
type Support struct {
	// VMin and VMax are the smallest and largest atoms (C51: −10, 10).
	VMin, VMax float64
	// Atoms is the number of atoms, ≥ 2 (C51: 51).
	Atoms int
}

// Validate reports an error naming the field that is wrong.
func (s Support) Validate() error {
	if s.Atoms < 2 || s.Atoms > maxWidth {
		return fmt.Errorf("net: support: atoms must be in [2, %d], got %d", maxWidth, s.Atoms)
	}
	if math.IsNaN(s.VMin) || math.IsInf(s.VMin, 0) || math.IsNaN(s.VMax) || math.IsInf(s.VMax, 0) || !(s.VMin < s.VMax) {
		return fmt.Errorf("net: support: need finite v_min < v_max, got v_min %v, v_max %v", s.VMin, s.VMax)
	}
	return nil
}

// DeltaZ returns the spacing Δz = (VMax − VMin)/(Atoms − 1).
func (s Support) DeltaZ() float64 { return (s.VMax - s.VMin) / float64(s.Atoms-1) }

// Z returns the atom zᵢ, exactly as torch.linspace.
func (s Support) Z(i int) float64 {
	step := s.DeltaZ()
	if i < s.Atoms/2 {
		return s.VMin + step*float64(i)
	}
	return s.VMax - step*float64(s.Atoms-1-i)
}

// Values returns the whole support z (Atoms).
func (s Support) Values() []float64 {
	z := make([]float64, s.Atoms)
	for i := range z {
		z[i] = s.Z(i)
	}
	return z
}

// ProjectCategorical computes the C51 target distribution m (B, N) of
// Bellemare et al. (2017), Algorithm 1: the distribution of
//
//	T̂zⱼ = clip(r_b + γ_b·zⱼ, VMin, VMax)
//
// with next-state probabilities pⱼ = next (B, N), projected onto the support:
// with bⱼ = (T̂zⱼ − VMin)/Δz, l = ⌊bⱼ⌋, u = ⌈bⱼ⌉,
//
//	m_l += pⱼ·(u − bⱼ),  m_u += pⱼ·(bⱼ − l)
//
// and, when bⱼ falls exactly on an atom (l = u), m_l += pⱼ: all the mass goes
// there (the paper's two lines would drop it). reward and discount are (B);
// discount_b is (1 − done_b)·γⁿ for an n-step transition (0 when it
// terminated, so that the whole mass lands on clip(r)). The arithmetic is in
// float64 for either element type, so that a target on an atom is found
// exactly. N = s.Atoms; m is overwritten. A reward or discount that is not
// finite panics: it is a bug upstream, not a target.
func ProjectCategorical[T Float](s Support, next, reward, discount, m []T) {
	n := s.Atoms
	bs := len(reward)
	if len(discount) != bs || len(next) != bs*n || len(m) != bs*n {
		panic(fmt.Sprintf("net: ProjectCategorical: next %d, reward %d, discount %d, m %d elements for %d atoms",
			len(next), len(reward), len(discount), len(m), n))
	}
	dz := s.DeltaZ()
	row := make([]float64, n)
	for b := range bs {
		clear(row)
		r, g := float64(reward[b]), float64(discount[b])
		if math.IsNaN(r) || math.IsInf(r, 0) || math.IsNaN(g) || math.IsInf(g, 0) {
			panic(fmt.Sprintf("net: ProjectCategorical: sample %d has reward %v and discount %v, not finite", b, r, g))
		}
		for j, p := range next[b*n : (b+1)*n] {
			tz := min(max(r+g*s.Z(j), s.VMin), s.VMax)
			// (VMax − VMin)/Δz can round above N − 1 (e.g. 61.00000000000001
			// for 62 atoms on [−10, 10]): clamp, as CleanRL clamps l and u.
			bj := min((tz-s.VMin)/dz, float64(n-1))
			l, u := math.Floor(bj), math.Ceil(bj)
			pj := float64(p)
			if l == u {
				row[int(l)] += pj
				continue
			}
			row[int(l)] += pj * (u - bj)
			row[int(u)] += pj * (bj - l)
		}
		for i, v := range row {
			m[b*n+i] = T(v)
		}
	}
}

// CategoricalCrossEntropy computes the C51 loss of logits (B, N) against
// target distributions m (B, N), per sample
//
//	ℓ_b = −Σᵢ m_bi·log softmax(logits_b)ᵢ
//
// and returns L = (1/B) Σ_b w_b·ℓ_b, with w = weights (B), or all ones if
// weights is nil (importance-sampling weights of prioritized replay go there).
// It writes ∂L/∂logits into grad (B, N):
//
//	∂L/∂logits_bi = (w_b/B)·(p_bi·Σⱼ m_bj − m_bi),  p_b = softmax(logits_b)
//
// and, if perSample is not nil, the unweighted ℓ_b into perSample (B): the
// priorities of prioritized replay (Rainbow uses the cross-entropy, i.e. the
// KL divergence up to a constant, as the priority). The softmax is computed
// with the maximum subtracted, in float64.
func CategoricalCrossEntropy[T Float](logits, m []T, atoms int, weights, grad, perSample []T) float64 {
	if atoms < 1 || len(logits)%atoms != 0 {
		panic(fmt.Sprintf("net: CategoricalCrossEntropy: %d logits are not rows of %d atoms", len(logits), atoms))
	}
	bs := len(logits) / atoms
	if len(m) != len(logits) || len(grad) != len(logits) || (weights != nil && len(weights) != bs) || (perSample != nil && len(perSample) != bs) {
		panic(fmt.Sprintf("net: CategoricalCrossEntropy: logits %d, target %d, grad %d, weights %d, perSample %d elements for %d rows of %d",
			len(logits), len(m), len(grad), len(weights), len(perSample), bs, atoms))
	}
	if bs == 0 {
		return 0
	}
	total := 0.0
	for b := range bs {
		x, mb, g := logits[b*atoms:(b+1)*atoms], m[b*atoms:(b+1)*atoms], grad[b*atoms:(b+1)*atoms]
		lse := logSumExp(x)
		l, msum := 0.0, 0.0
		for i, v := range x {
			mi := float64(mb[i])
			l -= mi * (float64(v) - lse)
			msum += mi
		}
		w := 1.0
		if weights != nil {
			w = float64(weights[b])
		}
		if perSample != nil {
			perSample[b] = T(l)
		}
		total += w * l
		scale := w / float64(bs)
		for i, v := range x {
			pi := math.Exp(float64(v) - lse)
			g[i] = T(scale * (pi*msum - float64(mb[i])))
		}
	}
	return total / float64(bs)
}

// logSumExp returns log Σᵢ e^(xᵢ), computed as m + log Σᵢ e^(xᵢ−m) with
// m = max x.
func logSumExp[T Float](x []T) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// CategoricalQ turns C51 logits (B, A, N) into probabilities and
// expected values: p_ba = softmax(logits_ba) over the N atoms (with the
// maximum subtracted, in float64), written into probs (B, A, N) if it is not
// nil, and
//
//	Q(s_b, a) = Σᵢ zᵢ·p_bai  -> q (B, A)
//
// N = s.Atoms; A = len(q)/B is implied by the lengths.
func CategoricalQ[T Float](s Support, logits, probs, q []T) {
	n := s.Atoms
	if len(logits) != len(q)*n || (probs != nil && len(probs) != len(logits)) {
		panic(fmt.Sprintf("net: CategoricalQ: logits %d, probs %d, q %d elements for %d atoms", len(logits), len(probs), len(q), n))
	}
	for r := range q {
		x := logits[r*n : (r+1)*n]
		m := math.Inf(-1)
		for _, v := range x {
			m = max(m, float64(v))
		}
		sum, zsum := 0.0, 0.0
		for i, xi := range x {
			e := math.Exp(float64(xi) - m)
			sum += e
			zsum += s.Z(i) * e
			if probs != nil {
				probs[r*n+i] = T(e)
			}
		}
		q[r] = T(zsum / sum)
		if probs != nil {
			for i := range x {
				probs[r*n+i] = T(float64(probs[r*n+i]) / sum)
			}
		}
	}
}

// GatherAction copies the rows of the chosen actions out of x (B, A, N):
//
//	out[b, :] = x[b, actions[b], :]  -> out (B, N)
//
// as torch.gather along dimension 1; N = len(out)/B.
func GatherAction[T Float](x []T, actions []int, out []T) {
	bs := len(actions)
	if bs == 0 {
		return
	}
	n := len(out) / bs
	if n == 0 || len(out) != bs*n || len(x)%(bs*n) != 0 {
		panic(fmt.Sprintf("net: GatherAction: x %d, out %d elements for %d actions", len(x), len(out), bs))
	}
	na := len(x) / (bs * n)
	for b, a := range actions {
		if a < 0 || a >= na {
			panic(fmt.Sprintf("net: GatherAction: action %d of sample %d is not in [0, %d)", a, b, na))
		}
		copy(out[b*n:(b+1)*n], x[(b*na+a)*n:(b*na+a+1)*n])
	}
}

// ScatterAction is GatherAction's backward: it zeroes dx (B, A, N) and puts
// each row g[b, :] (B, N) at dx[b, actions[b], :], the gradient of the
// gathered rows with respect to x.
func ScatterAction[T Float](g []T, actions []int, dx []T) {
	clear(dx)
	bs := len(actions)
	if bs == 0 {
		return
	}
	n := len(g) / bs
	if n == 0 || len(g) != bs*n || len(dx)%(bs*n) != 0 {
		panic(fmt.Sprintf("net: ScatterAction: g %d, dx %d elements for %d actions", len(g), len(dx), bs))
	}
	na := len(dx) / (bs * n)
	for b, a := range actions {
		if a < 0 || a >= na {
			panic(fmt.Sprintf("net: ScatterAction: action %d of sample %d is not in [0, %d)", a, b, na))
		}
		copy(dx[(b*na+a)*n:(b*na+a+1)*n], g[b*n:(b+1)*n])
	}
}

// QuantileHuberLoss is the loss of QR-DQN (Dabney et al. 2018a, eq. 10) and
// IQN (Dabney et al. 2018b, eq. 3) of quantile estimates theta (B, N) at
// fractions τ (B, N) against target samples (B, N′):
//
//	u_bij = target_bj − theta_bi
//	ρ(u) = |τ_bi − 1{u < 0}|·H_κ(u)/κ,  H_κ(u) = ½u² if |u| ≤ κ, κ(|u| − ½κ) otherwise
//	ℓ_b = (1/N′) Σⱼ Σᵢ ρ(u_bij)     (sum over the N estimates, mean over the N′ targets)
//	L = (1/B) Σ_b w_b·ℓ_b
//
// tau (B, N) holds each sample's fractions (IQN's sampled τ); nil means
// QR-DQN's fixed midpoints τᵢ = (i + 0.5)/N for every sample. weights (B) may
// be nil (all ones). It returns L, writes
//
//	∂L/∂theta_bi = −(w_b/(B·N′)) Σⱼ |τ_bi − 1{u_bij < 0}|·H′_κ(u_bij)/κ,  H′_κ(u) = clip(u, −κ, κ)
//
// into grad (B, N), and, if perSample is not nil, the unweighted ℓ_b into
// perSample (B) (priorities for prioritized replay). κ must be > 0 (1 in both
// papers). The target is a constant: no gradient flows to it.
func QuantileHuberLoss[T Float](theta, tau, target []T, bs int, kappa float64, weights, grad, perSample []T) float64 {
	if bs < 0 || (bs == 0 && len(theta)+len(target) != 0) || (bs > 0 && (len(theta)%bs != 0 || len(target)%bs != 0)) {
		panic(fmt.Sprintf("net: QuantileHuberLoss: theta %d and target %d elements are not %d rows", len(theta), len(target), bs))
	}
	if bs == 0 {
		return 0
	}
	n, nt := len(theta)/bs, len(target)/bs
	if n == 0 || nt == 0 || len(grad) != len(theta) || (tau != nil && len(tau) != len(theta)) ||
		(weights != nil && len(weights) != bs) || (perSample != nil && len(perSample) != bs) {
		panic(fmt.Sprintf("net: QuantileHuberLoss: theta %d, tau %d, target %d, grad %d, weights %d, perSample %d elements for %d rows",
			len(theta), len(tau), len(target), len(grad), len(weights), len(perSample), bs))
	}
	if !(kappa > 0) || math.IsInf(kappa, 0) {
		panic(fmt.Sprintf("net: QuantileHuberLoss: κ must be finite and > 0, got %v", kappa))
	}
	total := 0.0
	for b := range bs {
		w := 1.0
		if weights != nil {
			w = float64(weights[b])
		}
		th, tg, g := theta[b*n:(b+1)*n], target[b*nt:(b+1)*nt], grad[b*n:(b+1)*n]
		l := 0.0
		for i, ti := range th {
			var taui float64
			if tau != nil {
				taui = float64(tau[b*n+i])
			} else {
				taui = (float64(i) + 0.5) / float64(n)
			}
			li, di := 0.0, 0.0
			for _, tj := range tg {
				u := float64(tj) - float64(ti)
				k := taui
				if u < 0 {
					k = 1 - taui
				}
				var h, dh float64
				if a := math.Abs(u); a <= kappa {
					h, dh = 0.5*u*u, u
				} else {
					h, dh = kappa*(a-0.5*kappa), math.Copysign(kappa, u)
				}
				li += k * h
				di += k * dh
			}
			l += li
			g[i] = T(-w * di / (kappa * float64(bs*nt)))
		}
		l /= kappa * float64(nt)
		if perSample != nil {
			perSample[b] = T(l)
		}
		total += w * l
	}
	return total / float64(bs)
}

// QuantileQ returns QR-DQN's action values from quantiles theta (B, A, N),
// e.g. the output of Dense(A·N) read as (B, A, N):
//
//	Q(s_b, a) = (1/N) Σᵢ theta_bai  -> q (B, A)
//
// N = len(theta)/len(q).
func QuantileQ[T Float](theta, q []T) {
	if len(q) == 0 || len(theta)%len(q) != 0 || len(theta) == 0 {
		panic(fmt.Sprintf("net: QuantileQ: theta %d elements are not rows for q %d", len(theta), len(q)))
	}
	n := len(theta) / len(q)
	for r := range q {
		s := 0.0
		for _, v := range theta[r*n : (r+1)*n] {
			s += float64(v)
		}
		q[r] = T(s / float64(n))
	}
}
