package agent

import (
	"testing"
)

// BenchmarkTrainingCleanRL runs the whole of CleanRL's CartPole DQN (the
// cartpole-cleanrl preset: 500k environment steps, 49k gradient steps at
// batch 128) and reports env-steps/s, acting, replay and learning included,
// to compare with the steps per second CleanRL's dqn.py prints.
func BenchmarkTrainingCleanRL(b *testing.B) {
	steps := int64(0)
	for b.Loop() {
		cfg, err := Preset("cartpole-cleanrl")
		if err != nil {
			b.Fatal(err)
		}
		cfg.FinalEvalEpisodes = 0
		res := runTrainer(b, cfg)
		steps += res.Steps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "env-steps/s")
}
