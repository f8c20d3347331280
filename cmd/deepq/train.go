package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/runlog"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/viz"
)

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq train", flag.ContinueOnError)
	envName := fs.String("env", "cartpole", "environment `name`, with options (see 'deepq envs')")
	preset := fs.String("preset", "", "hyperparameter preset `name` (default: the env's own)")
	steps := fs.Int64("steps", 0, "environment steps to train `N` (default: the preset's)")
	seed := fs.Uint64("seed", 1, "random seed `S`: the same seed gives the same run")
	out := fs.String("out", "", "run directory `DIR` (default: runs/<env>-s<seed>-<time>)")
	progress := fs.String("progress", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	metricsAddr := fs.String("metrics-addr", DefaultMetricsAddr, "serve Prometheus metrics on http://`host:port`/metrics ('' for none)")
	threads := fs.Int("threads", net.Threads(), "goroutines `N` per matrix multiply or conv pass (1: single-threaded); results are the same bits for any N")
	metricsLinger := fs.Duration("metrics-linger", 0, "after training, keep serving metrics for `duration` (e.g. 30s) so that a last scrape sees the final values")
	resume := fs.String("resume", "", "continue the run of checkpoint `FILE` (final.ckpt or latest.ckpt) in its directory; --steps sets a new total")
	every := fs.Int64("checkpoint-every", 0, "save latest.ckpt every `N` steps, to resume a cut-off run (0: never)")
	saveReplay := fs.Bool("save-replay", false, "save the replay buffer with final.ckpt and latest.ckpt, for an exact resume")
	configFile := fs.String("config", "", "JSON `FILE` of hyperparameters (as a run's config.json) applied over the preset")
	setFields := fs.String("set", "", "hyperparameter overrides `key=value,...` by their config.json names, e.g. n_step=3,hidden=[64,64]")
	render := fs.Bool("render", false, "watch the agent in a live window (needs a build with -tags pixel)")
	renderEvery := fs.Int("render-every", 0, "with --render: watch one episode in `K`, step by step at --render-speed (default: sample training --render-fps times a second)")
	renderFPS := fs.Float64("render-fps", 30, "with --render: frames a second `F`, 1 to 60, sampled from training, which never slows")
	renderSpeed := fs.Float64("render-speed", 1, "with --render-every: speed `S` of watched episodes, a multiple of the env's frame rate (0: full speed)")
	renderSize := fs.String("render-size", "", "with --render: frame size `WxH` in the window (default: the env's, scaled to 320..960 pixels)")
	renderClose := fs.String("render-close", "continue", "with --render: what closing the window (Esc) does: continue training headless, or stop")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq train [--env NAME] [--steps N] [--seed S] [--out DIR] [--metrics-addr HOST:PORT] [--render]\n       deepq train --resume DIR/final.ckpt [--steps N]\n\nTrains a DQN agent and writes a run directory with config.json, log.jsonl,\nbest.ckpt, final.ckpt and curve.png. Ctrl-C stops early and still saves\nfinal.ckpt. Serves Prometheus metrics on /metrics (and /healthz) while it trains.\n--render shows the agent in a live window (keys: space pause, N step,\nG greedy, +/- speed, R record a GIF, Esc close).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["steps"] && *steps < 1 {
		return usageError{fmt.Errorf("--steps must be at least 1, got %d", *steps)}
	}
	if *every < 0 {
		return usageError{fmt.Errorf("--checkpoint-every must be ≥ 0, got %d", *every)}
	}

	var cfg agent.Config
	var resumed *agent.Checkpoint
	if *resume != "" {
		for _, f := range []string{"env", "preset", "seed", "out", "config", "set"} {
			if set[f] {
				return usageError{fmt.Errorf("--%s cannot be changed when resuming: the run keeps its own", f)}
			}
		}
		c, err := agent.LoadCheckpoint(*resume)
		if err != nil {
			return err
		}
		resumed, cfg = c, c.Meta.Config
		*preset = agent.PresetFor(cfg.Env)
		if set["steps"] {
			if *steps <= c.Meta.Step {
				return usageError{fmt.Errorf("--steps %d: the run is already at step %d", *steps, c.Meta.Step)}
			}
			cfg.TotalSteps = *steps
		}
	} else {
		if _, err := env.Make(*envName); err != nil {
			return usageError{err}
		}
		if *preset == "" {
			*preset = agent.PresetFor(*envName)
			if *preset == "" {
				return usageError{fmt.Errorf("no preset for env %q; choose one with --preset (available: %s)",
					*envName, strings.Join(agent.PresetNames(), ", "))}
			}
		}
		var err error
		if cfg, err = agent.Preset(*preset); err != nil {
			return usageError{err}
		}
		if *configFile != "" {
			if err := agent.LoadConfigFile(*configFile, &cfg); err != nil {
				return usageError{err}
			}
		}
		if *setFields != "" {
			if err := agent.SetFields(*setFields, &cfg); err != nil {
				return usageError{fmt.Errorf("--set: %w", err)}
			}
		}
		if set["env"] || cfg.Env == "" {
			cfg.Env = *envName
		}
		if set["seed"] || *configFile == "" {
			cfg.Seed = *seed
		}
		if set["steps"] {
			cfg.TotalSteps = *steps
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	probe, err := env.Make(cfg.Env)
	if err != nil {
		return usageError{err}
	}
	if *threads < 1 {
		return usageError{fmt.Errorf("--threads must be at least 1, got %d", *threads)}
	}
	defer net.SetThreads(net.SetThreads(*threads))
	switch *progress {
	case "auto", "bar", "lines", "none":
	default:
		return usageError{fmt.Errorf("--progress must be auto, bar, lines or none, got %q", *progress)}
	}
	vo, err := renderOptions(set, *render, *renderEvery, *renderFPS, *renderSpeed, *renderSize, *renderClose)
	if err != nil {
		return usageError{err}
	}
	if *render {
		// Before the run directory exists: no display, no OpenGL or no
		// pixel tag is a clear error that leaves nothing behind.
		if err := viz.Check(); err != nil {
			return err
		}
	}

	switch {
	case *metricsLinger < 0:
		return usageError{fmt.Errorf("--metrics-linger must be ≥ 0, got %s", *metricsLinger)}
	case *metricsLinger > 0 && *metricsAddr == "":
		return usageError{errors.New("--metrics-linger needs --metrics-addr")}
	}

	// Listen before anything of the run exists: a port in use stops here.
	var export *metricsExport
	if *metricsAddr != "" {
		if export, err = listenMetrics(*metricsAddr); err != nil {
			return err
		}
		defer export.close()
	}

	dir := *out
	if resumed != nil {
		dir = filepath.Dir(*resume)
	} else {
		if dir == "" {
			base, _, _ := strings.Cut(cfg.Env, ":")
			dir = filepath.Join("runs", fmt.Sprintf("%s-s%d-%s", base, cfg.Seed, time.Now().Format("20060102-150405")))
		}
		if err := makeRunDir(dir); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(dir, "config.json"), cfg); err != nil {
		return err
	}
	// A resumed run's log is opened once the checkpoint has loaded: its
	// lines past the checkpoint's step are dropped, and written again.
	logPath := filepath.Join(dir, "log.jsonl")
	openLog := func(flags int) (*os.File, error) { return os.OpenFile(logPath, flags, 0o644) }
	var logf *os.File
	if resumed == nil {
		if logf, err = openLog(os.O_CREATE | os.O_WRONLY | os.O_EXCL); err != nil {
			return err
		}
		defer logf.Close()
	}
	runLog := runlog.NewWriter(logf)
	prog := newProgress(stderr, *progress, cfg.TotalSteps)
	observers := []agent.Observer{runLog, prog}
	if export != nil {
		obs, err := export.observe(cfg, probe.Spec(), *preset, filepath.Base(filepath.Clean(dir)))
		if err != nil {
			return err
		}
		observers = append(observers, obs)
	}
	window := &lateObserver{} // the viewer, once the trainer's env exists
	if *render {
		observers = append(observers, window)
	}
	var tr *agent.Trainer
	if resumed != nil {
		tr, err = agent.Resume(*resume, cfg.TotalSteps, observers...)
	} else {
		tr, err = agent.NewTrainer(cfg, observers...)
	}
	if err != nil {
		return err
	}
	if resumed != nil {
		dropped, err := runlog.TruncateAfter(logPath, tr.Step())
		if err != nil {
			return err
		}
		if dropped > 0 {
			fmt.Fprintf(stderr, "deepq: %s: dropped %d lines past step %d (the resumed run writes them again)\n", logPath, dropped, tr.Step())
		}
		if logf, err = openLog(os.O_CREATE | os.O_WRONLY | os.O_APPEND); err != nil {
			return err
		}
		defer logf.Close()
		runLog.Reset(logf)
	}
	tr.CheckpointDir, tr.CheckpointEvery, tr.SaveReplay = dir, *every, *saveReplay
	var view *viz.Viewer
	if *render {
		vo.Caption = fmt.Sprintf("%s · preset %s · seed %d", cfg.Env, *preset, cfg.Seed)
		vo.TotalSteps, vo.RecordDir, vo.Log = cfg.TotalSteps, dir, stderr
		vo.QValues = tr.Agent.QValues
		if view, err = viz.NewViewer(tr.Env, vo); err != nil {
			return err
		}
		window.Observer = view
		tr.Greedy = view.Greedy
	}
	prog.startAt(tr.Step())
	if resumed != nil {
		fmt.Fprintf(stderr, "deepq: resuming %s (seed %d) at step %d of %d; run directory %s\n",
			cfg.Env, cfg.Seed, tr.Step(), cfg.TotalSteps, dir)
	} else {
		fmt.Fprintf(stderr, "deepq: training %s (preset %s, seed %d) for %d steps; run directory %s\n",
			cfg.Env, *preset, cfg.Seed, cfg.TotalSteps, dir)
	}
	if export != nil {
		fmt.Fprintf(stderr, "deepq: serving metrics on http://%s/metrics (run %q)\n", export.srv.Addr(), export.obs.Config().Run)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var res agent.Result
	train := func(ctx context.Context) (err error) {
		res, err = tr.Run(ctx)
		return err
	}
	if view != nil {
		err = viz.Run(ctx, view, train)
	} else {
		err = train(ctx)
	}
	prog.finish()
	if err != nil {
		return err
	}
	if err := runLog.Flush(); err != nil {
		return fmt.Errorf("writing log.jsonl: %w", err)
	}
	if err := plotRun(dir); err != nil {
		fmt.Fprintf(stderr, "deepq: no learning curve: %v\n", err)
	}
	if res.Interrupted {
		fmt.Fprintf(stderr, "deepq: interrupted at step %d; saved %s\n", res.Steps, filepath.Join(dir, "final.ckpt"))
		return exitCode(130)
	}
	if export != nil {
		defer export.linger(ctx, *metricsLinger, stderr) // after the summary below
	}
	fmt.Fprintf(stdout, "steps %d  episodes %d  updates %d  time %.1fs  (%.0f steps/s)\n",
		res.Steps, res.Episodes, res.Updates, res.Elapsed.Seconds(), float64(res.Steps-prog.first)/res.Elapsed.Seconds())
	if cfg.FinalEvalEpisodes > 0 {
		f := res.Final
		fmt.Fprintf(stdout, "final greedy evaluation over %d episodes: mean %.2f ± %.2f (min %s, max %s); best during training %.2f\n",
			f.Episodes, f.Mean, f.Std, formatReturn(f.Min), formatReturn(f.Max), res.Best)
	}
	fmt.Fprintf(stdout, "saved %s and %s\n", filepath.Join(dir, "final.ckpt"), filepath.Join(dir, "best.ckpt"))
	return nil
}

// makeRunDir creates dir, refusing one that already holds a run so that no
// saved work is overwritten.
func makeRunDir(dir string) error {
	for _, f := range []string{"final.ckpt", "best.ckpt", "log.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return usageError{fmt.Errorf("%s already holds a run (%s); choose another --out", dir, f)}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating run directory: %w", err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
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

// lateObserver forwards to an observer set after the trainer is built (the
// window's viewer needs the trainer's env); until then it does nothing.
type lateObserver struct {
	agent.Observer
}

func (l *lateObserver) OnStep(e *agent.StepEvent) {
	if l.Observer != nil {
		l.Observer.OnStep(e)
	}
}

func (l *lateObserver) OnEpisode(e *agent.EpisodeEvent) {
	if l.Observer != nil {
		l.Observer.OnEpisode(e)
	}
}

func (l *lateObserver) OnUpdate(e *agent.UpdateEvent) {
	if l.Observer != nil {
		l.Observer.OnUpdate(e)
	}
}

func (l *lateObserver) OnTargetUpdate(step, updates int64) {
	if l.Observer != nil {
		l.Observer.OnTargetUpdate(step, updates)
	}
}

func (l *lateObserver) OnEval(e *agent.EvalEvent) {
	if l.Observer != nil {
		l.Observer.OnEval(e)
	}
}
