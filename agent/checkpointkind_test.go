package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
)

// savedPQN writes the checkpoint of a PQN CartPole run after one rollout and
// returns its path and the run.
func savedPQN(t testing.TB) (string, *PQN) {
	cfg := pqnCartPole()
	cfg.NumEnvs, cfg.Minibatches, cfg.TotalSteps, cfg.Hidden = 2, 2, 4*32, []int{8}
	p, err := NewPQN(func() (env.Env, error) { return env.Make("cartpole") }, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Iterate(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pqn.ckpt")
	if err := p.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	return path, p
}

// TestCheckpointPolicyBothFormats reads the header of a PQN and of a DQN
// checkpoint, and loads each one's greedy Q-function: the PQN one must give
// the run's network's Q-values.
func TestCheckpointPolicyBothFormats(t *testing.T) {
	path, p := savedPQN(t)
	h, err := ReadCheckpointHeader(path)
	if err != nil || h.Format != PQNFormat || h.Step != 64 {
		t.Fatalf("PQN header %+v, %v; want %s at step 64", h, err, PQNFormat)
	}
	c, err := LoadCheckpointPolicy(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	obs := []float32{0.01, -0.2, 0.03, 0.1, -0.05, 0.3, 0.02, -0.1}
	if want := NewQNet(p.Q).QValuesBatch(obs, 2); c.Format != PQNFormat || c.Env != "cartpole" || c.Step != 64 ||
		!slices.Equal(c.InShape, []int{4}) || c.NumActions != 2 || !slices.Equal(c.Q.QValuesBatch(obs, 2), want) {
		t.Fatalf("PQN policy %+v: Q-values %v, want %v", c, c.Q.QValuesBatch(obs, 2), want)
	}

	cfg := DefaultConfig()
	cfg.Env = "cartpole"
	cfg.TotalSteps, cfg.LearningStarts, cfg.Hidden, cfg.EvalEvery, cfg.FinalEvalEpisodes = 300, 100, []int{8}, 0, 0
	tr, err := NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dqn := filepath.Join(t.TempDir(), "dqn.ckpt")
	if err := tr.SaveCheckpoint(dqn); err != nil {
		t.Fatal(err)
	}
	if h, err := ReadCheckpointHeader(dqn); err != nil || h.Format != DQNFormat {
		t.Fatalf("DQN header %+v, %v", h, err)
	}
	if c, err := LoadCheckpointPolicy(dqn, 0); err != nil || c.Format != DQNFormat || c.NumActions != 2 {
		t.Fatalf("DQN policy %+v, %v", c, err)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.ckpt")
	os.WriteFile(garbage, []byte("not a checkpoint"), 0o644)
	if _, err := ReadCheckpointHeader(garbage); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("header of garbage: %v", err)
	}
	if _, err := LoadCheckpointPolicy(garbage, 0); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("policy of garbage: %v", err)
	}
}

// FuzzLoadCheckpointPolicy feeds corrupted PQN checkpoints to the header
// reader and the policy loader, which must return errors, never panic.
func FuzzLoadCheckpointPolicy(f *testing.F) {
	path, _ := savedPQN(f)
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.ckpt")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ReadCheckpointHeader(path)
		LoadCheckpointPolicy(path, 0)
	})
}
