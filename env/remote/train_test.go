package remote

import (
	"context"

	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env/remote/remotetest"
)

// TestTrainCartPolePreset trains the cartpole preset (50k steps) through the
// Python server's CartPole, whose dynamics and start states are deepq's own:
// the final greedy policy must balance the pole (≥ 475 over 100 episodes,
// played through the server too), and the run must be the run on deepq's
// own CartPole, weight for weight. The periodic evaluations are off (they
// cost as much as the training and change nothing in it).
func TestTrainCartPolePreset(t *testing.T) {
	s := sharedServer(t)
	train := func(envName string) (*agent.Trainer, agent.Result) {
		cfg, err := agent.Preset("cartpole")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Env, cfg.EvalEvery = envName, 0
		tr, err := agent.NewTrainer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tr, res
	}
	remote, res := train("remote:addr=" + s.Addr + ",world=CartPole-v1,max-steps=500,timeout=60s")
	t.Logf("through the server: final greedy mean %.2f over %d episodes (min %.0f), %.1fs", res.Final.Mean, res.Final.Episodes, res.Final.Min, res.Elapsed.Seconds())
	if res.Final.Episodes != 100 || res.Final.Mean < 475 {
		t.Errorf("final greedy evaluation %.2f over %d episodes, want ≥ 475 over 100", res.Final.Mean, res.Final.Episodes)
	}
	local, lres := train("cartpole")
	for i, p := range local.Agent.Online.Params() {
		if !slices.Equal(p.Value.Data, remote.Agent.Online.Params()[i].Value.Data) {
			t.Fatalf("weights %s differ from the run on deepq's CartPole (final means %.2f, %.2f)", p.Name, res.Final.Mean, lres.Final.Mean)
		}
	}
}

// TestServerKilledMidRun kills the server in the middle of a run: training
// stops at once with an error naming the env, and a final checkpoint from
// which the run resumes (on a new server) to its end.
func TestServerKilledMidRun(t *testing.T) {
	s := remotetest.StartCartPole(t)
	cfg, err := agent.Preset("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TotalSteps, cfg.EvalEvery, cfg.FinalEvalEpisodes = 6000, 0, 2
	cfg.Env = "remote:addr=" + s.Addr + ",world=CartPole-v1,max-steps=500,timeout=5s"
	killer := &killAt{step: 3000, kill: s.Kill}
	tr, err := agent.NewTrainer(cfg, killer)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr.CheckpointDir = dir
	_, err = tr.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(err.Error(), "final.ckpt") {
		t.Fatalf("run with its server killed: %v; want an error that names the failure and the checkpoint", err)
	}
	t.Log(err)
	c, err := agent.LoadCheckpoint(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Step != 3000 {
		t.Fatalf("final.ckpt at step %d, want 3000 (the last step taken)", c.Meta.Step)
	}
	// A new server: the run resumes from the checkpoint (the running episode
	// replayed there) and ends.
	s2 := remotetest.StartCartPole(t)
	c.Meta.Config.Env = strings.Replace(cfg.Env, s.Addr, s2.Addr, 1)
	r, err := agent.ResumeCheckpoint(c, agent.ResumeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil || res.Steps != 6000 {
		t.Fatalf("resumed run: %d steps, %v", res.Steps, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "final.ckpt")); err != nil {
		t.Fatal(err)
	}
}

// killAt kills the server after the given step.
type killAt struct {
	agent.NopObserver
	step int64
	kill func()
}

func (k *killAt) OnStep(e *agent.StepEvent) {
	if e.Step == k.step {
		k.kill()
	}
}
