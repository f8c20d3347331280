package agent_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// chain is a walk along 9 cells: the agent starts in the middle, moves left
// or right, pays 0.01 a step and gets 1 on reaching the right end, which
// ends the episode. The best return is 0.97 (four steps right).
type chain struct {
	pos  int
	obs  [9]float32 // one-hot position
	spec env.Spec
}

func newChain() (env.Env, error) {
	low, high := make([]float32, 9), []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	return &chain{spec: env.Spec{ID: "Chain-9",
		Observation: env.Box{Shape: []int{9}, Low: low, High: high},
		Actions:     env.Discrete{N: 2, Names: []string{"left", "right"}},
		// Episodes are cut after 50 steps: New enforces the limit the spec declares.
		MaxEpisodeSteps: 50, RewardRange: [2]float64{-0.01, 1}}}, nil
}

func (c *chain) Spec() *env.Spec  { return &c.spec }
func (c *chain) Seed(uint64)      {} // deterministic: nothing to seed
func (c *chain) Reset() []float32 { c.pos = 4; return c.observe() }

func (c *chain) Step(a int) ([]float32, float64, bool, bool) {
	c.pos = min(max(c.pos+2*a-1, 0), 8) // 0: left, 1: right; the left end is a wall
	if c.pos == 8 {
		return c.observe(), 1, true, false
	}
	return c.observe(), -0.01, false, false
}

func (c *chain) observe() []float32 {
	c.obs = [9]float32{}
	c.obs[c.pos] = 1
	return c.obs[:]
}

// Train an env of your own: no registration, just a function that makes it.
func Example_ownEnv() {
	cfg := agent.DefaultConfig()
	cfg.TotalSteps, cfg.LearningStarts, cfg.ExplorationSteps = 4000, 500, 2000
	cfg.EvalEvery, cfg.FinalEvalEpisodes = 0, 1

	tr, err := agent.New(newChain, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: greedy return %.2f after %d steps\n", tr.Env.Spec().ID, res.Final.Mean, res.Steps)
	// Output: Chain-9: greedy return 0.97 after 4000 steps
}

// Keep the replay on disk, in a directory of its own: the process holds a
// cache of it (256 MiB unless disk@SIZE:DIR says otherwise), the run is the
// one in memory bit for bit, and a checkpoint records the buffer's position
// in its file, from which Resume reopens it.
func Example_replayOnDisk() {
	dir, err := os.MkdirTemp("", "deepq-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	cfg := agent.DefaultConfig()
	cfg.TotalSteps, cfg.LearningStarts, cfg.ExplorationSteps = 4000, 500, 2000
	cfg.EvalEvery, cfg.FinalEvalEpisodes = 0, 1
	if err := agent.SetFields("replay_storage=disk:"+filepath.Join(dir, "replay"), &cfg); err != nil {
		fmt.Println(err)
		return
	}

	tr, err := agent.New(newChain, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	tr.CheckpointDir = dir
	res, err := tr.Run(context.Background())
	if err := errors.Join(err, tr.Close()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: greedy return %.2f after %d steps\n", tr.Env.Spec().ID, res.Final.Mean, res.Steps)

	c, err := agent.LoadCheckpoint(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := agent.ResumeCheckpoint(c, agent.ResumeOptions{TotalSteps: 5000, MakeEnv: newChain})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Printf("resumed with %d transitions in the replay\n", r.Buffer.Added())
	// Output:
	// Chain-9: greedy return 0.97 after 4000 steps
	// resumed with 4000 transitions in the replay
}
