package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/policy"
)

// checkpointList is the value of a --checkpoint flag that may be repeated or
// hold comma-separated paths: several checkpoints act as an ensemble on the
// mean of their Q-values.
type checkpointList []string

func (l *checkpointList) String() string { return strings.Join(*l, ",") }

func (l *checkpointList) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			return fmt.Errorf("%q names an empty checkpoint path", s)
		}
		*l = append(*l, p)
	}
	return nil
}

// qFunc is what eval and play act with.
type qFunc interface {
	policy.QFunc
	policy.BatchQFunc
}

// loadQ loads the checkpoints at paths, DQN or PQN, and returns their greedy
// Q-function: the one network's expected Q, or the mean of their Q-values
// when there are several (agent.MeanQ; their parameters are never averaged).
// All must take the first one's observations and have its actions. It
// returns the first checkpoint too, whose config names the default env.
func loadQ(paths []string, seed uint64) (qFunc, *agent.CheckpointPolicy, error) {
	var first *agent.CheckpointPolicy
	var members []policy.BatchQFunc
	for i, p := range paths {
		// Each member draws its own IQN τ.
		c, err := agent.LoadCheckpointPolicy(p, seed+uint64(i))
		if err != nil {
			return nil, nil, err
		}
		if c.Recurrent && len(paths) > 1 {
			// A recurrent network carries a state per episode: it acts alone.
			return nil, nil, fmt.Errorf("checkpoint %s is recurrent: it cannot be part of an ensemble; give it alone", p)
		}
		if i == 0 {
			first = c
		} else if !slices.Equal(c.InShape, first.InShape) || c.NumActions != first.NumActions {
			return nil, nil, fmt.Errorf("checkpoint %s takes %v observations and %d actions, %s takes %v and %d: they cannot form an ensemble",
				p, c.InShape, c.NumActions, paths[0], first.InShape, first.NumActions)
		}
		members = append(members, c.Q)
	}
	if len(members) == 1 {
		return first.Q, first, nil
	}
	m, err := agent.NewMeanQ(members...)
	return m, first, err
}
