// Package run assembles training runs as `deepq train` does, for any Go
// program: the configuration from its layers (a preset, a JSON file in the
// format of config.json, key=value overrides, then explicit values), the run
// directory and what it holds, the log, checkpoints and resuming.
//
//	r, err := run.Open(run.Options{Env: "acrobot", Set: "n_step=3"})
//	if err != nil { ... }
//	defer r.Close()
//	r.Observe(myObserver) // before Train
//	res, err := r.Train(ctx)
//
// A PQN preset (Options.Preset "pqn-cartpole", "pqn-minatar") makes a PQN
// run (Run.PQN, agent.PQN) with the same directory, log, checkpoints and
// resume; its configuration layers are those of agent.PQNConfig
// (ConfigurePQN), and resuming dispatches on the checkpoint's format.
//
// A run directory holds
//
//	config.json   the effective configuration, every hyperparameter
//	log.jsonl     a JSON object a line: each episode and each evaluation (LogWriter, ReadLog)
//	best.ckpt     the network with the best evaluation so far
//	final.ckpt    everything at the end, or when stopped
//	latest.ckpt   the same, every CheckpointEvery steps
//	*.replay      the replay buffer beside final.ckpt and latest.ckpt (SaveReplay), or,
//	              with replay_storage=disk:DIR, always, the record of its position in DIR/frames.dat
//	curve.png     the learning curve (PlotDir)
//
// A replay on disk (replay_storage=disk:DIR) keeps its frames in
// DIR/frames.dat, outside the run directory: Configure makes DIR absolute, a
// new run refuses a DIR that holds another buffer, and Close releases it.
//
// Resuming (Options.Resume, a checkpoint or a run directory) continues a run
// in its directory with the settings it was started with, drops the log lines
// a killed run wrote past its checkpoint (the resumed run writes them again),
// and, with the replay saved (a PQN run has none to save), is bit for bit
// the run that never stopped.
//
// Sweep trains one configuration on many seeds, J at a time, each in
// Dir/seed-S, and summarizes their final evaluations as Agarwal et al. (2021)
// ask: mean, median and interquartile mean with stratified-bootstrap
// confidence intervals (package stats), the fraction at or above the env's
// threshold, and the mean learning curve with its band (summary.json,
// curve.png). A sweep run again keeps its finished seeds and resumes the
// others.
//
//	s, err := run.Sweep(ctx, run.SweepOptions{Env: "cartpole", Seeds: run.SeedList{101, 102, 103},
//		Jobs: 2, Dir: "sweeps/cartpole"})
//
// Apex runs Ape-X on one machine as deepq train --actors N does: package
// apex's learner in this process, NATS embedded (or joined), and N actor
// processes that it starts, restarts when they die and stops, in a run
// directory of the same layout (its log holds the actors' episodes as the
// learner ingests them).
package run
