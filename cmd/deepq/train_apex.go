package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/run"
)

// actorCommand returns the command that runs deepq actor with args: this
// very binary. The tests replace it, their binary not being deepq.
var actorCommand = func(args []string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, append([]string{"actor"}, args...)...)
}

// actorArgs returns the deepq actor flags of spec. The NATS password, if
// any, reaches the actor as $DEEPQ_NATS_PASSWORD, which it inherits.
func actorArgs(s run.ActorSpec) []string {
	args := []string{"--nats", s.NATS.URL, "--run", s.Run, "--index", strconv.Itoa(s.Index),
		"--actors", strconv.Itoa(s.N), "--seed", strconv.FormatUint(s.Seed, 10), "--metrics-addr", s.MetricsAddr}
	for _, kv := range [][2]string{{"--nats-user", s.NATS.User}, {"--nats-nkey-seed", s.NATS.NKeySeed}, {"--nats-ca", s.NATS.RootCA}} {
		if kv[1] != "" {
			args = append(args, kv[0], kv[1])
		}
	}
	return args
}

// trainApex runs deepq train --actors N: the Ape-X learner in this process,
// N actor processes of this binary, NATS embedded unless --nats.
func trainApex(f *trainFlags, opts run.Options, stdout, stderr io.Writer) error {
	// --resume and --save-replay are refused by run.ApexOptions, which says
	// what to use instead; --no-replay without --resume, and a bad
	// --metrics-linger, by f.options.
	for _, name := range []string{"progress", "render", "render-every",
		"render-fps", "render-speed", "render-size", "render-close"} {
		if f.set[name] {
			return usageError{fmt.Errorf("--%s does not apply to --actors", name)}
		}
	}
	if *f.nats.url == "" && (*f.nats.user != "" || *f.nats.nkeySeed != "" || *f.nats.ca != "") {
		return usageError{errors.New("--nats-user, --nats-nkey-seed and --nats-ca are for joining a server with --nats; the embedded one listens on loopback without them")}
	}
	if *f.nats.user != "" && os.Getenv("DEEPQ_NATS_PASSWORD") == "" {
		return usageError{errors.New("--nats-user needs the password in $DEEPQ_NATS_PASSWORD")}
	}
	var export *metricsExport
	o := run.ApexOptions{Options: opts, Actors: *f.actors, NATS: f.nats.client(*f.nats.url, "learner"), Log: stderr,
		ActorCommand: func(s run.ActorSpec) *exec.Cmd { return actorCommand(actorArgs(s)) },
		Started: func(r *run.ApexRun) {
			actors := fmt.Sprintf("%d actors", *f.actors)
			if *f.actors == 1 {
				actors = "1 actor"
			}
			fmt.Fprintf(stderr, "deepq: training %s (preset %s, seed %d) for %d steps with %s over NATS at %s (run %s); run directory %s\n",
				r.Config.Env, r.Preset, r.Config.Seed, r.Config.TotalSteps, actors, r.URL, r.NATSRun, r.Dir)
			if export != nil {
				fmt.Fprintf(stderr, "deepq: serving metrics on http://%s/metrics (run %q)\n", export.srv.Addr(), r.NATSRun)
			}
		}}
	// Check the configuration before anything listens or is written.
	if err := o.Validate(); err != nil {
		return err
	}
	defer net.SetThreads(net.SetThreads(*f.threads))
	if *f.metricsAddr != "" {
		var err error
		if export, err = listenMetrics(*f.metricsAddr); err != nil {
			return err
		}
		defer export.close()
		o.Metrics = export.reg
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run.Apex(ctx, o)
	if err != nil {
		return err
	}
	final := filepath.Join(res.Dir, "final.ckpt")
	if res.Interrupted {
		fmt.Fprintf(stderr, "deepq: interrupted at %d steps ingested; saved %s\n", res.Learner.Ingested, final)
		return exitCode(130)
	}
	if export != nil {
		defer export.linger(ctx, *f.metricsLinger, stderr)
	}
	l := res.Learner
	fmt.Fprintf(stdout, "steps %d  updates %d  time %.1fs  (%.0f steps/s, %.0f updates/s)  actor restarts %d\n",
		l.Ingested, l.Updates, l.Elapsed.Seconds(), float64(l.Ingested)/l.Elapsed.Seconds(), float64(l.Updates)/l.Elapsed.Seconds(), res.Restarts)
	if fe := res.Final; fe.Episodes > 0 {
		fmt.Fprintf(stdout, "final greedy evaluation over %d episodes: mean %.2f ± %.2f (min %s, max %s)\n",
			fe.Episodes, fe.Mean, fe.Std, formatReturn(fe.Min), formatReturn(fe.Max))
	}
	fmt.Fprintf(stdout, "saved %s and %s\n", final, filepath.Join(res.Dir, "best.ckpt"))
	return nil
}
