package agent

import "fmt"

// LambdaReturns computes the Q(λ) targets of PQN (Gallici et al. 2025,
// following Peng & Williams' Q(λ)) over a rollout of T steps of N copies,
// backwards in time. All slices are (T, N) time-major: element t·N+i is step
// t of copy i.
//
//	r[t]     the reward of step t;
//	term[t]  the step ended its episode in a terminal state;
//	cut[t]   the step is the last one whose successor the rollout holds:
//	         its episode ended (terminated or truncated), or t = T−1;
//	v[t]     max_a Q(s′, a) for the step's successor s′: the next
//	         observation, or the final one of an ended episode (so that a
//	         truncated step bootstraps from the state the time limit cut,
//	         not from the next episode's first);
//
// and the target, with γ the discount and λ the trace parameter, is
//
//	G[t] = r[t]                                        if term[t]
//	G[t] = r[t] + γ·v[t]                               if cut[t]
//	G[t] = r[t] + γ·((1−λ)·v[t] + λ·G[t+1])            otherwise
//
// which unrolls to the forward view, the λ-weighted mixture of the n-step
// returns G⁽ⁿ⁾ = Σₖ₌₀ⁿ⁻¹ γᵏ r[t+k] + γⁿ v[t+n−1] up to the segment's end
// at step t+m−1: G = (1−λ) Σₙ₌₁ᵐ⁻¹ λⁿ⁻¹ G⁽ⁿ⁾ + λᵐ⁻¹ G⁽ᵐ⁾. λ = 0 gives
// one-step Q-learning targets, λ = 1 Monte Carlo returns bootstrapped at the
// rollout's end. Sums are in float64.
func LambdaReturns(g []float32, r []float64, term, cut []bool, v []float32, T, N int, gamma, lambda float64) {
	n := T * N
	if len(g) != n || len(r) != n || len(term) != n || len(cut) != n || len(v) != n {
		panic(fmt.Sprintf("agent: LambdaReturns: lengths %d %d %d %d %d for (T, N) = (%d, %d)",
			len(g), len(r), len(term), len(cut), len(v), T, N))
	}
	for t := T - 1; t >= 0; t-- {
		for i := range N {
			k := t*N + i
			y := r[k]
			switch {
			case term[k]: // no bootstrap after a terminal state
			case cut[k] || t == T-1:
				y += gamma * float64(v[k])
			default:
				y += gamma * ((1-lambda)*float64(v[k]) + lambda*float64(g[k+N]))
			}
			g[k] = float32(y)
		}
	}
}
