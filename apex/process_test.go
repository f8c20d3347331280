package apex

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// helperArgs is what a child process of TestHelperProcess runs.
type helperArgs struct {
	Role  string // "learner" or "actor"
	URL   string
	Run   string
	Dir   string // learner: checkpoint directory; result.json goes there
	Index int
	N     int
	Steps int64 // learner: total steps; actor: 0 (until killed)
	Seed  uint64
}

// TestHelperProcess is not a test: run as a child process by the tests
// below (DEEPQ_APEX_HELPER set), it runs a learner or an actor, so that a
// test can kill a real process with SIGKILL.
func TestHelperProcess(t *testing.T) {
	js := os.Getenv("DEEPQ_APEX_HELPER")
	if js == "" {
		t.Skip("runs only as the child process of an apex process test")
	}
	var a helperArgs
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	nc, err := Connect(ClientConfig{URL: a.URL, Name: fmt.Sprintf("%s-%d", a.Role, a.Index)})
	if err != nil {
		t.Fatal(err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, a.Role+": "+format+"\n", args...) }
	switch a.Role {
	case "learner":
		cfg := cartPoleLearner(a.Run, a.Steps)
		cfg.CheckpointDir, cfg.Logf = a.Dir, logf
		l, err := NewLearner(makeCartPole, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := l.Run(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := json.Marshal(res)
		if err := os.WriteFile(filepath.Join(a.Dir, "result.json"), p, 0o644); err != nil {
			t.Fatal(err)
		}
	case "actor":
		cfg := DefaultActorConfig(a.Index, a.N)
		cfg.Run, cfg.Seed, cfg.Logf = a.Run, a.Seed, logf
		if _, err := RunActor(ctx, nc, cfg, env.Make, nil); err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	os.Exit(0)
}

// cartPoleLearner is the learner of the CartPole process tests: the
// cartpole preset with prioritized replay and 3-step returns, evaluated
// every 2,500 steps ingested, stopping at a mean of 475.
func cartPoleLearner(run string, steps int64) LearnerConfig {
	a, err := agent.Preset("cartpole")
	if err != nil {
		panic(err)
	}
	a.TotalSteps = steps
	a.Prioritized, a.PERAlpha, a.PERBeta0, a.PEREps = true, 0.6, 0.4, 1e-6
	a.NStep = 3
	cfg := DefaultLearnerConfig(a)
	cfg.Run, cfg.Streams, cfg.PublishEvery = run, 4, 16
	cfg.CheckpointEvery = 1000
	cfg.EvalEvery, cfg.StopAt = 2500, 475
	return cfg
}

type child struct {
	cmd *exec.Cmd
	out *bytes.Buffer
	mu  *sync.Mutex
}

// startHelper starts a child process running a.
func startHelper(t *testing.T, a helperArgs) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	js, _ := json.Marshal(a)
	cmd.Env = append(os.Environ(), "DEEPQ_APEX_HELPER="+string(js))
	c := &child{cmd: cmd, out: &bytes.Buffer{}, mu: &sync.Mutex{}}
	w := &lockedWriter{c.mu, c.out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return c
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// waitFor polls cond every 100 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checkpointUpdates(dir string) int64 {
	c, err := agent.LoadCheckpoint(filepath.Join(dir, "latest.ckpt"))
	if err != nil {
		return -1
	}
	return c.Meta.Updates
}

// TestCartPoleProcesses: a learner and 3 actor processes over the embedded
// server learn CartPole to a greedy mean ≥ 475, while actor 1 is killed
// (SIGKILL) and restarted and the learner is killed after its first
// checkpoint and restarted from it.
func TestCartPoleProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains CartPole with 4 processes")
	}
	s := startServer(t)
	cartPoleProcesses(t, s.ClientURL())
}

func cartPoleProcesses(t *testing.T, url string) {
	start := time.Now()
	dir := t.TempDir()
	run := "cartpole" + strconv.Itoa(os.Getpid())
	learnerArgs := helperArgs{Role: "learner", URL: url, Run: run, Dir: dir, Steps: 150_000}
	learner := startHelper(t, learnerArgs)
	actors := make([]*child, 3)
	for i := range actors {
		actors[i] = startHelper(t, helperArgs{Role: "actor", URL: url, Run: run, Index: i, N: 3, Seed: 1})
	}
	// The learner's first checkpoint, then kill -9 and restart it.
	waitFor(t, 2*time.Minute, "the learner's first checkpoint", func() bool { return checkpointUpdates(dir) >= 3000 })
	learner.kill()
	killedAt := checkpointUpdates(dir)
	t.Logf("%v: learner killed; latest.ckpt at version %d", time.Since(start).Round(time.Second), killedAt)
	// Actor 1 dies while the learner is away, and comes back.
	actors[1].kill()
	time.Sleep(500 * time.Millisecond)
	actors[1] = startHelper(t, helperArgs{Role: "actor", URL: url, Run: run, Index: 1, N: 3, Seed: 2})
	learner = startHelper(t, learnerArgs)
	t.Logf("%v: learner and actor 1 restarted", time.Since(start).Round(time.Second))

	resultPath := filepath.Join(dir, "result.json")
	waitFor(t, 4*time.Minute, "the learner to finish", func() bool {
		_, err := os.Stat(resultPath)
		return err == nil || learner.cmd.ProcessState != nil
	})
	learner.cmd.Wait()
	for _, a := range actors {
		a.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, a := range actors {
		a.cmd.Wait()
	}
	p, err := os.ReadFile(resultPath)
	if err != nil {
		t.Fatalf("no result from the learner: %v\nlearner output:\n%s", err, learner.output())
	}
	var res Result
	if err := json.Unmarshal(p, &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: learner done: %d steps ingested, %d updates, evaluation mean %.1f",
		time.Since(start).Round(time.Second), res.Ingested, res.Updates, res.Eval.Mean)
	if res.Updates <= killedAt {
		t.Errorf("the restarted learner ended at version %d, not beyond its checkpoint's %d", res.Updates, killedAt)
	}
	if !bytes.Contains([]byte(learner.output()), []byte("resumed from")) {
		t.Errorf("the restarted learner did not resume from its checkpoint:\n%s", learner.output())
	}
	// An independent greedy evaluation of the final checkpoint.
	c, err := agent.LoadCheckpoint(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := agent.Evaluate(c.Online, makeCartPoleStd, agent.EvalOptions{Episodes: 20, Seed: 12345})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("final.ckpt: greedy mean %.1f over 20 episodes (min %.0f)", ev.Mean, minOf(ev.Returns))
	if ev.Mean < 475 {
		t.Errorf("final greedy mean %.1f, want ≥ 475\nlearner output:\n%s", ev.Mean, learner.output())
	}
}

func makeCartPoleStd() (env.Env, error) {
	e, err := env.Make("cartpole")
	if err != nil {
		return nil, err
	}
	return env.Standard(e), nil
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}
