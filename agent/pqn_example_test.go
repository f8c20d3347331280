package agent_test

import (
	"context"
	"fmt"

	"github.com/deepq/deepq/agent"
)

// Train the chain walk with PQN: 8 copies in lockstep, Q(λ) targets over
// rollouts of 16 steps, no replay and no target network.
func ExampleNewPQN() {
	cfg, _ := agent.PQNPreset("pqn-cartpole")
	cfg.Env = "" // New takes the env's ID
	cfg.TotalSteps, cfg.NumEnvs, cfg.RolloutSteps = 8192, 8, 16
	cfg.RewardScale, cfg.ExplorationSteps, cfg.FinalEvalEpisodes = 1, 4000, 1

	p, err := agent.NewPQN(newChain, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := p.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: greedy return %.2f after %d frames\n", p.Vec.Spec().ID, res.Final.Mean, res.Steps)
	// Output: Chain-9: greedy return 0.97 after 8192 frames
}
