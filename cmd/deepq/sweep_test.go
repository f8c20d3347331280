package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deepq/deepq/run"
)

// asDeepq makes the test binary act as the deepq binary when the sweep
// tests run it as a seed's child process.
const asDeepq = "DEEPQ_TEST_AS_DEEPQ"

func init() {
	if os.Getenv(asDeepq) == "1" {
		os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
	}
}

// TestSweepCLI runs a sweep of three CartPole seeds two at a time, each a
// child process, and reads its table and summary.
func TestSweepCLI(t *testing.T) {
	t.Setenv(asDeepq, "1")
	dir := filepath.Join(t.TempDir(), "sweep")
	args := []string{"sweep", "--env", "cartpole", "--seeds", "1-3", "--jobs", "2", "--steps", "2500", "--out", dir,
		"--set", "eval_every=1000,eval_episodes=3,final_eval_episodes=5", "--resamples", "2000"}
	code, out, errOut := runCLI(args...)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, out, errOut)
	}
	var s run.SweepSummary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 3 || s.Jobs != 2 || s.Steps != 2500 {
		t.Fatalf("summary %+v", s)
	}
	for _, r := range s.Runs {
		cfg, err := os.ReadFile(filepath.Join(r.Dir, "config.json"))
		if err != nil || !strings.Contains(string(cfg), `"final_eval_episodes": 5`) {
			t.Errorf("seed %d: config.json %s %v", r.Seed, cfg, err)
		}
		if log, err := os.ReadFile(filepath.Join(r.Dir, "train.log")); err != nil || !strings.Contains(string(log), "final greedy evaluation") {
			t.Errorf("seed %d: train.log %q %v", r.Seed, log, err)
		}
	}
	for _, w := range []string{"final ≥ 475", "final mean", "final IQM", "95% CI", "summary.json"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	// Again: every seed is kept, nothing runs; --markdown adds the README row.
	code, out, errOut = runCLI(append(args, "--markdown")...)
	if code != 0 || strings.Count(out, "kept") != 3 || !strings.Contains(errOut, "3 finished before, 0 to run") {
		t.Errorf("sweep again: exit %d\n%s\n%s", code, out, errOut)
	}
	row := fmt.Sprintf("| CartPole-v1, `cartpole` (set eval_every=1000,eval_episodes=3,final_eval_episodes=5) | 2500 | 3: 1–3 | %d of 3 ≥ 475 |", s.Solved)
	if !strings.Contains(out, "| env, preset | steps | seeds |") || !strings.Contains(out, row) {
		t.Errorf("sweep --markdown lacks the header or the row %q:\n%s", row, out)
	}
}

// TestSweepChildInterrupted: cancelling a seed's child process interrupts
// it (it saves final.ckpt and exits 130), and the launcher resumes it.
func TestSweepChildInterrupted(t *testing.T) {
	t.Setenv(asDeepq, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	launch := childLauncher(exe)
	dir := filepath.Join(t.TempDir(), "seed-4")
	var seed uint64 = 4
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // cancel once the child has logged its first evaluation: it is training
		defer cancel()
		for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(20 * time.Millisecond) {
			if b, _ := os.ReadFile(filepath.Join(dir, "log.jsonl")); strings.Contains(string(b), `"eval"`) {
				return
			}
		}
	}()
	err = launch(ctx, run.Options{Env: "cartpole", Seed: &seed, Steps: 30_000, Dir: dir, Set: "eval_every=500,eval_episodes=1,final_eval_episodes=2"})
	if !errors.Is(err, run.ErrInterrupted) {
		b, _ := os.ReadFile(filepath.Join(dir, "train.log"))
		t.Fatalf("interrupted child: %v, want run.ErrInterrupted\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "final.ckpt")); err != nil {
		t.Fatal(err)
	}
	steps := int64(5000) // resume to a short end
	if err := launch(context.Background(), run.Options{Resume: dir, Steps: steps}); err != nil {
		t.Fatal(err)
	}
	lg, err := run.ReadLog(filepath.Join(dir, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if last := lg.Evals[len(lg.Evals)-1]; !last.Final || last.Step != steps {
		t.Errorf("resumed child's last evaluation: %+v, want the final one at step %d", last, steps)
	}
}

func TestSweepBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "3"}, "--env is required"},
		{[]string{"--env", "cartpole"}, "--seeds is required"},
		{[]string{"--env", "cartpole", "--seeds", "5-2"}, "the range ends before it starts"},
		{[]string{"--env", "cartpole", "--seeds", "0"}, "a count of seeds must be at least 1"},
		{[]string{"--env", "cartpole", "--seeds", "3", "--jobs", "0"}, "--jobs must be at least 1"},
		{[]string{"--env", "cartpole", "--seeds", "3", "--steps", "0"}, "--steps must be at least 1"},
		{[]string{"--env", "cartpole", "--seeds", "3", "--threshold", "high"}, `--threshold "high" is not a number`},
		{[]string{"--env", "cartpole", "--seeds", "3", "--resamples", "0"}, "--resamples must be at least 1"},
		{[]string{"--env", "nope", "--seeds", "3", "--out", filepath.Join(dir, "a")}, `unknown environment "nope"`},
		{[]string{"--env", "cartpole", "--seeds", "3", "--set", "gamma=7", "--out", filepath.Join(dir, "b")}, "gamma"},
		{[]string{"--env", "cartpole", "--seeds", "3", "--jobs", "many"}, `"many"`},
	} {
		code, _, stderr := runCLI(append([]string{"sweep"}, c.args...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || !strings.Contains(lines[0], c.want) || len(lines) > 2 {
			t.Errorf("deepq sweep %s: exit %d, stderr %q; want exit 2 and one line with %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad flags left %v behind", entries)
	}
}
