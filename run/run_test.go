package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
)

func ptr[T any](v T) *T { return &v }

// small is a quick CartPole run that learns every step, so that every
// checkpoint falls between gradient steps and episode lines.
const small = "total_steps=3000,learning_starts=500,train_freq=1,gradient_steps=1,hidden=[16],eval_every=1000,eval_episodes=2,final_eval_episodes=2"

func train(t *testing.T, o Options) (*Run, agent.Result) {
	t.Helper()
	r, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r, res
}

// TestResumedLogIsTheStraightOne resumes a run from its checkpoint at step
// 2000 after it went on to the end (as after a crash past the checkpoint):
// the log must end byte for byte as the uninterrupted run's, including the
// mean loss of the episode line that spans the checkpoint.
func TestResumedLogIsTheStraightOne(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	o := Options{Set: small, Seed: ptr[uint64](3), CheckpointEvery: ptr[int64](1000), SaveReplay: ptr(true)}
	o.Dir = a
	train(t, o)
	o.Dir = b
	train(t, o)
	// Back to step 2000: the run "crashed" after writing latest.ckpt there.
	os.Rename(filepath.Join(b, "latest.ckpt"), filepath.Join(b, "at2000.ckpt"))
	r, _ := train(t, Options{Resume: filepath.Join(b, "at2000.ckpt")})
	if r.Resumed.Meta.Step != 2000 || len(r.Notes) == 0 {
		t.Fatalf("resumed at step %d with notes %q; want step 2000 and dropped log lines", r.Resumed.Meta.Step, r.Notes)
	}
	la, _ := os.ReadFile(filepath.Join(a, "log.jsonl"))
	lb, _ := os.ReadFile(filepath.Join(b, "log.jsonl"))
	if !bytes.Equal(la, lb) {
		t.Fatalf("the resumed log differs from the straight one:\n%s\n---\n%s", la, lb)
	}
}

// TestSetSeedIsKept: --set seed=7 trains seed 7 (the flag's default used to
// overwrite it); a seed given explicitly wins over --set.
func TestSetSeedIsKept(t *testing.T) {
	cfg, _, err := Configure(Options{Set: "seed=7"})
	if err != nil || cfg.Seed != 7 {
		t.Fatalf("--set seed=7: seed %d, %v", cfg.Seed, err)
	}
	cfg, _, err = Configure(Options{Set: "seed=7", Seed: ptr[uint64](5)})
	if err != nil || cfg.Seed != 5 {
		t.Fatalf("--seed 5 --set seed=7: seed %d, %v", cfg.Seed, err)
	}
	cfg, _, err = Configure(Options{Set: "total_steps=999", Steps: 1234})
	if err != nil || cfg.TotalSteps != 1234 {
		t.Fatalf("--steps 1234 --set total_steps=999: %d, %v", cfg.TotalSteps, err)
	}
	cfg, preset, err := Configure(Options{Env: "acrobot"})
	if err != nil || preset != "acrobot" || cfg.Env != "acrobot" {
		t.Fatalf("--env acrobot: preset %q env %q, %v", preset, cfg.Env, err)
	}
}

// TestResumeDirectoryAndMissingReplay: --resume DIR takes the newer of
// latest.ckpt and final.ckpt; a lost replay file is an error that says how
// to go on, and NoReplay goes on with a note.
func TestResumeDirectoryAndMissingReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	train(t, Options{Set: small, Dir: dir, CheckpointEvery: ptr[int64](1000), SaveReplay: ptr(true)})
	c, err := LoadResume(dir)
	if err != nil || filepath.Base(c.Path) != "final.ckpt" {
		t.Fatalf("LoadResume(dir) = %v, %v; want final.ckpt (step 3000, newer than latest.ckpt's 2000)", c, err)
	}
	os.Remove(filepath.Join(dir, "final.ckpt"))
	if c, err = LoadResume(dir); err != nil || filepath.Base(c.Path) != "latest.ckpt" {
		t.Fatalf("without final.ckpt: %v, %v", c, err)
	}
	replays, _ := filepath.Glob(filepath.Join(dir, "latest.ckpt.*.replay"))
	if len(replays) != 1 {
		t.Fatalf("replay files %v", replays)
	}
	os.Remove(replays[0])
	_, err = Open(Options{Resume: dir})
	var missing *agent.MissingReplayError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "--no-replay") || !strings.Contains(err.Error(), filepath.Base(replays[0])) {
		t.Fatalf("resuming without the replay file: %v", err)
	}
	r, err := Open(Options{Resume: dir, NoReplay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Trainer.Step() != 2000 || !strings.Contains(strings.Join(r.Notes, "\n"), "refills") {
		t.Fatalf("--no-replay: step %d, notes %q", r.Trainer.Step(), r.Notes)
	}
	if _, err := LoadResume(t.TempDir()); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Fatalf("an empty directory: %v", err)
	}
	if _, err := Open(Options{Resume: dir, Seed: ptr[uint64](2)}); err == nil || !strings.Contains(err.Error(), "--seed") {
		t.Fatalf("--seed with --resume: %v", err)
	}
}

// TestDefaultDirKeepsEnvOptions: run directories name the env's options,
// in characters any filesystem takes.
func TestDefaultDirKeepsEnvOptions(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 15, 0, 0, time.UTC)
	cases := map[string]string{
		"cartpole":                           "runs/cartpole-s1-20261202-101500",
		"gridworld:map=four-rooms":           "runs/gridworld_map-four-rooms-s1-20261202-101500",
		"gridworld:map=cliff,slip=0.1":       "runs/gridworld_map-cliff_slip-0.1-s1-20261202-101500",
		"gridworld:file=../mazes/a b.txt":    "runs/gridworld_file-..-mazes-a-b.txt-s1-20261202-101500",
		"minatar-breakout:frame-stack=4":     "runs/minatar-breakout_frame-stack-4-s1-20261202-101500",
		"gridworld:file=/tmp/x/y/z\\w*?|<>:": "runs/gridworld_file--tmp-x-y-z-w-----_-s1-20261202-101500",
	}
	for env, want := range cases {
		if got := DefaultDir(agent.Config{Env: env, Seed: 1}, at); filepath.ToSlash(got) != want {
			t.Errorf("DefaultDir(%q) = %q, want %q", env, got, want)
		}
	}
	if n := SafeName(strings.Repeat("x", 300)); len(n) != 100 {
		t.Errorf("a 300-byte name gives %d bytes", len(n))
	}
}

// TestDiskReplayRun: a run with replay_storage=disk:DIR (DIR relative, made
// absolute), killed past its checkpoint at step 2000 and resumed there,
// writes the log of the uninterrupted run in memory byte for byte; its
// checkpoints record the buffer's position without --save-replay. A new run
// refuses a directory that holds another run's buffer.
func TestDiskReplayRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	o := Options{Set: small, Seed: ptr[uint64](3), CheckpointEvery: ptr[int64](1000), SaveReplay: ptr(true), Dir: a}
	train(t, o)
	o = Options{Set: small + ",replay_storage=disk@64KiB:replay-b", Seed: ptr[uint64](3), CheckpointEvery: ptr[int64](1000), Dir: b}
	r, _ := train(t, o)
	if want := "float32+disk@64KiB:" + filepath.Join(dir, "replay-b"); r.Config.ReplayStorage.String() != want {
		t.Fatalf("replay_storage %s, want %s", r.Config.ReplayStorage, want)
	}
	os.Rename(filepath.Join(b, "latest.ckpt"), filepath.Join(b, "at2000.ckpt"))
	r, _ = train(t, Options{Resume: filepath.Join(b, "at2000.ckpt")})
	if r.Resumed.Meta.Step != 2000 || r.Resumed.Meta.Replay == "" {
		t.Fatalf("resumed at step %d with replay %q; want step 2000 with its position record", r.Resumed.Meta.Step, r.Resumed.Meta.Replay)
	}
	la, _ := os.ReadFile(filepath.Join(a, "log.jsonl"))
	lb, _ := os.ReadFile(filepath.Join(b, "log.jsonl"))
	if !bytes.Equal(la, lb) {
		t.Fatalf("the resumed disk run's log differs from the straight one in memory:\n%s\n---\n%s", la, lb)
	}

	o.Dir = filepath.Join(dir, "c")
	_, err := Open(o)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), filepath.Join(dir, "replay-b", "frames.dat")) {
		t.Fatalf("a new run on another run's replay directory: %v, want a usage error naming its frames.dat", err)
	}
	if _, err := os.Stat(o.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused run left %s behind (%v)", o.Dir, err)
	}
	// A run that cannot start (its run directory holds a run) leaves no
	// buffer behind in its replay directory, so that trying again works.
	o = Options{Set: small + ",replay_storage=disk:replay-d", Dir: a}
	if _, err := Open(o); err == nil {
		t.Fatal("a new run in a run directory that holds one was not refused")
	}
	if _, err := os.Stat(filepath.Join(dir, "replay-d", "frames.dat")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the run that could not start left its replay file (%v)", err)
	}
	o.Dir = filepath.Join(dir, "d")
	r, err = Open(o)
	if err != nil {
		t.Fatalf("trying again in another run directory: %v", err)
	}
	r.Close()
}
