package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/apex"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/run"
)

// natsFlags are the flags that say how to reach NATS, shared by learner
// and actor. The password comes from $DEEPQ_NATS_PASSWORD, never a flag
// (flags show in ps).
type natsFlags struct {
	url, user, nkeySeed, ca *string
}

func addNATSFlags(fs *flag.FlagSet, urlDoc string) *natsFlags {
	return &natsFlags{
		url:      fs.String("nats", "", urlDoc),
		user:     fs.String("nats-user", "", "NATS user `NAME` (the password is read from $DEEPQ_NATS_PASSWORD)"),
		nkeySeed: fs.String("nats-nkey-seed", "", "`FILE` holding the user's NATS nkey seed, to authenticate with an nkey"),
		ca:       fs.String("nats-ca", "", "PEM `FILE` of the CA of the NATS server's certificate: connect with TLS"),
	}
}

func (n *natsFlags) client(url, name string) apex.ClientConfig {
	return apex.ClientConfig{URL: url, User: *n.user, Password: os.Getenv("DEEPQ_NATS_PASSWORD"),
		NKeySeed: *n.nkeySeed, RootCA: *n.ca, Name: name}
}

// learnerFlags are the flags of deepq learner.
type learnerFlags struct {
	fs                                   *flag.FlagSet
	nats                                 *natsFlags
	env, preset, setFields, runName, dir *string
	listen, store, nkey, tlsCert, tlsKey *string
	metricsAddr                          *string
	steps, every, publish, evalEvery     *int64
	backlogMsgs, backlogBytes            *int64
	seed                                 *uint64
	maxActors                            *int
	ratio, stopAt                        *float64
}

func newLearnerFlags() *learnerFlags {
	fs := flag.NewFlagSet("deepq learner", flag.ContinueOnError)
	f := &learnerFlags{fs: fs}
	f.env = fs.String("env", run.DefaultEnv, "environment `name`, with options (see 'deepq envs')")
	f.preset = fs.String("preset", "", "hyperparameter preset `name` (default: the env's own)")
	f.setFields = fs.String("set", "", "hyperparameter overrides `key=value,...` by their config.json names, e.g. prioritized=true,per_alpha=0.6,per_beta0=0.4,per_eps=1e-6,n_step=3")
	f.steps = fs.Int64("steps", 0, "env steps `N` to ingest from all actors (default: the preset's)")
	f.seed = fs.Uint64("seed", 1, "random seed `S` of the networks' initialisation and the batches")
	f.runName = fs.String("run", "deepq", "run `NAME` shared with the actors: names the NATS stream and buckets")
	f.dir = fs.String("dir", "", "checkpoint directory `DIR`: latest.ckpt (resumed from if present) and final.ckpt (default: none)")
	f.every = fs.Int64("checkpoint-every", 10_000, "with --dir: save latest.ckpt every `N` gradient steps")
	f.maxActors = fs.Int("max-actors", 8, "the most actors `N` (indices 0..N-1); each gets BufferSize/N replay slots")
	f.publish = fs.Int64("publish-every", 32, "publish parameters every `K` gradient steps")
	f.ratio = fs.Float64("replay-ratio", 0, "gradient steps per env step ingested `R` (0: the preset's gradient_steps/train_freq)")
	f.backlogMsgs = fs.Int64("backlog-batches", 256, "the experience stream holds at most `N` batches; actors drop (and count) the rest")
	f.backlogBytes = fs.Int64("backlog-bytes", 64<<20, "... and at most `B` bytes")
	f.evalEvery = fs.Int64("eval-every", 0, "evaluate greedily every `N` env steps ingested (default: the preset's eval_every)")
	f.stopAt = fs.Float64("stop-at", 0, "stop at the first evaluation whose mean return reaches `R` (0: never)")
	f.nats = addNATSFlags(fs, "join the NATS server or cluster at `URL` instead of embedding one")
	f.listen = fs.String("listen", "127.0.0.1:4222", "embedded NATS server: listen on `host:port`; beyond loopback it needs --nats-user or --nats-nkey")
	f.store = fs.String("store", "", "embedded NATS server: JetStream store `DIR` (default: memory)")
	f.nkey = fs.String("nats-nkey", "", "embedded NATS server: accept the user with this public nkey `U...`")
	f.tlsCert = fs.String("tls-cert", "", "embedded NATS server: PEM certificate `FILE` (with --tls-key): require TLS")
	f.tlsKey = fs.String("tls-key", "", "embedded NATS server: PEM key `FILE`")
	f.metricsAddr = fs.String("metrics-addr", "127.0.0.1:2112", "serve Prometheus metrics on http://`host:port`/metrics ('' for none)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq learner [--env NAME] [--run NAME] [--dir DIR] [--nats URL | --listen HOST:PORT]\n\n"+
			"The Ape-X learner: ingests the batches of 'deepq actor' processes into prioritized\n"+
			"replay, learns, and publishes its parameters over NATS. Without --nats it embeds a\n"+
			"NATS server listening on --listen (loopback by default). With --dir it checkpoints\n"+
			"and, restarted, resumes from its latest.ckpt.\n\nFlags:")
		fs.PrintDefaults()
	}
	return f
}

// config builds the learner's configuration from the flags.
func (f *learnerFlags) config() (apex.LearnerConfig, error) {
	preset := *f.preset
	if preset == "" {
		preset = agent.PresetFor(*f.env)
	}
	a, err := agent.Preset(preset)
	if err != nil {
		return apex.LearnerConfig{}, usageError{err}
	}
	a.Env, a.Seed = *f.env, *f.seed
	if *f.setFields != "" {
		if err := agent.SetFields(*f.setFields, &a); err != nil {
			return apex.LearnerConfig{}, usageError{fmt.Errorf("--set: %w", err)}
		}
	}
	if *f.steps > 0 {
		a.TotalSteps = *f.steps
	}
	c := apex.DefaultLearnerConfig(a)
	c.Run, c.Streams, c.PublishEvery, c.ReplayRatio = *f.runName, *f.maxActors, *f.publish, *f.ratio
	c.Backlog.MaxMsgs, c.Backlog.MaxBytes = *f.backlogMsgs, *f.backlogBytes
	c.CheckpointDir, c.CheckpointEvery = *f.dir, *f.every
	c.EvalEvery, c.StopAt = a.EvalEvery, *f.stopAt
	if *f.evalEvery > 0 {
		c.EvalEvery = *f.evalEvery
	}
	if err := c.Validate(); err != nil {
		return c, usageError{err}
	}
	return c, nil
}

// server starts the embedded NATS server unless --nats names one, and
// returns the URL to connect to.
func (f *learnerFlags) server() (*apex.Server, string, error) {
	if *f.nats.url != "" {
		return nil, *f.nats.url, nil
	}
	sc, err := f.serverConfig()
	if err != nil {
		return nil, "", err
	}
	s, err := apex.StartServer(sc)
	if err != nil {
		return nil, "", err
	}
	scheme := "nats"
	if *f.tlsCert != "" {
		scheme = "tls"
	}
	return s, fmt.Sprintf("%s://%s:%d", scheme, sc.Host, s.Port()), nil
}

// serverConfig returns the embedded server's configuration from the flags.
func (f *learnerFlags) serverConfig() (apex.ServerConfig, error) {
	host, port, err := splitHostPort(*f.listen)
	if err != nil {
		return apex.ServerConfig{}, usageError{fmt.Errorf("--listen: %w", err)}
	}
	sc := apex.ServerConfig{Host: host, Port: port, StoreDir: *f.store, User: *f.nats.user,
		NKey: *f.nkey, TLSCert: *f.tlsCert, TLSKey: *f.tlsKey}
	if sc.User != "" {
		sc.Password = os.Getenv("DEEPQ_NATS_PASSWORD")
	}
	if *f.nats.user != "" && sc.Password == "" {
		return sc, usageError{errors.New("--nats-user needs the password in $DEEPQ_NATS_PASSWORD")}
	}
	if err := sc.Validate(); err != nil {
		return sc, usageError{err}
	}
	return sc, nil
}

func runLearner(args []string, stdout, stderr io.Writer) error {
	f := newLearnerFlags()
	if err := parseFlags(f.fs, args, stderr); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, "deepq: "+format+"\n", a...) }
	reg, closeMetrics, err := serveRoleMetrics(*f.metricsAddr, stderr)
	if err != nil {
		return err
	}
	defer closeMetrics()
	m, err := apex.NewLearnerMetrics(reg, cfg.Run)
	if err != nil {
		return err
	}
	l, err := apex.NewLearner(func() (env.Env, error) { return env.Make(cfg.Agent.Env) }, cfg, m)
	if err != nil {
		return err
	}
	srv, url, err := f.server()
	if err != nil {
		return err
	}
	if srv != nil {
		defer srv.Stop()
		fmt.Fprintf(stderr, "deepq: embedded NATS server on %s\n", url)
	}
	nc, err := apex.Connect(f.nats.client(url, "learner"))
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "deepq: learner of run %s: %s for %d steps from up to %d actors\n", cfg.Run, cfg.Agent.Env, cfg.Agent.TotalSteps, cfg.Streams)
	res, err := l.Run(ctx, nc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "learner: %d steps ingested, %d updates in %s (%.0f updates/s); last evaluation %.1f\n",
		res.Ingested, res.Updates, res.Elapsed.Round(1e7), float64(res.Updates)/res.Elapsed.Seconds(), res.Eval.Mean)
	return nil
}

func splitHostPort(s string) (string, int, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("%q: want host:port", s)
	}
	var port int
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil || port < 0 || port > 65535 || fmt.Sprint(port) != s[i+1:] {
		return "", 0, fmt.Errorf("%q: port %q is not a number in [0, 65535]", s, s[i+1:])
	}
	return strings.Trim(s[:i], "[]"), port, nil
}
