package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// handMean averages the Q-values of two Q-functions, the reference for
// deepq eval's ensemble.
type handMean struct{ a, b *agent.QNet }

func (h handMean) QValuesBatch(obs []float32, n int) []float32 {
	qa := slices.Clone(h.a.QValuesBatch(obs, n))
	qb := h.b.QValuesBatch(obs, n)
	for i := range qa {
		qa[i] = float32((float64(qa[i]) + float64(qb[i])) / 2)
	}
	return qa
}

// TestEvalEnsemble trains two short CartPole runs (a DQN and a C51 one) and
// evaluates them as an ensemble: deepq eval with both checkpoints, repeated
// or comma-separated, must give the returns of acting greedily on the mean
// of the two networks' expected Q-values computed by hand, on the same
// episodes; checkpoints of envs with other spaces are refused by name.
func TestEvalEnsemble(t *testing.T) {
	dir := t.TempDir()
	train := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		args = append([]string{"train", "--steps", "2000", "--out", out, "--progress", "none", "--metrics-addr", ""}, args...)
		if code, o, e := runCLI(args...); code != 0 {
			t.Fatalf("train %s: exit %d\n%s\n%s", name, code, o, e)
		}
		return filepath.Join(out, "final.ckpt")
	}
	a := train("dqn", "--seed", "1")
	b := train("c51", "--seed", "2", "--set", "distributional=c51,atoms=21,v_min=-10,v_max=100")
	eval := func(args ...string) agent.EvalResult {
		t.Helper()
		code, out, e := runCLI(append([]string{"eval", "--episodes", "10", "--seed", "5", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("eval %v: exit %d: %s", args, code, e)
		}
		var r agent.EvalResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	repeated := eval("--checkpoint", a, "--checkpoint", b)
	comma := eval("--checkpoint", a+","+b)
	if !slices.Equal(repeated.Returns, comma.Returns) {
		t.Fatalf("repeated %v and comma-separated %v checkpoints differ", repeated.Returns, comma.Returns)
	}
	ca, err := agent.LoadCheckpoint(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := agent.LoadCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Meta.Config.Distributional != agent.C51 {
		t.Fatalf("the second run is %v, not c51", cb.Meta.Config.Distributional)
	}
	want, err := agent.EvaluateQ(handMean{ca.GreedyQ(5), cb.GreedyQ(6)}, func() (env.Env, error) { return env.Make("cartpole") },
		agent.EvalOptions{Episodes: 10, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(repeated.Returns, want.Returns) {
		t.Fatalf("ensemble returns %v, by hand %v", repeated.Returns, want.Returns)
	}
	alone := [2]agent.EvalResult{eval("--checkpoint", a), eval("--checkpoint", b)}
	t.Logf("returns over 10 episodes: dqn %.1f, c51 %.1f, mean-Q ensemble %.1f", alone[0].Mean, alone[1].Mean, repeated.Mean)

	acro := filepath.Join(dir, "acrobot")
	if code, o, e := runCLI("train", "--env", "acrobot", "--steps", "1200", "--out", acro, "--progress", "none", "--metrics-addr", ""); code != 0 {
		t.Fatalf("train acrobot: exit %d\n%s\n%s", code, o, e)
	}
	code, _, e := runCLI("eval", "--checkpoint", a, "--checkpoint", filepath.Join(acro, "final.ckpt"))
	if code == 0 || !strings.Contains(e, "acrobot") || !strings.Contains(e, "ensemble") {
		t.Fatalf("mismatched ensemble: exit %d: %s", code, e)
	}
	if code, _, e := runCLI("eval", "--checkpoint", a+",,"+b); code == 0 || !strings.Contains(e, "empty checkpoint path") {
		t.Fatalf("empty path: exit %d: %s", code, e)
	}
}
