// Package policy turns Q-values into actions: ε-greedy and Boltzmann
// exploration for training, greedy selection (first or random among ties)
// for evaluation, on one observation or a batch of them (a vector env).
//
// ε and temperatures follow a schedule.Schedule of the step count.
// EpsilonGreedy draws a uniformly random action with probability ε(t) and
// otherwise the greedy one; it asks for Q-values only when it needs them, so
// exploration steps cost no forward pass. Every draw comes from the caller's
// *rand.Rand, in a fixed order.
//
//	p := policy.EpsilonGreedy{Epsilon: schedule.Linear{Start: 1, End: 0.05, Steps: 10000}, NumActions: 2}
//	a := p.Act(step, obs, qnet, rng)
package policy
