package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
)

// smallPQN is a quick CartPole PQN run: 8 rollouts of 16 envs × 32 steps,
// an evaluation every 2 rollouts.
const smallPQN = "total_steps=4096,hidden=[16],eval_every=1024,eval_episodes=2,final_eval_episodes=2"

// cancelAt cancels the run's context once it has taken step frames.
type cancelAt struct {
	agent.NopObserver
	step   int64
	cancel context.CancelFunc
}

func (c cancelAt) OnStep(e *agent.StepEvent) {
	if e.Step >= c.step {
		c.cancel()
	}
}

// TestPQNResumeIsTheStraightRun trains a small PQN CartPole run straight,
// then the same run stopped twice and resumed through Open (once from its
// directory after a Ctrl-C, once from the latest.ckpt of a run that went on
// past it, as after a crash): the log, the final checkpoint and curve.png's
// presence must be the straight run's, byte for byte where they are bytes.
func TestPQNResumeIsTheStraightRun(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	o := Options{Preset: "pqn-cartpole", Set: smallPQN, Seed: ptr[uint64](3), CheckpointEvery: ptr[int64](1024)}
	o.Dir = a
	r, want := train(t, o)
	if r.PQN == nil || r.Trainer != nil || r.Info().Algorithm != "pqn" || want.Steps != 4096 {
		t.Fatalf("a pqn-cartpole run: PQN %v, Trainer %v, %+v, %d steps", r.PQN != nil, r.Trainer != nil, r.Info(), want.Steps)
	}
	if _, err := os.Stat(filepath.Join(a, "curve.png")); err != nil {
		t.Fatalf("no curve.png: %v", err)
	}

	// Leg 1: Ctrl-C after 1500 frames (the run stops after the rollout).
	o.Dir = b
	r, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.Observe(cancelAt{step: 1500, cancel: cancel})
	res, err := r.Train(ctx)
	cancel()
	r.Close()
	if err != nil || !res.Interrupted || res.Steps != 1536 {
		t.Fatalf("leg 1: %v, %+v; want interrupted at 1536", err, res)
	}
	// Leg 2: resume the directory (final.ckpt at 1536, newer than latest.ckpt
	// at 1024) to the end; then back to latest.ckpt at 3072, as if the run
	// had crashed after writing it, and on to the end again.
	r, _ = train(t, Options{Resume: b})
	if !r.Resuming() || r.PQN == nil {
		t.Fatal("resuming a PQN run directory did not give a resumed PQN run")
	}
	if err := os.Rename(filepath.Join(b, "latest.ckpt"), filepath.Join(b, "at3072.ckpt")); err != nil {
		t.Fatal(err)
	}
	r, got := train(t, Options{Resume: filepath.Join(b, "at3072.ckpt")})
	if r.Step() != 4096 || len(r.Notes) == 0 {
		t.Fatalf("resumed to step %d with notes %q; want 4096 and dropped log lines", r.Step(), r.Notes)
	}
	if !equalFiles(t, filepath.Join(a, "log.jsonl"), filepath.Join(b, "log.jsonl")) {
		t.Fatal("the resumed run's log differs from the straight run's")
	}
	if !equalFiles(t, filepath.Join(a, "final.ckpt"), filepath.Join(b, "final.ckpt")) {
		t.Fatal("the resumed run's final.ckpt differs from the straight run's")
	}
	if got.Final.Mean != want.Final.Mean || got.Best != want.Best {
		t.Fatalf("resumed run: final %v, best %v; straight %v, %v", got.Final.Mean, got.Best, want.Final.Mean, want.Best)
	}
}

func equalFiles(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// TestPQNOptionErrors checks that what a user can get wrong in a PQN run's
// options is a UsageError naming it, before anything is written.
func TestPQNOptionErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Preset: "pqn-cartpole", Set: "n_step=3"}, "n_step is a DQN setting, not PQN's; PQN's fields are"},
		{Options{Preset: "pqn-cartpole", Set: "lamda=0.5"}, `unknown field "lamda" (did you mean lambda?)`},
		{Options{Preset: "pqn-cartpole", Set: "colour=red"}, `unknown field "colour"`},
		{Options{Preset: "pqn-cartpole", Set: "num_envs=many"}, "num_envs: want an integer, got many"},
		{Options{Preset: "pqn-cartpole", Set: "minibatches=3"}, "minibatches (3) must divide num_envs × rollout_steps = 512"},
		{Options{Preset: "pqn-cartpole", Steps: 100}, "total_steps (100) must be at least one rollout"},
		{Options{Preset: "pqn-cartpole", Env: "cartpol"}, "cartpol"},
		{Options{Preset: "pqn-cartpole", SaveReplay: ptr(true)}, "keeps no replay buffer"},
		{Options{Preset: "pqn-minatar", Env: "cartpole"}, "pqn network for cartpole"},
		{Options{Preset: "pqn-cartpol"}, "pqn-cartpole, pqn-minatar"},
	} {
		c.o.Dir = filepath.Join(dir, "run")
		r, err := Open(c.o)
		var ue *UsageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			if r != nil {
				r.Close()
			}
			t.Errorf("%+v: error %v, want a UsageError with %q", c.o, err, c.want)
		}
		if _, err := os.Stat(c.o.Dir); err == nil {
			t.Fatalf("%+v: the refused run left %s behind", c.o, c.o.Dir)
		}
	}
	// A DQN command refuses a PQN preset by name.
	if _, _, err := Configure(Options{Preset: "pqn-cartpole"}); err == nil || !strings.Contains(err.Error(), "trains with PQN") {
		t.Errorf("Configure of a PQN preset: %v", err)
	}
}

// TestPQNResumeDispatch resumes by the checkpoint's format: a PQN run
// directory resumes as PQN (refusing DQN-only options and a finished run),
// a DQN one as before.
func TestPQNResumeDispatch(t *testing.T) {
	dir := t.TempDir()
	p, d := filepath.Join(dir, "pqn"), filepath.Join(dir, "dqn")
	train(t, Options{Preset: "pqn-cartpole", Set: "total_steps=1024,hidden=[8],final_eval_episodes=1", Dir: p})
	train(t, Options{Set: "total_steps=600,learning_starts=500,hidden=[8],eval_every=0,final_eval_episodes=1", Dir: d})
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Resume: p}, "the run is complete at step 1024; give --steps"},
		{Options{Resume: p, Steps: 1024}, "already at step 1024"},
		{Options{Resume: p, Steps: 2048, NoReplay: true}, "keeps no replay buffer"},
		{Options{Resume: p, Steps: 2048, Set: "lambda=0.5"}, "--set cannot be changed"},
		{Options{Resume: filepath.Join(dir, "nothing")}, "nothing"},
	} {
		if _, err := Open(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
	}
	r, _ := train(t, Options{Resume: p, Steps: 2048})
	if r.PQN == nil || r.Step() != 2048 || !strings.Contains(strings.Join(r.Notes, "\n"), "lr_decay") {
		t.Fatalf("PQN resume to 2048: PQN %v, step %d, notes %q", r.PQN != nil, r.Step(), r.Notes)
	}
	r, _ = train(t, Options{Resume: d, Steps: 700})
	if r.Trainer == nil || r.PQN != nil || r.Resumed == nil || r.Step() != 700 {
		t.Fatalf("DQN resume: Trainer %v, PQN %v, step %d", r.Trainer != nil, r.PQN != nil, r.Step())
	}
}

// TestPQNThreads: a PQN run with shards asks for single-threaded matrix
// products; one without, and a DQN run, keep the default.
func TestPQNThreads(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		o    Options
		want int
	}{
		{Options{Preset: "pqn-minatar", Env: "minatar-asterix", Steps: 4096}, 1},
		{Options{Preset: "pqn-minatar", Set: "shards=1", Steps: 4096}, 2},
		{Options{Preset: "pqn-cartpole"}, 2},
		{Options{}, 2},
	} {
		c.o.Dir = filepath.Join(dir, c.o.Preset+c.o.Set)
		r, err := Open(c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Threads(2); got != c.want {
			t.Errorf("%+v: Threads(2) = %d, want %d", c.o, got, c.want)
		}
		r.Close()
	}
}
