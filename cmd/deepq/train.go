package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/run"
	"github.com/deepq/deepq/viz"
)

// trainFlags are the flags of deepq train.
type trainFlags struct {
	fs                                      *flag.FlagSet
	set                                     map[string]bool // the flags given
	env, preset, out, progress, metricsAddr *string
	resume, configFile, setFields           *string
	steps, every                            *int64
	seed                                    *uint64
	threads                                 *int
	metricsLinger                           *time.Duration
	saveReplay, noReplay                    *bool
	render                                  *bool
	renderEvery                             *int
	renderFPS, renderSpeed                  *float64
	renderSize, renderClose                 *string
	actors                                  *int
	nats                                    *natsFlags
}

func newTrainFlags() *trainFlags {
	fs := flag.NewFlagSet("deepq train", flag.ContinueOnError)
	f := &trainFlags{fs: fs}
	f.env = fs.String("env", run.DefaultEnv, "environment `name`, with options (see 'deepq envs')")
	f.preset = fs.String("preset", "", "hyperparameter preset `name` (default: the env's own; see 'deepq presets'); pqn-cartpole and pqn-minatar train with PQN")
	f.steps = fs.Int64("steps", 0, "environment steps to train `N` (default: the preset's)")
	f.seed = fs.Uint64("seed", 1, "random seed `S`: the same seed gives the same run (default: the preset's, 1)")
	f.out = fs.String("out", "", "run directory `DIR` (default: runs/<env>-s<seed>-<time>)")
	f.progress = fs.String("progress", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	f.metricsAddr = fs.String("metrics-addr", DefaultMetricsAddr, "serve Prometheus metrics on http://`host:port`/metrics ('' for none)")
	f.threads = fs.Int("threads", net.Threads(), "goroutines `N` per matrix multiply or conv pass (1: single-threaded); results are the same bits for any N (default 1 for a PQN preset with shards > 1, whose shards use the cores)")
	f.metricsLinger = fs.Duration("metrics-linger", 0, "after training, keep serving metrics for `duration` (e.g. 30s) so that a last scrape sees the final values")
	f.resume = fs.String("resume", "", "continue the run of checkpoint `FILE`, or of a run directory (its newer of latest.ckpt and final.ckpt); --steps sets a new total")
	f.noReplay = fs.Bool("no-replay", false, "with --resume: resume although the checkpoint's replay file is lost, refilling the buffer first")
	f.every = fs.Int64("checkpoint-every", 0, "save latest.ckpt every `N` steps, to resume a cut-off run (0: never; a resumed run keeps its own)")
	f.saveReplay = fs.Bool("save-replay", false, "save the replay buffer with final.ckpt and latest.ckpt, for an exact resume (a resumed run keeps its own; a replay on disk, replay_storage=disk:DIR, always records its position)")
	f.configFile = fs.String("config", "", "JSON `FILE` of hyperparameters (as a run's config.json) applied over the preset")
	f.setFields = fs.String("set", "", "hyperparameter overrides `key=value,...` by their config.json names, e.g. n_step=3,hidden=[64,64] (PQN: num_envs=32,lambda=0.8)")
	f.render = fs.Bool("render", false, "watch the agent in a live window (needs a build with -tags pixel)")
	f.renderEvery = fs.Int("render-every", 0, "with --render: watch one episode in `K`, step by step at --render-speed (default: sample training --render-fps times a second)")
	f.renderFPS = fs.Float64("render-fps", 30, "with --render: frames a second `F`, 1 to 60, sampled from training, which never slows")
	f.renderSpeed = fs.Float64("render-speed", 1, "with --render: speed `S` of watched episodes, a multiple of the env's frame rate (0: full speed)")
	f.renderSize = fs.String("render-size", "", "with --render: frame size `WxH` in the window (default: the env's, scaled to 320..960 pixels)")
	f.renderClose = fs.String("render-close", "continue", "with --render: what closing the window (Esc) does: continue training headless, or stop")
	f.actors = fs.Int("actors", 0, "Ape-X on this machine: the learner here and `N` actor processes over NATS (0: the single-process trainer)")
	f.nats = addNATSFlags(fs, "with --actors: join the NATS server or cluster at `URL` instead of embedding one on loopback")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq train [--env NAME] [--preset NAME] [--steps N] [--seed S] [--out DIR] [--metrics-addr HOST:PORT] [--render]\n       deepq train --resume DIR [--steps N]\n       deepq train --actors N [--nats URL] [--env NAME] [--steps N] [--out DIR]\n\nTrains a DQN agent, or with a PQN preset (--preset pqn-cartpole, or --env\nminatar-asterix --preset pqn-minatar) a PQN one, and writes a run directory\nwith config.json, log.jsonl, best.ckpt, final.ckpt and curve.png. Ctrl-C stops early and still saves\nfinal.ckpt. Serves Prometheus metrics on /metrics (and /healthz) while it trains.\n--render shows the agent in a live window (keys: space pause, N step,\nG greedy, +/- speed, R record a GIF, Esc close).\n--actors N runs Ape-X: this process learns from N 'deepq actor' processes\nit starts, stops and restarts when they die (see deploy/README.md).\n\nFlags:")
		fs.PrintDefaults()
	}
	return f
}

// options checks the flags and returns the run's options: only the flags
// given override the configuration's layers.
func (f *trainFlags) options() (run.Options, error) {
	o := run.Options{Preset: *f.preset, ConfigFile: *f.configFile, Set: *f.setFields, Dir: *f.out,
		Resume: *f.resume, NoReplay: *f.noReplay}
	switch {
	case f.set["steps"] && *f.steps < 1:
		return o, usageError{fmt.Errorf("--steps must be at least 1, got %d", *f.steps)}
	case *f.every < 0:
		return o, usageError{fmt.Errorf("--checkpoint-every must be ≥ 0, got %d", *f.every)}
	case *f.noReplay && *f.resume == "":
		return o, usageError{errors.New("--no-replay needs --resume")}
	case *f.threads < 1:
		return o, usageError{fmt.Errorf("--threads must be at least 1, got %d", *f.threads)}
	case *f.progress != "auto" && *f.progress != "bar" && *f.progress != "lines" && *f.progress != "none":
		return o, usageError{fmt.Errorf("--progress must be auto, bar, lines or none, got %q", *f.progress)}
	case *f.metricsLinger < 0:
		return o, usageError{fmt.Errorf("--metrics-linger must be ≥ 0, got %s", *f.metricsLinger)}
	case *f.metricsLinger > 0 && *f.metricsAddr == "":
		return o, usageError{errors.New("--metrics-linger needs --metrics-addr")}
	}
	if f.set["env"] {
		o.Env = *f.env
	}
	if f.set["seed"] {
		o.Seed = f.seed
	}
	if f.set["steps"] {
		o.Steps = *f.steps
	}
	if f.set["checkpoint-every"] {
		o.CheckpointEvery = f.every
	}
	if f.set["save-replay"] {
		o.SaveReplay = f.saveReplay
	}
	return o, nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	f := newTrainFlags()
	if err := parseFlags(f.fs, args, stderr); err != nil {
		return err
	}
	f.set = map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	opts, err := f.options()
	if err != nil {
		return err
	}
	if f.set["actors"] {
		return trainApex(f, opts, stdout, stderr)
	}
	for _, name := range []string{"nats", "nats-user", "nats-nkey-seed", "nats-ca"} {
		if f.set[name] {
			return usageError{fmt.Errorf("--%s needs --actors", name)}
		}
	}
	vo, err := renderOptions(f.set, *f.render, *f.renderEvery, *f.renderFPS, *f.renderSpeed, *f.renderSize, *f.renderClose)
	if err != nil {
		return usageError{err}
	}
	if *f.render {
		// Before the run directory exists: no display, no OpenGL or no
		// pixel tag is a clear error that leaves nothing behind.
		if err := viz.Check(); err != nil {
			return err
		}
	}
	if opts.Resume == "" {
		// Check the configuration before anything listens or is written.
		if err := run.Check(opts); err != nil {
			return err
		}
	}
	defer net.SetThreads(net.SetThreads(*f.threads))
	// Listen before anything of the run exists: a port in use stops here.
	var export *metricsExport
	if *f.metricsAddr != "" {
		if export, err = listenMetrics(*f.metricsAddr); err != nil {
			return err
		}
		defer export.close()
	}
	r, err := run.Open(opts)
	if err != nil {
		return err
	}
	defer r.Close()
	if !f.set["threads"] {
		net.SetThreads(r.Threads(*f.threads))
	}
	return train(r, f, vo, export, stdout, stderr)
}

// train attaches the progress display, the metrics and the window to the
// opened run, trains it and prints the summary.
func train(r *run.Run, f *trainFlags, vo viz.Options, export *metricsExport, stdout, stderr io.Writer) error {
	info := r.Info()
	prog := newProgress(stderr, *f.progress, info.TotalSteps)
	r.Observe(prog)
	if export != nil {
		obs, err := export.observe(info, r.Spec(), r.Preset, r.Name())
		if err != nil {
			return err
		}
		r.Observe(obs)
	}
	var view *viz.Viewer
	if *f.render {
		vo.Caption = fmt.Sprintf("%s · preset %s · seed %d", info.Env, r.Preset, info.Seed)
		vo.TotalSteps, vo.RecordDir, vo.Log = info.TotalSteps, r.Dir, stderr
		var err error
		if r.PQN != nil {
			// The window follows the vector env's first copy.
			if view, err = viz.NewViewer(r.PQN.Vec.Env(0), vo); err != nil {
				return err
			}
			r.Observe(agent.CopyObserver(view, 0, r.PQN.Vec.N()))
		} else {
			tr := r.Trainer
			if tr.Agent != nil {
				// A recurrent actor's steps always carry their Q-values.
				vo.QValues = tr.Agent.QValues
			}
			if view, err = viz.NewViewer(tr.Env, vo); err != nil {
				return err
			}
			tr.Observe(view)
			tr.Actor.Greedy = view.Greedy
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(stderr, "deepq: %s\n", n)
	}
	algo := ""
	if info.Algorithm == "pqn" {
		algo = "PQN, "
	}
	if r.Resuming() {
		fmt.Fprintf(stderr, "deepq: resuming %s (%sseed %d) at step %d of %d; run directory %s\n",
			info.Env, algo, info.Seed, r.Step(), info.TotalSteps, r.Dir)
	} else {
		fmt.Fprintf(stderr, "deepq: training %s (%spreset %s, seed %d) for %d steps; run directory %s\n",
			info.Env, algo, r.Preset, info.Seed, info.TotalSteps, r.Dir)
	}
	if export != nil {
		fmt.Fprintf(stderr, "deepq: serving metrics on http://%s/metrics (run %q)\n", export.srv.Addr(), export.obs.Config().Run)
	}
	prog.startAt(r.Step()) // the bar starts drawing only after the header lines
	notes := len(r.Notes)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var res agent.Result
	trainRun := func(ctx context.Context) (err error) {
		res, err = r.Train(ctx)
		return err
	}
	var err error
	if view != nil {
		err = viz.Run(ctx, view, trainRun)
	} else {
		err = trainRun(ctx)
	}
	prog.finish()
	if err != nil {
		return err
	}
	for _, n := range r.Notes[notes:] {
		fmt.Fprintf(stderr, "deepq: %s\n", n)
	}
	return summarize(ctx, r, res, prog.first, export, *f.metricsLinger, stdout, stderr)
}

// summarize prints the end of a run.
func summarize(ctx context.Context, r *run.Run, res agent.Result, first int64, export *metricsExport, linger time.Duration, stdout, stderr io.Writer) error {
	dir := r.Dir
	if res.Interrupted {
		fmt.Fprintf(stderr, "deepq: interrupted at step %d; saved %s\n", res.Steps, filepath.Join(dir, "final.ckpt"))
		return exitCode(130)
	}
	if export != nil {
		defer export.linger(ctx, linger, stderr) // after the summary below
	}
	fmt.Fprintf(stdout, "steps %d  episodes %d  updates %d  time %.1fs  (%.0f steps/s)\n",
		res.Steps, res.Episodes, res.Updates, res.Elapsed.Seconds(), float64(res.Steps-first)/res.Elapsed.Seconds())
	if t := r.PQNTimings(); t != "" {
		fmt.Fprintf(stdout, "time in %s\n", t)
	}
	if r.Info().FinalEvalEpisodes > 0 {
		f := res.Final
		fmt.Fprintf(stdout, "final greedy evaluation over %d episodes: mean %.2f ± %.2f (min %s, max %s); best during training %.2f\n",
			f.Episodes, f.Mean, f.Std, formatReturn(f.Min), formatReturn(f.Max), res.Best)
	}
	fmt.Fprintf(stdout, "saved %s and %s\n", filepath.Join(dir, "final.ckpt"), filepath.Join(dir, "best.ckpt"))
	return nil
}

// renderOptions checks the --render flags and returns the window's options.
func renderOptions(set map[string]bool, render bool, every int, fps, speed float64, size, onClose string) (viz.Options, error) {
	o := viz.DefaultOptions()
	if !render {
		for _, f := range []string{"render-every", "render-fps", "render-speed", "render-size", "render-close"} {
			if set[f] {
				return o, fmt.Errorf("--%s needs --render", f)
			}
		}
		return o, nil
	}
	o.Title = "deepq train"
	switch {
	case set["render-every"] && set["render-fps"]:
		return o, errors.New("--render-every and --render-fps exclude each other: watch one episode in K, or sample F frames a second")
	case set["render-every"] && every < 1:
		return o, fmt.Errorf("--render-every must be at least 1, got %d", every)
	case set["render-speed"] && !set["render-every"]:
		return o, errors.New("--render-speed sets the speed of watched episodes: it needs --render-every")
	case !(fps >= 1 && fps <= 60):
		return o, fmt.Errorf("--render-fps must be from 1 to 60, got %g", fps)
	case speed != 0 && !(speed >= 1.0/16 && speed <= 64):
		return o, fmt.Errorf("--render-speed must be 0 (full speed) or from 1/16 to 64, got %g", speed)
	}
	o.Every, o.FPS, o.Speed = every, fps, speed
	if size != "" {
		w, h, err := parseSize(size)
		if err != nil {
			return o, fmt.Errorf("--render-size: %w", err)
		}
		o.Width, o.Height = w, h
	}
	switch onClose {
	case "continue":
	case "stop":
		o.CloseStops = true
	default:
		return o, fmt.Errorf("--render-close must be continue or stop, got %q", onClose)
	}
	return o, o.Validate()
}
