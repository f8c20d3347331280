package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/run"
	"github.com/deepq/deepq/stats"
)

func runSweep(args []string, stdout, stderr io.Writer) error {
	o, markdown, err := sweepOptions(args, stderr)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the deepq binary to run the seeds: %w", err)
	}
	o.Launch, o.Progress = childLauncher(exe), stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := run.Sweep(ctx, o)
	if errors.Is(err, run.ErrInterrupted) {
		fmt.Fprintf(stderr, "deepq sweep: %v\n", err)
		return exitCode(130)
	}
	if err != nil {
		return err
	}
	if err := s.WriteTable(stdout); err != nil {
		return err
	}
	if markdown {
		fmt.Fprintln(stdout)
		if err := s.WriteMarkdown(stdout, true); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(o.Dir, "summary.json"), filepath.Join(o.Dir, "curve.png"))
	return nil
}

// sweepOptions parses and checks the flags of deepq sweep; markdown is
// --markdown.
func sweepOptions(args []string, stderr io.Writer) (o run.SweepOptions, markdown bool, err error) {
	fs := flag.NewFlagSet("deepq sweep", flag.ContinueOnError)
	fs.StringVar(&o.Env, "env", "", "environment `name`, with options (see 'deepq envs'; required)")
	fs.StringVar(&o.Preset, "preset", "", "hyperparameter preset `name` (default: the env's own)")
	seeds := fs.String("seeds", "", "seeds `N|A-B`: N alone for 1 to N, or seeds and ranges A-B separated by commas (required)")
	fs.IntVar(&o.Jobs, "jobs", 1, "runs at a time `J`, each single-threaded (at most one per free core)")
	fs.Int64Var(&o.Steps, "steps", 0, "environment steps `N` of each run (default: the preset's)")
	fs.StringVar(&o.Dir, "out", "", "sweep directory `DIR`: runs in DIR/seed-S, the summary in DIR/summary.json and DIR/curve.png (default: sweeps/<env>-<preset>)")
	fs.StringVar(&o.ConfigFile, "config", "", "JSON `FILE` of hyperparameters (as a run's config.json) applied over the preset")
	fs.StringVar(&o.Set, "set", "", "hyperparameter overrides `key=value,...` by their config.json names")
	fs.BoolVar(&o.SaveReplay, "save-replay", true, "save each run's replay buffer with its checkpoints, so that an interrupted seed resumes exactly")
	threshold := fs.String("threshold", "", "score `T` at or above which a run counts as solved (default: the env's, see 'deepq sweep -h')")
	fs.IntVar(&o.Bootstrap.Resamples, "resamples", stats.DefaultBootstrap().Resamples, "bootstrap resamples `R` of the confidence intervals")
	fs.BoolVar(&markdown, "markdown", false, "also print the summary as a row of the README's preset table, after its header")
	fs.Usage = func() {
		if !slices.ContainsFunc(args, isHelp) {
			// A bad flag: the flag package printed its one-line error.
			fmt.Fprintln(fs.Output(), "Run 'deepq sweep -h' for the flags.")
			return
		}
		fmt.Fprintln(fs.Output(), `Usage: deepq sweep --env E [--preset P] --seeds N|A-B [--jobs J] [--steps S] [--out DIR] [--set ...]

Trains one configuration on many seeds, J runs at a time, each a 'deepq train'
child process with --threads 1, no metrics and no window, and keeps every run
directory (DIR/seed-S). Then it writes DIR/summary.json and prints a table:
each seed's final and best greedy evaluation, how many ended at or above the
env's threshold, and the mean, median and interquartile mean (IQM) of the
finals with 95% stratified-bootstrap confidence intervals (Agarwal et al.
2021); DIR/curve.png draws the mean learning curve with its band.
Thresholds: CartPole 475, Acrobot -80, MountainCar -110, a deterministic
GridWorld map its optimal return (others: give --threshold).
Run the same command again to resume an interrupted sweep: finished seeds are
kept, cut-off seeds resume from their checkpoint; on a finished sweep it trains
nothing and prints the summary again (with --markdown, as a README table row).

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return o, false, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case o.Env == "":
		return o, false, usageError{errors.New("--env is required")}
	case *seeds == "":
		return o, false, usageError{errors.New("--seeds is required, e.g. --seeds 20 or --seeds 101-120")}
	case o.Jobs < 1:
		return o, false, usageError{fmt.Errorf("--jobs must be at least 1, got %d", o.Jobs)}
	case set["steps"] && o.Steps < 1:
		return o, false, usageError{fmt.Errorf("--steps must be at least 1, got %d", o.Steps)}
	case o.Bootstrap.Resamples < 1:
		return o, false, usageError{fmt.Errorf("--resamples must be at least 1, got %d", o.Bootstrap.Resamples)}
	}
	if err := o.Seeds.UnmarshalText([]byte(*seeds)); err != nil {
		return o, false, usageError{fmt.Errorf("--%w", err)}
	}
	o.Bootstrap.Confidence = stats.DefaultBootstrap().Confidence
	if *threshold != "" {
		t, err := strconv.ParseFloat(*threshold, 64)
		if err != nil {
			return o, false, usageError{fmt.Errorf("--threshold %q is not a number", *threshold)}
		}
		o.Threshold = &t
	}
	if o.Dir == "" {
		preset := o.Preset
		if preset == "" {
			preset = agent.PresetFor(o.Env)
		}
		o.Dir = filepath.Join("sweeps", run.SafeName(o.Env)+"-"+preset)
	}
	return o, markdown, nil
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--h" || arg == "-help" || arg == "--help"
}

// childLauncher runs each seed as `exe train ...` with --threads 1 (one
// process per run: net.SetThreads is process-wide), its output appended to
// train.log in the run directory. Cancelling the context interrupts the
// child, which saves final.ckpt and exits 130: run.ErrInterrupted.
func childLauncher(exe string) run.Launcher {
	return func(ctx context.Context, o run.Options) error {
		args, dir := trainArgs(o)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		logPath := filepath.Join(dir, "train.log")
		out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer out.Close()
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 2 * time.Minute // to save final.ckpt and its replay
		err = cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ee) && ee.ExitCode() == 130:
			return run.ErrInterrupted
		case errors.As(err, &ee):
			return fmt.Errorf("deepq train: %v: %s (see %s)", err, lastLine(logPath), logPath)
		}
		return err
	}
}

// trainArgs are the arguments of `deepq train` for o, and its run directory.
func trainArgs(o run.Options) ([]string, string) {
	args := []string{"train", "--threads", "1", "--metrics-addr", "", "--progress", "none"}
	if o.Steps != 0 {
		args = append(args, "--steps", strconv.FormatInt(o.Steps, 10))
	}
	if o.Resume != "" {
		return append(args, "--resume", o.Resume), o.Resume
	}
	args = append(args, "--env", o.Env, "--seed", strconv.FormatUint(*o.Seed, 10), "--out", o.Dir)
	for _, f := range []struct{ name, v string }{{"preset", o.Preset}, {"config", o.ConfigFile}, {"set", o.Set}} {
		if f.v != "" {
			args = append(args, "--"+f.name, f.v)
		}
	}
	if o.SaveReplay != nil {
		args = append(args, "--save-replay="+strconv.FormatBool(*o.SaveReplay))
	}
	return args, o.Dir
}

// lastLine is the last non-empty line of the file at path, or "".
func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
