package agent

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
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

// TestDistributionalUpdateTerminal checks the losses of one C51 and one
// QR-DQN update against hand computations on terminal transitions, whose
// target is the reward alone: C51's projected target is then all on r's atom
// and the loss is −log p(s, a)[r]; QR-DQN's targets are all r. The
// per-sample losses are the priorities handed back.
func TestDistributionalUpdateTerminal(t *testing.T) {
	cfg := cartpoleConfig()
	cfg.Hidden, cfg.BatchSize = []int{16}, 4
	rewards := []float32{-2, -1, 0, 1.5}
	batch := replay.NewBatch(4, 4)
	for i := range batch.Obs {
		batch.Obs[i] = float32(i%7)*0.3 - 1
		batch.NextObs[i] = float32(i%5) * 0.2
	}
	copy(batch.Rewards, rewards)
	for i := range 4 {
		batch.Actions[i] = int32(i % 2)
		batch.Terminated[i], batch.Discounts[i] = true, 0
		batch.Weights[i] = 1
	}
	obs := net.New[float32](4, 4)
	copy(obs.Data, batch.Obs)

	t.Run("c51", func(t *testing.T) {
		c := cfg
		c.Distributional, c.Atoms, c.VMin, c.VMax = C51, 9, -2, 2 // Δz = 0.5: every reward is an atom
		d, err := NewDQN(c, []int{4}, 2, newRand(1, streamInit))
		if err != nil {
			t.Fatal(err)
		}
		logits := slices.Clone(d.Online.Clone().Forward(obs).Data) // (4, 2, 9), before the step
		prio := make([]float32, 4)
		st := d.Update(batch, prio)
		want := 0.0
		for i, r := range rewards {
			row := logits[(i*2+int(batch.Actions[i]))*9:][:9]
			lse := 0.0
			for _, v := range row {
				lse += math.Exp(float64(v))
			}
			atom := int((r + 2) / 0.5)
			l := math.Log(lse) - float64(row[atom])
			if math.Abs(float64(prio[i])-l) > 1e-5 {
				t.Errorf("sample %d: priority %v, −log p = %v", i, prio[i], l)
			}
			want += l / 4
		}
		if math.Abs(st.Loss-want) > 1e-5 {
			t.Fatalf("loss %v, by hand %v", st.Loss, want)
		}
	})
	t.Run("qr", func(t *testing.T) {
		c := cfg
		c.Distributional, c.Quantiles, c.HuberDelta = QR, 4, 1
		d, err := NewDQN(c, []int{4}, 2, newRand(1, streamInit))
		if err != nil {
			t.Fatal(err)
		}
		theta := slices.Clone(d.Online.Clone().Forward(obs).Data) // (4, 2, 4)
		prio := make([]float32, 4)
		st := d.Update(batch, prio)
		want := 0.0
		for i, r := range rewards {
			l := 0.0
			for q, th := range theta[(i*2+int(batch.Actions[i]))*4:][:4] {
				tau := (float64(q) + 0.5) / 4
				u := float64(r) - float64(th)
				h := 0.5 * u * u
				if math.Abs(u) > 1 {
					h = math.Abs(u) - 0.5
				}
				if u < 0 {
					tau = 1 - tau
				}
				l += tau * h
			}
			if math.Abs(float64(prio[i])-l) > 1e-5 {
				t.Errorf("sample %d: priority %v, by hand %v", i, prio[i], l)
			}
			want += l / 4
		}
		if math.Abs(st.Loss-want) > 1e-5 {
			t.Fatalf("loss %v, by hand %v", st.Loss, want)
		}
	})
}

// TestRainbowPresetRuns trains the rainbow preset on MinAtar Breakout for a
// few hundred updates: its dueling noisy C51 head, prioritized 3-step replay
// and Adam run, the loss stays finite and evaluation acts on the mean weights.
func TestRainbowPresetRuns(t *testing.T) {
	cfg, err := Preset("rainbow")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 1400, 0, 1
	rec := &recorder{}
	tr, err := NewTrainer(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Agent.Online.HasNoise() {
		t.Fatal("the rainbow network has no noisy layers")
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Updates != (1400-1000)/4 || len(rec.losses) == 0 {
		t.Fatalf("%d updates, %d losses", res.Updates, len(rec.losses))
	}
	for _, l := range rec.losses {
		if math.IsNaN(l) || math.IsInf(l, 0) || l <= 0 {
			t.Fatalf("loss %v", l)
		}
	}
	t.Logf("%d updates, first loss %.3f, last %.3f, greedy return %.1f, %.1fs", res.Updates, rec.losses[0], rec.losses[len(rec.losses)-1], res.Final.Mean, res.Elapsed.Seconds())
}
