package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPQNConfigErrorsOneLine: a mistake in a PQN run's --set or --config is
// one line naming the field, and exit status 2, with nothing written.
func TestPQNConfigErrorsOneLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.json")
	os.WriteFile(path, []byte("{\n  \"lambda\": \"high\"\n}\n"), 0o644)
	out := filepath.Join(dir, "run")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--set", "lamda=0.5"}, `deepq train: --set: pqn config: unknown field "lamda" (did you mean lambda?)` + "\n"},
		{[]string{"--set", "num_envs=many"}, "deepq train: --set: pqn config: num_envs: want an integer, got many\n"},
		{[]string{"--set", "gamma=2"}, "deepq train: pqn config: gamma must be in [0, 1], got 2\n"},
		{[]string{"--config", path}, "deepq train: " + path + `: line 2, column 13: lambda: want a number, got "high"` + "\n"},
		{[]string{"--save-replay"}, "deepq train: --save-replay: preset pqn-cartpole trains with PQN, which keeps no replay buffer (its checkpoints resume exactly without one)\n"},
	} {
		args := append([]string{"train", "--preset", "pqn-cartpole", "--metrics-addr", "", "--out", out}, c.args...)
		code, _, e := runCLI(args...)
		if code != 2 || e != c.want {
			t.Errorf("deepq %s: exit %d, stderr\n%s\nwant exit 2 and\n%s", strings.Join(args, " "), code, e, c.want)
		}
	}
	code, _, e := runCLI("train", "--preset", "pqn-cartpole", "--set", "n_step=3", "--metrics-addr", "", "--out", out)
	if code != 2 || !strings.Contains(e, "n_step is a DQN setting, not PQN's; PQN's fields are") || !strings.Contains(e, "num_envs") {
		t.Errorf("a DQN field given to PQN: exit %d, stderr %q", code, e)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run left its directory behind")
	}
}

// TestTrainPQN trains a tiny PQN CartPole run with the CLI, resumes it
// further, and evaluates, plays and exports its checkpoint.
func TestTrainPQN(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runCLI("train", "--preset", "pqn-cartpole", "--steps", "1024", "--seed", "2",
		"--set", "hidden=[8],final_eval_episodes=2", "--out", out, "--metrics-addr", "", "--progress", "none")
	if code != 0 || !strings.Contains(stderr, "training cartpole (PQN, preset pqn-cartpole, seed 2) for 1024 steps") ||
		!strings.Contains(stdout, "steps 1024 ") || !strings.Contains(stdout, "time in env ") {
		t.Fatalf("train: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, f := range []string{"config.json", "log.jsonl", "final.ckpt", "best.ckpt", "curve.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the run directory lacks %s: %v", f, err)
		}
	}
	code, stdout, stderr = runCLI("train", "--resume", out, "--steps", "1536", "--metrics-addr", "", "--progress", "none")
	if code != 0 || !strings.Contains(stderr, "resuming cartpole (PQN, seed 2) at step 1024 of 1536") || !strings.Contains(stdout, "steps 1536 ") {
		t.Fatalf("resume: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	ckpt := filepath.Join(out, "final.ckpt")
	code, stdout, stderr = runCLI("eval", "--checkpoint", ckpt, "--episodes", "2")
	if code != 0 || !strings.Contains(stdout, "2 greedy episodes of cartpole (checkpoint at step 1536)") {
		t.Fatalf("eval: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	gif := filepath.Join(dir, "a.gif")
	if code, _, stderr = runCLI("play", "--checkpoint", ckpt, "--gif", gif, "--episodes", "1", "--size", "60x40"); code != 0 {
		t.Fatalf("play: exit %d: %s", code, stderr)
	}
	if code, _, stderr = runCLI("export", "--checkpoint", ckpt, "--onnx", filepath.Join(dir, "q.onnx")); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
}

// TestPresetsListsPQN: deepq presets lists both kinds with their docs.
func TestPresetsListsPQN(t *testing.T) {
	code, stdout, _ := runCLI("presets")
	for _, want := range []string{"DQN presets", "  cartpole (env cartpole", "PQN presets", "  pqn-cartpole (env cartpole", "  pqn-minatar (env minatar-breakout", "purejaxql"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("deepq presets: exit %d, no %q in\n%s", code, want, stdout)
		}
	}
}

// TestBenchPQN: the PQN benchmark prints frames/s with its CPU time and the
// shares of its parts.
func TestBenchPQN(t *testing.T) {
	code, stdout, stderr := runCLI("bench", "--run", "^pqn/1T/", "--time", "1ms", "--rounds", "1")
	if code != 0 || !strings.Contains(stdout, "pqn/1T/minatar_breakout") || !strings.Contains(stdout, "frames/s  (CPU ") ||
		!strings.Contains(stdout, "µs/frame; env ") || !strings.Contains(stdout, "learn ") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
