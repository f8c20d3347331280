// Package agent implements DQN (Mnih et al. 2015) from parts: an Actor, a
// Learner, and the training loop that composes them.
//
// An Actor steps an env: it chooses each action through a policy.Policy
// (uniform during the warm-up, then ε-greedy or Boltzmann) from its copy of
// the Q-network and hands the transition to an Adder, such as the replay
// buffer. A Learner samples batches from the replay, takes gradient steps of
// its DQN and publishes its parameters (Params, ParamStore). Neither knows
// where the other runs: in one goroutine (Trainer), two (see
// TestActorAndLearnerInTwoGoroutines) or two processes.
//
// A Trainer owns an env, a replay buffer, an actor and a learner, all
// seeded from Config.Seed; New builds one from any function that makes the
// env (no registration needed), NewTrainer from a registered env's name.
// Each environment step the actor acts and the transition goes into the
// replay; every TrainFreq steps the learner takes GradientSteps gradient
// steps on the TD target
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
//	tr, _ := agent.NewTrainer(cfg)        // or agent.New(makeMyEnv, agent.DefaultConfig())
//	tr.Observe(myObserver)                // before Run
//	res, _ := tr.Run(context.Background())
//	fmt.Println(res.Final.Mean)
//
// The same Config and seed give the same run, step for step.
package agent
