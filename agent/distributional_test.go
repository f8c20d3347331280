package agent

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/ckpt"
)

// withHead returns c with the head of kind (and the noise of Rainbow if
// noisy), on a support or quantile counts sized for small tasks.
func withHead(c Config, kind DistKind, noisy bool) Config {
	c.Distributional = kind
	switch kind {
	case C51:
		c.Atoms, c.VMin, c.VMax = 21, -2, 2
	case QR:
		c.Quantiles, c.HuberDelta = 16, 1
	case IQN:
		c.Quantiles, c.IQNTargetQuantiles, c.IQNActQuantiles, c.IQNEmbedding, c.HuberDelta = 8, 8, 4, 16, 1
	}
	if noisy {
		c.Noisy, c.NoisySigma0 = true, 0.5
		c.ExplorationStart, c.ExplorationEnd = 0, 0
	}
	return c
}

// TestDistributionalLearnsGridWorld trains each head on GridWorld's open
// 5×5 map for 4k steps (about a second each) and expects the greedy episode
// to take the optimal path; "rainbow" is C51 with noisy layers (ε = 0: the
// noise explores), a dueling head, 3-step returns and prioritized replay.
func TestDistributionalLearnsGridWorld(t *testing.T) {
	base, err := Preset("gridworld")
	if err != nil {
		t.Fatal(err)
	}
	base.Env = "gridworld:map=open-5x5"
	base.Seed, base.TotalSteps, base.LearningStarts, base.EvalEvery, base.FinalEvalEpisodes = 1, 4000, 500, 0, 1
	base.ExplorationSteps = 2000
	e, err := env.Make(base.Env)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := env.Find[*env.GridWorld](e)
	opt, _, err := g.OptimalReturn(e.Spec().MaxEpisodeSteps)
	if err != nil {
		t.Fatal(err)
	}
	rainbow := withHead(base, C51, true)
	rainbow.Dueling, rainbow.NStep = true, 3
	rainbow.Prioritized, rainbow.PERAlpha, rainbow.PERBeta0, rainbow.PEREps = true, 0.5, 0.4, 1e-6
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"c51", withHead(base, C51, false)},
		{"qr", withHead(base, QR, false)},
		{"iqn", withHead(base, IQN, false)},
		{"noisy-dqn", withHead(base, NoDist, true)},
		{"rainbow", rainbow},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			res := runTrainer(t, c.cfg, rec)
			t.Logf("greedy return %.2f (optimum %.2f), %d updates, last loss %.4g, %.1fs",
				res.Final.Mean, opt, res.Updates, rec.losses[len(rec.losses)-1], res.Elapsed.Seconds())
			if math.Abs(res.Final.Mean-opt) > 1e-9 {
				t.Errorf("greedy return %v after %d steps, want the optimum %v", res.Final.Mean, c.cfg.TotalSteps, opt)
			}
		})
	}
}

// TestResumeIsExactDistributional: a run of each random-drawing head, cut
// halfway and resumed from its checkpoint, ends as the straight run does —
// the noise buffers and the generators of the noise and of IQN's τ (the
// learner's and the actor's) are in the checkpoint.
func TestResumeIsExactDistributional(t *testing.T) {
	t.Run("c51-noisy", func(t *testing.T) {
		cfg := withHead(shortConfig(t, 12), C51, true)
		cfg.TotalSteps, cfg.Dueling, cfg.NStep = 2000, true, 3
		cfg.Prioritized, cfg.PERAlpha, cfg.PERBeta0, cfg.PEREps = true, 0.5, 0.4, 1e-6
		checkResume(t, cfg)
	})
	t.Run("iqn", func(t *testing.T) {
		cfg := withHead(shortConfig(t, 13), IQN, false)
		cfg.TotalSteps = 2000
		checkResume(t, cfg)
	})
	t.Run("qr-noisy", func(t *testing.T) {
		cfg := withHead(shortConfig(t, 14), QR, true)
		cfg.TotalSteps = 2000
		checkResume(t, cfg)
	})
}

// TestResumeCheckpointWithoutHeadFields resumes a checkpoint whose meta
// predates the distributional options: it loads as the DQN it was.
func TestResumeCheckpointWithoutHeadFields(t *testing.T) {
	dir := t.TempDir()
	cfg := shortConfig(t, 15)
	cfg.TotalSteps = 1200
	tr, _ := NewTrainer(cfg)
	tr.CheckpointDir = dir
	runTo(t, tr)
	sections, err := readSections(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(sections["meta"], &meta); err != nil {
		t.Fatal(err)
	}
	conf := meta["config"].(map[string]any)
	if _, ok := conf["distributional"]; !ok {
		t.Fatal("the test's premise is gone: meta has no distributional field to remove")
	}
	delete(conf, "distributional")
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
	if res.Config.Distributional != NoDist || res.Config.Noisy {
		t.Fatalf("distributional %v, noisy %v; want none, false", res.Config.Distributional, res.Config.Noisy)
	}
	runTo(t, res)
}

// TestHeadConfigErrors: each bad distributional or noisy setting is refused
// by an error that names its field.
func TestHeadConfigErrors(t *testing.T) {
	base := cartpoleConfig()
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"distributional", func(c *Config) { c.Distributional = 0 }},
		{"atoms", func(c *Config) { *c = withHead(*c, C51, false); c.Atoms = 1 }},
		{"v_min", func(c *Config) { *c = withHead(*c, C51, false); c.VMin = c.VMax }},
		{"v_min", func(c *Config) { *c = withHead(*c, C51, false); c.VMax = math.Inf(1) }},
		{"atoms", func(c *Config) { c.Atoms = 51 }},
		{"quantiles", func(c *Config) { *c = withHead(*c, QR, false); c.Quantiles = 0 }},
		{"quantiles", func(c *Config) { *c = withHead(*c, C51, false); c.Quantiles = 8 }},
		{"iqn_n_prime", func(c *Config) { *c = withHead(*c, IQN, false); c.IQNTargetQuantiles = 0 }},
		{"iqn_k", func(c *Config) { *c = withHead(*c, IQN, false); c.IQNActQuantiles = -1 }},
		{"iqn_embedding", func(c *Config) { *c = withHead(*c, IQN, false); c.IQNEmbedding = 0 }},
		{"iqn_n_prime", func(c *Config) { *c = withHead(*c, QR, false); c.IQNTargetQuantiles = 8 }},
		{"huber_delta", func(c *Config) { *c = withHead(*c, QR, false); c.HuberDelta = 0 }},
		{"noisy_sigma0", func(c *Config) { *c = withHead(*c, NoDist, true); c.NoisySigma0 = 0 }},
		{"noisy_sigma0", func(c *Config) { c.NoisySigma0 = 0.5 }},
		{"noisy", func(c *Config) { *c = withHead(*c, C51, true); c.ExplorationEnd = 0.01 }},
		{"noisy", func(c *Config) { *c = withHead(*c, NoDist, true); c.Dueling = true }},
	} {
		cfg := base
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "config: "+c.field+" ") {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
	var k DistKind
	if err := k.UnmarshalText([]byte("c52")); err == nil || !strings.Contains(err.Error(), "c51") {
		t.Fatalf("unknown kind: %v", err)
	}
	for _, name := range []string{"none", "c51", "qr", "iqn"} {
		if err := k.UnmarshalText([]byte(name)); err != nil || k.String() != name {
			t.Fatalf("%s: %v, %v", name, k, err)
		}
	}
}
