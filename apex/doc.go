// Package apex runs DQN as Ape-X (Horgan et al. 2018): many actors, each with
// its own ε, step envs and compute their transitions' initial priorities;
// one learner samples prioritized replay, updates, and publishes parameters
// that the actors pull. They talk over NATS (JetStream): a server embedded
// in the learner's process by default (StartServer, loopback only unless
// given credentials), or any NATS server or cluster.
//
// Per run (NamesFor):
//
//	stream  DEEPQ_<run>        subjects deepq.<run>.exp.<i>: experience batches,
//	                           work-queue retention, at most Backlog.MaxMsgs
//	                           batches / MaxBytes bytes, discard "new": a full
//	                           backlog refuses batches, which actors count as dropped
//	objects DEEPQ_<run>_params "params": online and target networks, versioned
//	                           (gradient steps), every LearnerConfig.PublishEvery steps
//	kv      DEEPQ_<run>_run    "info": the learner's agent.Config and the env's spaces
//
// An actor (RunActor) is an agent.Actor whose Adder (Adder) builds n-step
// transitions and their priorities |δ| from its copy of the networks and
// sends them Steps at a time as a Batch: the newest frame of each
// observation in the replay's storage (float32, uint8, or bits for MinAtar)
// and 11 bytes per step besides (BytesPerTransition: 29 bytes for CartPole,
// 11 + ⌈400/8⌉ = 61 for a 10×10×4 MinAtar frame). Actor i of N explores with
// ε_i = 0.4^(1 + 7i/(N−1)) (Epsilon) and takes the newest parameters between
// batches.
//
// The learner (Learner) gives actor i stream i of its replay, adds each
// batch's steps with the actors' priorities (replay.Buffer.SetPriority),
// closes an actor's episode where its batches have a gap (a dropped batch, a
// restarted actor), takes gradient steps at a fixed replay ratio, publishes
// its parameters and checkpoints in the agent checkpoint format (deepq eval
// reads it), resuming from latest.ckpt when restarted.
//
//	srv, _ := apex.StartServer(apex.ServerConfig{})        // 127.0.0.1, a free port
//	nc, _ := apex.Connect(apex.ClientConfig{URL: srv.ClientURL()})
//	l, _ := apex.NewLearner(makeEnv, apex.DefaultLearnerConfig(cfg), nil)
//	go l.Run(ctx, nc)
//	apex.RunActor(ctx, nc2, apex.DefaultActorConfig(0, 1), env.Make, nil)
package apex
