package replay_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/deepq/deepq/replay"
)

// An episode of 7 steps cut into sequences of 4 trained steps every 2 steps,
// each after up to 2 steps of burn-in (T = 6 rows). Observation t is the
// number t; row T+1 of Obs holds the observation after the last row, and the
// rows after the episode's end are padding.
func ExampleSequenceBuffer() {
	cfg := replay.DefaultSequenceConfig(1, 2)
	cfg.Length, cfg.BurnIn, cfg.Period, cfg.Capacity = 4, 2, 2, 16
	buf, err := replay.NewSequenceBuffer(cfg)
	if err != nil {
		panic(err)
	}
	h, c := make([]float32, 2), make([]float32, 2) // the actor's LSTM state before each step
	for t := range 7 {
		h[0] = float32(t)
		buf.Add(0, replay.SequenceStep{
			Obs: []float32{float32(t)}, H: h, C: c, Action: 1, Reward: 1,
			Next: []float32{float32(t + 1)}, Terminated: t == 6,
		})
	}
	// Equal priorities and a stratified draw of 4: each sequence once, in order.
	batch := replay.NewSequenceBatch(4, buf.Config())
	buf.Sample(rand.New(rand.NewPCG(1, 2)), batch)
	T := batch.T
	for k := range batch.Size() {
		fmt.Printf("obs %v mask %v terminated %v h₀ %v\n",
			batch.Obs[k*(T+1):(k+1)*(T+1)], batch.Mask[k*T:(k+1)*T], batch.Terminated[k*T:(k+1)*T], batch.H[k*2])
	}
	// Output:
	// obs [0 1 2 3 4 0 0] mask [1 1 1 1 0 0] terminated [0 0 0 0 0 0] h₀ 0
	// obs [0 1 2 3 4 5 6] mask [0 0 1 1 1 1] terminated [0 0 0 0 0 0] h₀ 0
	// obs [2 3 4 5 6 7 0] mask [0 0 1 1 1 0] terminated [0 0 0 0 1 0] h₀ 2
	// obs [4 5 6 7 0 0 0] mask [0 0 1 0 0 0] terminated [0 0 1 0 0 0] h₀ 4
}
