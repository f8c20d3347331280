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

// loadQ loads the checkpoints at paths and returns their greedy Q-function:
// the one network's expected Q, or the mean of their Q-values when there are
// several (agent.MeanQ; their parameters are never averaged). All must take
// the first one's observations and have its actions. It returns the first
// checkpoint too, whose config names the default env. A recurrent
// checkpoint's Q-function carries the LSTM state (agent.RecurrentQ, an
// agent.Memory): it starts from zeros and each call is one step.
func loadQ(paths []string, seed uint64) (qFunc, *agent.Checkpoint, error) {
	var first *agent.Checkpoint
	var members []policy.BatchQFunc
	for i, p := range paths {
		c, err := agent.LoadCheckpoint(p)
		if err != nil {
			return nil, nil, err
		}
		if c.ROnline != nil {
			// A recurrent network carries a state per episode: it acts alone.
			if len(paths) > 1 {
				return nil, nil, fmt.Errorf("checkpoint %s is recurrent: it cannot be part of an ensemble; give it alone", p)
			}
			return agent.NewRecurrentQ(c.ROnline), c, nil
		}
		if i == 0 {
			first = c
		} else if !slices.Equal(c.Online.InShape, first.Online.InShape) || c.Meta.NumActions != first.Meta.NumActions {
			return nil, nil, fmt.Errorf("checkpoint %s takes %v observations and %d actions, %s takes %v and %d: they cannot form an ensemble",
				p, c.Online.InShape, c.Meta.NumActions, paths[0], first.Online.InShape, first.Meta.NumActions)
		}
		// Each member draws its own IQN τ.
		members = append(members, c.GreedyQ(seed+uint64(i)))
	}
	if len(members) == 1 {
		return members[0].(*agent.QNet), first, nil
	}
	m, err := agent.NewMeanQ(members...)
	return m, first, err
}
