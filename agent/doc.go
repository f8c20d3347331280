// Package agent implements DQN (Mnih et al. 2015) and its training loop.
//
// A Trainer owns an env, a replay buffer and a DQN learner, all seeded from
// Config.Seed. Each environment step it acts ε-greedily, stores the
// transition, and every TrainFreq steps takes GradientSteps gradient steps on
// the TD target
//
//	y = r + γ·(1 − terminated)·max_a′ Q_target(s′, a′)
//
// (bootstrapping on time-limit truncation, not on termination), updating the
// target network every TargetUpdateInterval gradient steps. It evaluates the
// greedy policy on separately seeded env copies every EvalEvery steps, keeps
// the best model, and reports everything to Observers, through which metrics,
// logs and viewers watch without the agent knowing them.
//
//	cfg, _ := agent.Preset("cartpole")
//	cfg.Seed = 3
//	tr, _ := agent.NewTrainer(cfg)
//	res, _ := tr.Run(context.Background())
//	fmt.Println(res.Final.Mean)
//
// The same Config and seed give the same run, step for step.
package agent
