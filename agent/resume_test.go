package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// runTo trains tr to its end and returns the recorder's view.
func runTo(t *testing.T, tr *Trainer) {
	t.Helper()
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func sameWeights(t *testing.T, a, b *Trainer) {
	t.Helper()
	for i, p := range a.Agent.Online.Params() {
		if !slices.Equal(p.Value.Data, b.Agent.Online.Params()[i].Value.Data) {
			t.Fatalf("online %s differs", p.Name)
		}
		if !slices.Equal(a.Agent.Target.Params()[i].Value.Data, b.Agent.Target.Params()[i].Value.Data) {
			t.Fatalf("target %s differs", p.Name)
		}
	}
	for i, s := range a.Agent.Opt.State() {
		if !slices.Equal(s.Data, b.Agent.Opt.State()[i].Data) {
			t.Fatalf("optimizer buffer %d differs", i)
		}
	}
	if a.Agent.Updates() != b.Agent.Updates() || a.Actor.episodes != b.Actor.episodes || a.step != b.step {
		t.Fatalf("counters differ: updates %d/%d episodes %d/%d steps %d/%d",
			a.Agent.Updates(), b.Agent.Updates(), a.Actor.episodes, b.Actor.episodes, a.step, b.step)
	}
}

// checkResume trains cfg straight through, saving latest.ckpt (with the
// replay) halfway, then resumes from it and trains to the end: the two runs
// must end with identical weights, optimizer state, counters and losses.
func checkResume(t *testing.T, cfg Config) {
	dir := t.TempDir()
	straightRec := &recorder{}
	straight, err := NewTrainer(cfg, straightRec)
	if err != nil {
		t.Fatal(err)
	}
	straight.CheckpointDir, straight.CheckpointEvery, straight.SaveReplay = dir, cfg.TotalSteps/2, true
	runTo(t, straight)
	// A buffer on disk is released for the resumed run, which reopens its
	// file at the halfway record.
	if err := straight.Close(); err != nil {
		t.Fatal(err)
	}

	resumedRec := &recorder{}
	resumed, err := Resume(filepath.Join(dir, "latest.ckpt"), 0, resumedRec)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if resumed.step != cfg.TotalSteps/2 {
		t.Fatalf("resumed at step %d, want %d", resumed.step, cfg.TotalSteps/2)
	}
	runTo(t, resumed)
	sameWeights(t, straight, resumed)
	// The losses of the second half agree.
	n := len(resumedRec.losses)
	if n == 0 || !slices.Equal(straightRec.losses[len(straightRec.losses)-n:], resumedRec.losses) {
		t.Fatalf("losses after the resume differ (%d of them)", n)
	}
}

func TestResumeIsExact(t *testing.T) {
	t.Run("cartpole", func(t *testing.T) {
		cfg := shortConfig(t, 6)
		cfg.TotalSteps = 4000
		checkResume(t, cfg)
	})
	t.Run("cartpole-nstep-per", func(t *testing.T) {
		cfg := shortConfig(t, 7)
		cfg.TotalSteps, cfg.NStep, cfg.Prioritized = 4000, 3, true
		cfg.PERAlpha, cfg.PERBeta0, cfg.PEREps = 0.6, 0.4, 1e-6
		checkResume(t, cfg)
	})
	t.Run("cartpole-bf16", func(t *testing.T) {
		cfg := shortConfig(t, 6)
		cfg.TotalSteps, cfg.Precision = 4000, BF16
		checkResume(t, cfg)
	})
	t.Run("cartpole-bootstrap", func(t *testing.T) {
		cfg := shortConfig(t, 12)
		cfg.TotalSteps, cfg.NStep, cfg.BootstrapHeads, cfg.BootstrapP = 4000, 2, 5, 0.5
		checkResume(t, cfg)
	})
	t.Run("breakout-framestack", func(t *testing.T) {
		cfg := shortConfig(t, 8)
		cfg.Env, cfg.Network, cfg.Hidden, cfg.Head = "minatar-breakout:frame-stack=2", MinAtarNet, nil, 32
		cfg.ReplayStorage.Storage, cfg.ClipReward, cfg.TotalSteps, cfg.TrainFreq = replay.Bits, env.ClipSign, 3000, 32
		checkResume(t, cfg)
	})
}

func TestResumeErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := shortConfig(t, 9)
	cfg.TotalSteps = 1200
	tr, _ := NewTrainer(cfg)
	tr.CheckpointDir, tr.SaveReplay = dir, true
	runTo(t, tr)
	final := filepath.Join(dir, "final.ckpt")
	if _, err := Resume(final, 1000); err == nil || !strings.Contains(err.Error(), "must be larger") {
		t.Fatalf("resuming to an earlier step: %v", err)
	}
	// A missing replay file is an error naming it.
	c, err := LoadCheckpoint(final)
	if err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(dir, c.Meta.Replay), filepath.Join(dir, "moved"))
	if _, err := Resume(final, 2000); err == nil || !strings.Contains(err.Error(), c.Meta.Replay) {
		t.Fatalf("missing replay: %v", err)
	}
	// Without SaveReplay the run resumes, refilling the buffer first.
	tr2, _ := NewTrainer(cfg)
	tr2.CheckpointDir = t.TempDir()
	runTo(t, tr2)
	r, err := Resume(filepath.Join(tr2.CheckpointDir, "final.ckpt"), 2400)
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, r)
	if r.step != 2400 || r.Agent.Updates() <= tr2.Agent.Updates() {
		t.Fatalf("warm resume: step %d, updates %d after %d", r.step, r.Agent.Updates(), tr2.Agent.Updates())
	}
}

// TestResumeOlderCheckpoint resumes a checkpoint written before the
// exploration and precision options existed (its meta has no "exploration"
// or "precision" field): it must load as the ε-greedy float32 run it was,
// not fail validation.
func TestResumeOlderCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := shortConfig(t, 11)
	cfg.TotalSteps = 1200
	tr, _ := NewTrainer(cfg)
	tr.CheckpointDir = dir
	runTo(t, tr)
	path := filepath.Join(dir, "final.ckpt")
	sections, err := readSections(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(sections["meta"], &meta); err != nil {
		t.Fatal(err)
	}
	conf := meta["config"].(map[string]any)
	if _, ok := conf["exploration"]; !ok {
		t.Fatal("the test's premise is gone: meta has no exploration field to remove")
	}
	delete(conf, "exploration")
	if _, ok := conf["precision"]; !ok {
		t.Fatal("the test's premise is gone: meta has no precision field to remove")
	}
	delete(conf, "precision")
	sections["meta"], _ = json.Marshal(meta)
	old := filepath.Join(dir, "old.ckpt")
	err = ckpt.WriteFile(old, func(w *ckpt.Writer) error {
		for _, n := range checkpointSections {
			if err := w.Bytes(n, sections[n]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Resume(old, 1500)
	if err != nil {
		t.Fatalf("resuming an older checkpoint: %v", err)
	}
	if res.Config.Exploration != EpsilonGreedy {
		t.Fatalf("exploration %v, want epsilon_greedy", res.Config.Exploration)
	}
	if res.Config.Precision != FP32 || res.Agent.Online.Precision() != net.Float32 {
		t.Fatalf("precision %v (network %v), want float32", res.Config.Precision, res.Agent.Online.Precision())
	}
	runTo(t, res)
}
