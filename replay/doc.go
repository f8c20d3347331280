// Package replay holds experience replay memories for off-policy learners.
//
// A Buffer is a fixed-capacity ring of transitions (s, a, r, s′, terminated)
// stored in flat arrays allocated once: adding and sampling allocate nothing.
// When full, the oldest transition is overwritten.
//
// Sampling fills a caller-owned Batch. Its Discounts field is the factor of the
// bootstrap term of the TD target, γ for a transition that did not terminate and
// 0 for one that did, so a learner computes
//
//	y = r + Discount · max_a′ Q_target(s′, a′)
//
// A transition cut off by a time limit (truncated, not terminated) keeps its
// discount: the state is not terminal and its value is bootstrapped from s′.
//
//	buf, _ := replay.New(replay.Config{Capacity: 10000, ObsSize: 4, Gamma: 0.99})
//	buf.Add(obs, action, reward, nextObs, terminated)
//	batch := replay.NewBatch(32, 4)
//	buf.Sample(rng, batch)
package replay
