package agent

import (
	"fmt"
	"math"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
)

// EvalResult summarises the returns of evaluation episodes.
type EvalResult struct {
	Episodes int       `json:"episodes"`
	Mean     float64   `json:"mean"`
	Std      float64   `json:"std"`
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
	Returns  []float64 `json:"returns"`
	Lengths  []int     `json:"lengths"`
}

// Evaluate plays episodes greedy episodes of the Q-network q, episode i on its
// own copy of the env made by mk and seeded with seed+i. The episodes run side
// by side so that each network call evaluates a batch.
func Evaluate(q *net.Sequential[float32], mk func() (env.Env, error), episodes int, seed uint64) (EvalResult, error) {
	if episodes < 1 {
		return EvalResult{}, fmt.Errorf("agent: evaluation needs at least 1 episode, got %d", episodes)
	}
	envs := make([]env.Env, episodes)
	for i := range envs {
		e, err := mk()
		if err != nil {
			return EvalResult{}, err
		}
		envs[i] = e
	}
	spec := envs[0].Spec()
	obsSize, nA := spec.Observation.Size(), spec.Actions.N
	res := EvalResult{Episodes: episodes, Returns: make([]float64, episodes), Lengths: make([]int, episodes)}
	obs := make([]float32, episodes*obsSize)
	active := make([]int, 0, episodes) // indices of running episodes
	for i, e := range envs {
		e.Seed(seed + uint64(i))
		copy(obs[i*obsSize:], e.Reset())
		active = append(active, i)
	}
	x := &net.Tensor[float32]{}
	for len(active) > 0 {
		// Gather the running episodes' observations into one batch.
		x.Shape = append(append(x.Shape[:0], len(active)), spec.Observation.Shape...)
		x.Data = x.Data[:0]
		for _, i := range active {
			x.Data = append(x.Data, obs[i*obsSize:(i+1)*obsSize]...)
		}
		qv := q.Forward(x).Data
		still := active[:0]
		for k, i := range active {
			a := policy.Greedy(qv[k*nA : (k+1)*nA])
			o, r, term, trunc := envs[i].Step(a)
			res.Returns[i] += r
			res.Lengths[i]++
			if term || trunc {
				continue
			}
			copy(obs[i*obsSize:], o)
			still = append(still, i)
		}
		active = still
	}
	res.Mean, res.Std, res.Min, res.Max = summarize(res.Returns)
	return res, nil
}

// summarize returns the mean, population standard deviation, min and max.
func summarize(v []float64) (mean, std, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		mean += x
		lo, hi = min(lo, x), max(hi, x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v))), lo, hi
}
