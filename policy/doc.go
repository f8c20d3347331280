// Package policy turns Q-values into actions: ε-greedy exploration with its
// schedules for training, greedy selection for evaluation.
//
// A Schedule maps a step count to a value (ε, a temperature, a learning
// rate). EpsilonGreedy draws a uniformly random action with probability ε(t)
// and otherwise the greedy one; it asks for Q-values only when it needs them,
// so exploration steps cost no forward pass.
//
//	p := policy.EpsilonGreedy{Epsilon: policy.Linear{Start: 1, End: 0.05, Steps: 10000}}
//	a := p.Act(step, obs, qnet, rng)
package policy
