package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deepq/deepq/apex"
	"github.com/deepq/deepq/env"
)

// actorFlags are the flags of deepq actor.
type actorFlags struct {
	fs                   *flag.FlagSet
	nats                 *natsFlags
	runName, metricsAddr *string
	index, actors, batch *int
	seed                 *uint64
	steps                *int64
}

func newActorFlags() *actorFlags {
	fs := flag.NewFlagSet("deepq actor", flag.ContinueOnError)
	f := &actorFlags{fs: fs}
	f.nats = addNATSFlags(fs, "the NATS server `URL` of the learner, e.g. nats://127.0.0.1:4222")
	f.runName = fs.String("run", "deepq", "run `NAME`, as the learner's --run")
	f.index = fs.Int("index", 0, "this actor's index `i` in [0, --actors): its ε is 0.4^(1+7i/(N-1))")
	f.actors = fs.Int("actors", 1, "the number of actors `N`")
	f.seed = fs.Uint64("seed", 1, "random seed `S` of the env and exploration (a restarted actor may take another)")
	f.batch = fs.Int("batch-steps", 64, "env steps `N` per batch sent")
	f.steps = fs.Int64("steps", 0, "stop after `N` env steps (0: until stopped)")
	f.metricsAddr = fs.String("metrics-addr", "", "serve Prometheus metrics on http://`host:port`/metrics ('' for none)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq actor --nats URL [--run NAME] --index I --actors N\n\n"+
			"An Ape-X actor: takes the run's configuration and parameters from the learner,\n"+
			"acts ε_i-greedily in its own env and sends its steps with their initial priorities.\n"+
			"It waits for the learner, and keeps going (dropping batches, counted) while the\n"+
			"learner or the server is away.\n\nFlags:")
		fs.PrintDefaults()
	}
	return f
}

func runActor(args []string, stdout, stderr io.Writer) error {
	f := newActorFlags()
	if err := parseFlags(f.fs, args, stderr); err != nil {
		return err
	}
	if *f.nats.url == "" {
		return usageError{errors.New("--nats URL is required: the learner's NATS server")}
	}
	cfg := actorConfig(f)
	cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, "deepq: "+format+"\n", a...) }
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	reg, closeMetrics, err := serveRoleMetrics(*f.metricsAddr, stderr)
	if err != nil {
		return err
	}
	defer closeMetrics()
	m, err := apex.NewActorMetrics(reg, cfg.Run, cfg.Index)
	if err != nil {
		return err
	}
	nc, err := apex.Connect(f.nats.client(*f.nats.url, fmt.Sprintf("actor-%d", cfg.Index)))
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := apex.RunActor(ctx, nc, cfg, env.Make, m)
	if err != nil && ctx.Err() == nil {
		return err
	}
	fmt.Fprintf(stdout, "actor %d: %d steps (%.0f/s), %d batches sent, %d dropped, %.1f bytes/step, parameter version %d\n",
		cfg.Index, res.Steps, float64(res.Steps)/res.Elapsed.Seconds(), res.Sent, res.Dropped, res.BytesPerStep, res.Version)
	return nil
}

// actorConfig returns the actor's configuration from the flags.
func actorConfig(f *actorFlags) apex.ActorConfig {
	cfg := apex.DefaultActorConfig(*f.index, *f.actors)
	cfg.Run, cfg.Seed, cfg.BatchSteps, cfg.Steps = *f.runName, *f.seed, *f.batch, *f.steps
	return cfg
}

// serveRoleMetrics serves a fresh registry on addr ("" serves none and
// returns a nil registry).
func serveRoleMetrics(addr string, stderr io.Writer) (prometheus.Registerer, func(), error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	me, err := listenMetrics(addr)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "deepq: serving metrics on http://%s/metrics\n", me.srv.Addr())
	return me.reg, func() { me.close() }, nil
}
