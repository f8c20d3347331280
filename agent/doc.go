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
// Config.Distributional swaps the regression on y for a distributional
// loss, with the same n-step transitions, Double DQN selection of a′ and
// prioritized replay (each sample's loss is its priority): C51's
// cross-entropy against Φ(r + γⁿ·z) projected on the support, QR-DQN's and
// IQN's quantile Huber loss against r + γⁿ·θ′ (IQN at sampled τ, τ′).
// Config.Noisy puts NoisyNet layers in the head, whose noise, drawn anew for
// each gradient step and each action, replaces ε. Actors and evaluation act
// on the expected Q (Σᵢ zᵢ·pᵢ, the mean of the quantiles, or IQN's mean over
// K sampled τ), so the policies are those of DQN. Rainbow (Hessel et al.
// 2018) is Double + dueling + n-step + prioritized + C51 + noisy, each a
// switch; the "rainbow" preset is its MinAtar setting. MeanQ acts on the
// mean Q of several networks (an ensemble of checkpoints).
// Config.BootstrapHeads makes the agent Bootstrapped DQN (Osband et al.
// 2016): K heads on the shared body, each with its target head and trained
// only on the transitions its bit of the replay's bootstrap mask includes;
// the actor follows one head, drawn per episode (HeadQ), and evaluation the
// heads' mean Q.
//
// Config.Precision "bf16" runs the online and target networks' matrix
// multiplies in bf16 mixed precision (net.BF16) over float32 master
// weights; Config.ReplayStorage "float16" or "bf16" keeps float
// observations in 2 bytes; Checkpoint.Export writes the online network
// alone with float16 or bfloat16 weights. What each does to CartPole is
// measured by TestHalfStorageCartPole (replay), TestSixteenBitCartPole and
// TestCartPoleBF16Learns (long runs); the README's "Mixed precision and
// 16-bit storage" has the figures.
//
// Config.Recurrent makes the agent R2D2's (Kapturowski et al. 2019), for
// partially observed envs (cartpole-pomdp, mountaincar-pomdp, flickering
// MinAtar): the Q-network is a torso, an LSTM and a head
// (net.Recurrent); the actor carries the LSTM state (h, c) through each
// episode from zeros (RecurrentActing), a SequenceAdder cuts its steps into
// overlapping sequences with the state at their start
// (replay.SequenceBuffer), and the learner (RecurrentDQN, SequenceLearner)
// burns the state in from the stored one over up to SeqBurnIn steps
// without gradient, then learns from n-step Double DQN targets inside each
// sequence, masked at episode ends, with sequence priorities
// η·max|δ| + (1−η)·mean|δ|. Evaluation, deepq eval and play carry a state
// per episode (RecurrentQ, a Memory); checkpoints carry the actor's state
// and the sequence replay, so a resumed run is the straight one.
//
// The same Config and seed give the same run, step for step.
package agent
