// Package run assembles training runs as `deepq train` does, for any Go
// program: the configuration from its layers (a preset, a JSON file in the
// format of config.json, key=value overrides, then explicit values), the run
// directory and what it holds, the log, checkpoints and resuming.
//
//	r, err := run.Open(run.Options{Env: "acrobot", Set: "n_step=3"})
//	if err != nil { ... }
//	defer r.Close()
//	r.Trainer.Observe(myObserver) // before Train
//	res, err := r.Train(ctx)
//
// A run directory holds
//
//	config.json   the effective configuration, every hyperparameter
//	log.jsonl     a JSON object a line: each episode and each evaluation (LogWriter, ReadLog)
//	best.ckpt     the network with the best evaluation so far
//	final.ckpt    everything at the end, or when stopped
//	latest.ckpt   the same, every CheckpointEvery steps
//	*.replay      the replay buffer beside final.ckpt and latest.ckpt (SaveReplay)
//	curve.png     the learning curve (PlotDir)
//
// Resuming (Options.Resume, a checkpoint or a run directory) continues a run
// in its directory with the settings it was started with, drops the log lines
// a killed run wrote past its checkpoint (the resumed run writes them again),
// and, with the replay saved, is bit for bit the run that never stopped.
package run
