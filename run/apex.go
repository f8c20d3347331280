package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/apex"
	"github.com/deepq/deepq/env"
)

// ApexOptions say how to run Ape-X on this machine (deepq train --actors N):
// the learner in this process, N actor processes, and NATS, embedded on
// loopback unless NATS.URL names a server to join.
type ApexOptions struct {
	// Options are the run's configuration layers and directory, as for
	// Open; Resume is not supported (resume a learner with deepq learner
	// --dir). CheckpointEvery, if set, is the learner's latest.ckpt period
	// in gradient steps (with its replay); SaveReplay must be unset.
	Options
	// Actors is the number N ≥ 1 of actor processes; actor i explores with
	// ε_i = 0.4^(1 + 7i/(N−1)) and owns stream i of the learner's replay.
	Actors int
	// NATS is the server to join; an empty URL embeds one on 127.0.0.1 at a
	// free port. The actors get the same URL and credentials.
	NATS apex.ClientConfig
	// ActorCommand returns the command that runs the actor spec describes
	// (deepq train: this binary's "deepq actor" with flags). Apex sets its
	// output, process group and parent-death signal.
	ActorCommand func(ActorSpec) *exec.Cmd
	// Log receives the learner's lines and the actors' output, each line
	// of actor i prefixed "[actor i] ". Each actor's output also goes to
	// actor-i.log in the run directory.
	Log io.Writer
	// Metrics, if set, registers the learner's deepq_apex_learner_* metrics
	// and a collector that re-exports the actors' deepq_apex_actor_* ones,
	// which each actor serves on a loopback port of its own.
	Metrics prometheus.Registerer
	// Started, if set, is called once the run directory, the server and
	// the learner are ready, before the actors start.
	Started func(*ApexRun)
}

// ActorSpec describes one actor process.
type ActorSpec struct {
	Index, N int
	// Seed is the run's seed plus the actor's restarts: a restarted actor
	// explores differently (its streams also derive from Index).
	Seed uint64
	// NATS is the server and credentials (the password, if any, reaches
	// the child through its environment, never its arguments).
	NATS apex.ClientConfig
	// Run names the run's NATS stream and buckets.
	Run string
	// MetricsAddr is where the actor serves its metrics ("" for none).
	MetricsAddr string
}

// ApexRun is an Ape-X run in progress: what ApexOptions.Started receives.
type ApexRun struct {
	Config agent.Config
	Preset string
	Dir    string
	// NATSRun names the run on NATS (apex.NamesFor) and in the metrics'
	// run label: the run directory's name, made a valid NATS name.
	NATSRun string
	// URL is the NATS server the learner and actors use.
	URL string
}

// ApexResult is what an Ape-X run did.
type ApexResult struct {
	ApexRun
	Learner apex.Result
	// Final is the greedy evaluation of final.ckpt over the config's
	// FinalEvalEpisodes (zero if none).
	Final agent.EvalResult
	// Restarts counts the actor processes restarted after they died.
	Restarts int
	// Interrupted is set when ctx ended the run early.
	Interrupted bool
}

// Actor restarts: a dead actor is restarted after a back-off that doubles
// from actorBackoff to maxActorBackoff; one that ran at least
// actorHealthy before dying starts again from actorBackoff. An actor that
// dies maxActorFailures times in a row without running that long stops the
// run with an error: it is broken, not unlucky.
const (
	actorBackoff     = time.Second
	maxActorBackoff  = 30 * time.Second
	actorHealthy     = 30 * time.Second
	maxActorFailures = 5
	// actorStopWait is how long stopping waits for the actors to exit on
	// SIGTERM before it kills them.
	actorStopWait = 10 * time.Second
)

// Apex trains with one learner in this process and o.Actors actor
// processes, in a run directory as Open's: config.json, log.jsonl (the
// actors' whole episodes as the learner ingests them, and the learner's
// evaluations), best.ckpt, final.ckpt (also when ctx ends the run),
// latest.ckpt every CheckpointEvery gradient steps, curve.png, and
// actor-i.log per actor. Steps count the env steps the learner ingested.
//
// The actors are stopped (SIGTERM, then SIGKILL after 10 s) when the
// learner finishes, when ctx is done, and, on Linux, when this process dies
// (parent-death signal). A dead actor is restarted with a back-off (see
// actorBackoff); one that keeps dying stops the run with an error.
func Apex(ctx context.Context, o ApexOptions) (*ApexResult, error) {
	cfg, preset, err := o.configure()
	if err != nil {
		return nil, err
	}
	r := &ApexResult{ApexRun: ApexRun{Config: cfg, Preset: preset, Dir: o.Dir}}
	if r.Dir == "" {
		r.Dir = DefaultDir(cfg, time.Now())
	}
	r.NATSRun = natsRunName(filepath.Base(filepath.Clean(r.Dir)))
	if err := makeRunDir(r.Dir); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(r.Dir, "log.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	lw := NewLogWriter(logFile)
	if err := writeJSON(filepath.Join(r.Dir, "config.json"), cfg); err != nil {
		return nil, err
	}
	out := &syncWriter{w: o.Log}

	lc := apex.DefaultLearnerConfig(cfg)
	lc.Run, lc.Streams, lc.CheckpointDir, lc.EvalEvery, lc.Observer = r.NATSRun, o.Actors, r.Dir, cfg.EvalEvery, lw
	if o.CheckpointEvery != nil {
		lc.CheckpointEvery = *o.CheckpointEvery
	}
	lc.Logf = func(format string, a ...any) { fmt.Fprintf(out, "deepq: "+format+"\n", a...) }
	var lm *apex.LearnerMetrics
	var actorMetrics *actorCollector
	if o.Metrics != nil {
		if lm, err = apex.NewLearnerMetrics(o.Metrics, r.NATSRun); err != nil {
			return nil, err
		}
		actorMetrics = newActorCollector(make([]string, o.Actors))
		for i := range actorMetrics.addrs {
			if actorMetrics.addrs[i], err = freeLoopback(); err != nil {
				return nil, err
			}
		}
		if err := o.Metrics.Register(actorMetrics); err != nil {
			return nil, err
		}
	}
	makeEnv := func() (env.Env, error) { return env.Make(cfg.Env) }
	l, err := apex.NewLearner(makeEnv, lc, lm)
	if err != nil {
		return nil, err
	}

	nc := o.NATS
	if nc.URL == "" {
		srv, err := apex.StartServer(apex.ServerConfig{})
		if err != nil {
			return nil, err
		}
		defer srv.Stop()
		nc.URL = srv.ClientURL()
	}
	r.URL = nc.URL
	lconn := nc
	lconn.Name = "learner"
	conn, err := apex.Connect(lconn)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if o.Started != nil {
		o.Started(&r.ApexRun)
	}

	// The learner runs until its steps are ingested or ctx is done; the
	// actors until the learner is done or one of them keeps dying.
	lctx, stopLearner := context.WithCancelCause(ctx)
	defer stopLearner(nil)
	sup := &supervisor{o: &o, out: out, dir: r.Dir, natsRun: r.NATSRun, nats: nc, seed: cfg.Seed, metrics: actorMetrics}
	actx, stopActors := context.WithCancel(context.Background())
	supDone := make(chan error, 1)
	go func() { supDone <- sup.run(actx, func(err error) { stopLearner(err) }) }()
	res, lerr := l.Run(lctx, conn)
	stopActors()
	serr := <-supDone
	r.Learner, r.Restarts = res, sup.restarts
	if lerr != nil {
		return r, lerr
	}
	if serr != nil {
		return r, serr
	}
	r.Interrupted = ctx.Err() != nil
	if !r.Interrupted && cfg.FinalEvalEpisodes > 0 {
		// The learner's online network is the one final.ckpt holds.
		r.Final, err = l.Evaluate(cfg.FinalEvalEpisodes, cfg.Seed^0x5eed_f17a1)
		if err != nil {
			return r, err
		}
		lw.OnEval(&agent.EvalEvent{Step: res.Ingested, EvalResult: r.Final, Final: true})
	}
	if err := lw.Flush(); err != nil {
		return r, fmt.Errorf("writing log.jsonl: %w", err)
	}
	if err := PlotDir(r.Dir, ""); err != nil {
		fmt.Fprintf(out, "deepq: no learning curve: %v\n", err)
	}
	return r, nil
}

// Validate reports options that Apex would refuse, before anything runs:
// they are *UsageError.
func (o *ApexOptions) Validate() error {
	_, _, err := o.configure()
	return err
}

// configure checks the options and resolves the run's configuration.
func (o *ApexOptions) configure() (agent.Config, string, error) {
	if err := o.check(); err != nil {
		return agent.Config{}, "", err
	}
	cfg, preset, err := Configure(o.Options)
	if err != nil {
		return cfg, preset, err
	}
	if cfg.BufferSize/o.Actors < 64 {
		return cfg, preset, usage(fmt.Errorf("a replay of %d slots gives each of %d actors %d slots: raise buffer_size or lower --actors", cfg.BufferSize, o.Actors, cfg.BufferSize/o.Actors))
	}
	if _, err := env.Make(cfg.Env); err != nil {
		return cfg, preset, usage(err)
	}
	return cfg, preset, nil
}

func (o *ApexOptions) check() error {
	switch {
	case o.Actors < 1:
		return usage(fmt.Errorf("--actors must be at least 1, got %d", o.Actors))
	case o.Actors > 1024:
		return usage(fmt.Errorf("--actors %d: one machine runs at most 1024 actor processes; run more with deepq learner and deepq actor", o.Actors))
	case o.Resume != "":
		return usage(errors.New("--resume does not apply to --actors: restart the learner with deepq learner --dir DIR (it resumes from latest.ckpt)"))
	case o.SaveReplay != nil:
		return usage(errors.New("--save-replay does not apply to --actors: the learner always saves its replay beside latest.ckpt and final.ckpt"))
	case o.ActorCommand == nil:
		return errors.New("run: ApexOptions.ActorCommand is nil")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// natsRunName makes a run directory's name a NATS run name: letters,
// digits, '-' and '_', at most 64 (the end, which holds the time, is kept).
func natsRunName(s string) string {
	s = regexp.MustCompile(`[^A-Za-z0-9_-]`).ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[len(s)-64:]
	}
	if s == "" {
		s = "deepq"
	}
	return s
}

// freeLoopback returns a loopback address whose port is free now.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port for an actor's metrics: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// supervisor starts the actor processes, restarts the dead ones and stops
// them all.
type supervisor struct {
	o            *ApexOptions
	out          io.Writer
	dir, natsRun string
	nats         apex.ClientConfig
	seed         uint64
	metrics      *actorCollector

	procs    []*actorProc
	restarts int
}

type actorProc struct {
	cmd      *exec.Cmd
	log      *os.File
	started  time.Time
	running  bool
	failures int // deaths in a row, each within actorHealthy of its start
	starts   int
}

type actorExit struct {
	i   int
	err error
}

// run starts the actors and keeps them running until ctx is done; then it
// stops them and returns. If an actor keeps dying it stops them all, calls
// fail with the error and returns it.
//
// It runs on one locked OS thread, which starts every actor: Linux sends a
// child its parent-death signal when the thread that started it exits, so
// the thread must live as long as the actors do.
func (s *supervisor) run(ctx context.Context, fail func(error)) (err error) {
	lockThread()
	defer unlockThread()
	n := s.o.Actors
	s.procs = make([]*actorProc, n)
	exits := make(chan actorExit, n)
	restart := make(chan int, n)
	defer func() { s.stop(exits) }()
	for i := range n {
		s.procs[i] = &actorProc{}
		if err := s.start(i, exits); err != nil {
			fail(err)
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-exits:
			p := s.procs[e.i]
			p.running = false
			ran := time.Since(p.started)
			if ran >= actorHealthy {
				p.failures = 0
			}
			p.failures++
			why := "exited"
			if e.err != nil {
				why = e.err.Error()
			}
			if p.failures >= maxActorFailures {
				err := fmt.Errorf("actor %d died %d times in a row within %v of its start (last: %s after %v); see %s",
					e.i, p.failures, actorHealthy, why, ran.Round(time.Millisecond), filepath.Join(s.dir, fmt.Sprintf("actor-%d.log", e.i)))
				fmt.Fprintf(s.out, "deepq: %v; stopping the run\n", err)
				fail(err)
				return err
			}
			wait := min(actorBackoff<<(p.failures-1), maxActorBackoff)
			fmt.Fprintf(s.out, "deepq: actor %d died (%s) after %v; restarting it in %v\n", e.i, why, ran.Round(time.Millisecond), wait)
			time.AfterFunc(wait, func() { restart <- e.i })
		case i := <-restart:
			if ctx.Err() != nil {
				return nil
			}
			if err := s.start(i, exits); err != nil {
				fail(err)
				return err
			}
			s.restarts++
		}
	}
}

// start starts actor i: its output goes to actor-i.log and, prefixed, to
// the run's log writer; its exit goes to exits.
func (s *supervisor) start(i int, exits chan<- actorExit) error {
	p := s.procs[i]
	spec := ActorSpec{Index: i, N: s.o.Actors, Seed: s.seed + uint64(p.starts), NATS: s.nats, Run: s.natsRun}
	spec.NATS.Name = fmt.Sprintf("actor-%d", i)
	if s.metrics != nil {
		spec.MetricsAddr = s.metrics.addrs[i]
	}
	cmd := s.o.ActorCommand(spec)
	if p.log == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, fmt.Sprintf("actor-%d.log", i)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		p.log = f
	}
	w := &prefixWriter{prefix: fmt.Sprintf("[actor %d] ", i), w: s.out, file: p.log}
	cmd.Stdout, cmd.Stderr = w, w
	childProcess(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting actor %d: %w", i, err)
	}
	p.cmd, p.started, p.running = cmd, time.Now(), true
	p.starts++
	fmt.Fprintf(s.out, "deepq: actor %d of %d started (pid %d, ε %.3g)\n", i, s.o.Actors, cmd.Process.Pid, apex.Epsilon(i, s.o.Actors))
	go func() {
		err := cmd.Wait()
		w.flush()
		exits <- actorExit{i, err}
	}()
	return nil
}

// stop sends SIGTERM to the running actors, waits up to actorStopWait for
// them to exit, then kills the rest, and closes their logs.
func (s *supervisor) stop(exits <-chan actorExit) {
	running := 0
	for _, p := range s.procs {
		if p != nil && p.running {
			terminate(p.cmd.Process)
			running++
		}
	}
	timeout := time.After(actorStopWait)
	for running > 0 {
		select {
		case e := <-exits:
			s.procs[e.i].running = false
			running--
		case <-timeout:
			for i, p := range s.procs {
				if p != nil && p.running {
					fmt.Fprintf(s.out, "deepq: actor %d did not stop within %v of SIGTERM; killing it\n", i, actorStopWait)
					p.cmd.Process.Kill()
				}
			}
			timeout = nil
		}
	}
	for _, p := range s.procs {
		if p != nil && p.log != nil {
			p.log.Close()
		}
	}
}

// syncWriter serializes writes to w from the learner and the actors' copiers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// prefixWriter writes whole lines to w with a prefix, and as they are to
// file.
type prefixWriter struct {
	prefix string
	w      io.Writer
	file   io.Writer
	line   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	p.file.Write(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.line = append(p.line, b...)
			if len(p.line) > 4096 { // no newline in sight: let it out
				p.flush()
			}
			break
		}
		p.line = append(p.line, b[:i+1]...)
		b = b[i+1:]
		p.flush()
	}
	return n, nil
}

func (p *prefixWriter) flush() {
	if len(p.line) == 0 {
		return
	}
	if p.line[len(p.line)-1] != '\n' {
		p.line = append(p.line, '\n')
	}
	p.w.Write(append([]byte(p.prefix), p.line...))
	p.line = p.line[:0]
}
