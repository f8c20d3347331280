package agent

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/deepq/deepq/policy"
)

// GreedyQ returns the checkpoint's online network as a Q-function to act
// with: the expected Q of its head, noisy layers switched to their mean
// weights, IQN's τ drawn from a generator seeded with seed.
func (c *Checkpoint) GreedyQ(seed uint64) *QNet {
	c.Online.SetNoise(false)
	return NewQNetFor(&c.Meta.Config, c.Online, rand.New(rand.NewPCG(seed, streamActQ)))
}

// MeanQ is an ensemble of Q-functions that acts on the mean of their
// action values,
//
//	Q̄(s, a) = (1/K) Σₖ Qₖ(s, a)
//
// never on the mean of their parameters: separately trained networks are not
// aligned, and the network of their mean weights computes something else (see
// net.Ensemble and net.AverageParameters). Members may have different heads
// (C51, QR-DQN, IQN, plain) as long as they take the same observations and
// have the same actions.
type MeanQ struct {
	Members []policy.BatchQFunc
	q       []float32
	sum     []float64
}

// NewMeanQ returns the ensemble of the members.
func NewMeanQ(members ...policy.BatchQFunc) (*MeanQ, error) {
	if len(members) == 0 {
		return nil, errors.New("agent: an ensemble needs at least one Q-function")
	}
	return &MeanQ{Members: members}, nil
}

// QValues returns Q̄(obs, ·).
func (m *MeanQ) QValues(obs []float32) []float32 { return m.QValuesBatch(obs, 1) }

// QValuesBatch returns Q̄(obsᵢ, ·) of n observations, (n, A) row-major,
// valid until the next call. The sum is in float64.
func (m *MeanQ) QValuesBatch(obs []float32, n int) []float32 {
	sum := m.sum[:0]
	for k, f := range m.Members {
		q := f.QValuesBatch(obs, n)
		if k == 0 {
			sum = slices.Grow(sum, len(q))[:len(q)]
			clear(sum)
		} else if len(q) != len(sum) {
			panic(fmt.Sprintf("agent: ensemble member %d gives %d Q-values, member 0 gives %d", k, len(q), len(sum)))
		}
		for i, v := range q {
			sum[i] += float64(v)
		}
	}
	m.sum = sum
	m.q = slices.Grow(m.q[:0], len(sum))[:len(sum)]
	for i, s := range sum {
		m.q[i] = float32(s / float64(len(m.Members)))
	}
	return m.q
}

var (
	_ policy.QFunc      = (*MeanQ)(nil)
	_ policy.BatchQFunc = (*MeanQ)(nil)
)
