package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/run"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = execute(args, &o, &e)
	return code, o.String(), e.String()
}

// TestBadInput: each mistake gives a non-zero exit and an error line that
// names it, and no panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.ckpt")
	os.WriteFile(corrupt, []byte("DEEPQCK\x00garbage that is not a checkpoint"), 0o644)
	unreadable := filepath.Join(dir, "unreadable")
	os.Mkdir(unreadable, 0o755)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--env", "nope", "--out", filepath.Join(dir, "a")}, `unknown environment "nope"`},
		{[]string{"train", "--steps", "-5", "--out", filepath.Join(dir, "b")}, "--steps must be at least 1"},
		{[]string{"train", "--steps", "lots"}, `--steps "lots": want an integer`},
		{[]string{"train", "--env", "cartpole:max-steps=0"}, "max-steps"},
		{[]string{"train", "--progress", "fancy"}, "--progress"},
		{[]string{"train", "--threads", "0", "--out", filepath.Join(dir, "t")}, "--threads must be at least 1"},
		{[]string{"train", "--metrics-linger", "-1s"}, "--metrics-linger must be ≥ 0"},
		{[]string{"train", "--metrics-linger", "5s", "--metrics-addr", ""}, "--metrics-linger needs --metrics-addr"},
		{[]string{"train", "--metrics-addr", "no-port", "--out", filepath.Join(dir, "c")}, `--metrics-addr "no-port"`},
		{[]string{"eval", "--checkpoint", filepath.Join(dir, "missing.ckpt")}, "no such file"},
		{[]string{"eval", "--checkpoint", corrupt}, "corrupt.ckpt"},
		{[]string{"eval", "--checkpoint", unreadable}, "not a regular file"},
		{[]string{"eval"}, "--checkpoint is required"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("deepq %s: exit %d, stderr %q; want non-zero and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// TestTrainThenEval runs a tiny training and evaluates its checkpoint as JSON.
func TestTrainThenEval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errOut := runCLI("train", "--steps", "1500", "--seed", "3", "--out", dir, "--progress", "lines", "--metrics-addr", "")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, f := range []string{"config.json", "log.jsonl", "final.ckpt", "best.ckpt", "curve.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	if !strings.Contains(errOut, "steps/s") || !strings.Contains(out, "final greedy evaluation") {
		t.Errorf("progress output:\n%s\n%s", errOut, out)
	}
	// A second run into the same directory must not overwrite it.
	if code, _, e := runCLI("train", "--steps", "1500", "--out", dir, "--metrics-addr", ""); code == 0 || !strings.Contains(e, "already holds a run") {
		t.Errorf("re-using a run directory: exit %d %q", code, e)
	}

	code, out, errOut = runCLI("eval", "--checkpoint", filepath.Join(dir, "final.ckpt"), "--episodes", "7", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	var res struct {
		Env      string
		Episodes int
		Mean     *float64
		Std      *float64
		Min      *float64
		Max      *float64
		Returns  []float64
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("eval --json printed %q: %v", out, err)
	}
	if res.Env != "cartpole" || res.Episodes != 7 || res.Mean == nil || res.Std == nil || res.Min == nil || res.Max == nil || len(res.Returns) != 7 {
		t.Fatalf("eval JSON: %s", out)
	}
	if *res.Min > *res.Mean || *res.Mean > *res.Max {
		t.Fatalf("eval JSON inconsistent: %s", out)
	}
}

// TestTrainResume trains, then resumes the run from final.ckpt to a longer
// total: the run directory gains the later episodes and checkpoints.
func TestTrainResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, e := runCLI("train", "--steps", "1200", "--seed", "4", "--out", dir, "--progress", "none",
		"--metrics-addr", "", "--save-replay", "--checkpoint-every", "600"); code != 0 {
		t.Fatalf("train: %s", e)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "log.jsonl"))
	final := filepath.Join(dir, "final.ckpt")
	for _, bad := range [][]string{
		{"train", "--resume", final, "--seed", "5"},
		{"train", "--resume", final, "--steps", "1000"},
		{"train", "--resume", filepath.Join(dir, "nope.ckpt")},
	} {
		if code, _, e := runCLI(append(bad, "--metrics-addr", "")...); code == 0 || e == "" {
			t.Errorf("deepq %s: exit %d %q", strings.Join(bad, " "), code, e)
		}
	}
	code, out, e := runCLI("train", "--resume", final, "--steps", "1800", "--progress", "none", "--metrics-addr", "")
	if code != 0 || !strings.Contains(e, "resuming") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, e)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "log.jsonl"))
	if !strings.HasPrefix(string(after), string(before)) || len(after) <= len(before) {
		t.Fatal("log.jsonl was not appended to")
	}
	code, out, _ = runCLI("eval", "--checkpoint", final, "--episodes", "2", "--json")
	if code != 0 || !strings.Contains(out, `"step":1800`) {
		t.Fatalf("eval after resume: %s", out)
	}
	replays, _ := filepath.Glob(filepath.Join(dir, "*.replay"))
	if len(replays) != 2 { // final.ckpt's and latest.ckpt's, old ones removed
		t.Fatalf("replay files %v", replays)
	}
}

// TestTrainResumeAfterKill resumes from latest.ckpt a run that went on past
// it and was killed mid-line: the log keeps the lines up to the checkpoint,
// loses the partial one, and ends as the log of the run never stopped.
func TestTrainResumeAfterKill(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, e := runCLI("train", "--steps", "1200", "--seed", "6", "--out", dir, "--progress", "none",
		"--metrics-addr", "", "--save-replay", "--checkpoint-every", "600"); code != 0 {
		t.Fatalf("train: %s", e)
	}
	logPath := filepath.Join(dir, "log.jsonl")
	straight, err := run.ReadLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"type":"episode","st`)
	f.Close()
	code, out, e := runCLI("train", "--resume", filepath.Join(dir, "latest.ckpt"), "--progress", "none", "--metrics-addr", "")
	if code != 0 || !strings.Contains(e, "dropped") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, e)
	}
	resumed, err := run.ReadLog(logPath)
	if err != nil {
		t.Fatalf("the resumed run's log: %v", err)
	}
	key := func(l *run.Log) (s []string) {
		for _, ep := range l.Episodes {
			s = append(s, fmt.Sprint(ep.Step, ep.Episode, ep.Return, ep.Length, ep.Terminated))
		}
		for _, ev := range l.Evals {
			s = append(s, fmt.Sprint(ev.Step, ev.Mean, ev.Final))
		}
		return s
	}
	if a, b := key(straight), key(resumed); !slices.Equal(a, b) {
		t.Fatalf("resumed log differs from the straight run's:\n%v\n%v", a, b)
	}
}

func TestTrainConfigAndSet(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.json")
	os.WriteFile(cfgPath, []byte(`{"n_step": 2, "hidden": [16], "total_steps": 900}`), 0o644)
	run := filepath.Join(dir, "run")
	code, _, e := runCLI("train", "--config", cfgPath, "--set", "batch_size=16,double_dqn=false", "--out", run, "--progress", "none", "--metrics-addr", "")
	if code != 0 {
		t.Fatalf("train: %s", e)
	}
	b, _ := os.ReadFile(filepath.Join(run, "config.json"))
	for _, want := range []string{`"n_step": 2`, `"batch_size": 16`, `"double_dqn": false`, `"total_steps": 900`, `"hidden": [`, `"env": "cartpole"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config.json lacks %s:\n%s", want, b)
		}
	}
	os.WriteFile(cfgPath, []byte(`{"n_stepz": 2}`), 0o644)
	if code, _, e := runCLI("train", "--config", cfgPath, "--metrics-addr", ""); code == 0 || !strings.Contains(e, "n_stepz") {
		t.Errorf("unknown config field: exit %d %q", code, e)
	}
	if code, _, e := runCLI("train", "--set", "gamma=2", "--metrics-addr", ""); code == 0 || !strings.Contains(e, "gamma") {
		t.Errorf("bad gamma: exit %d %q", code, e)
	}
}

// TestSetSeedFromCLI: --set seed=7 trains seed 7, not the --seed flag's
// default; --seed given explicitly wins.
func TestSetSeedFromCLI(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--set", "seed=7"}, `"seed": 7,`},
		{[]string{"--set", "seed=7", "--seed", "5"}, `"seed": 5,`},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		args := append([]string{"train", "--steps", "300", "--out", dir, "--progress", "none", "--metrics-addr", ""}, c.args...)
		if code, _, e := runCLI(args...); code != 0 {
			t.Fatalf("%v: %s", c.args, e)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "config.json")); !strings.Contains(string(b), c.want) {
			t.Errorf("%v: config.json lacks %s", c.args, c.want)
		}
	}
}
