package agent

import (
	"fmt"
	"sync"

	"github.com/deepq/deepq/internal/vec"
	"github.com/deepq/deepq/net"
)

// shards runs a Q-network data-parallel over S goroutines: shard k holds its
// own copy of the network and works on rows [k·n/S, (k+1)·n/S) of a batch of
// n, so that every layer (convolutions, LayerNorms, ReLUs, not only the large
// matrix products that net.SetThreads splits) runs on S cores. Shard 0 is the
// master, the network the optimizer steps; the others are replicas that
// share the master's weight tensors (only read during the passes, stepped in
// place between them) and keep their own activations and gradients.
//
// A gradient step sums the shards' parameter gradients into the master's in
// shard order, so a run's numbers depend on S (rounding differs from one
// pass over the whole batch) but not on scheduling: the same S and seed give
// the same run.
type shards struct {
	models []*net.Sequential[float32]
	shape  []int // per-sample observation shape
	size   int   // elements per observation
	nA     int
	xs     []net.Tensor[float32] // per-shard views of a batch
	dys    []net.Tensor[float32]
	out    []float32 // (n, A)
	wg     sync.WaitGroup
}

func newShards(q *net.Sequential[float32], s int, obsShape []int, nA int) *shards {
	if s < 1 {
		panic(fmt.Sprintf("agent: %d shards", s))
	}
	sh := &shards{models: []*net.Sequential[float32]{q}, shape: obsShape, nA: nA,
		xs: make([]net.Tensor[float32], s), dys: make([]net.Tensor[float32], s)}
	sh.size = 1
	for _, d := range obsShape {
		sh.size *= d
	}
	for range s - 1 {
		r := q.Clone()
		for i, p := range r.Params() {
			p.Value = q.Params()[i].Value // the layers read p.Value at each pass
		}
		sh.models = append(sh.models, r)
	}
	return sh
}

// run calls f(k, lo, hi) for each shard k with a nonempty row range [lo, hi)
// of a batch of n, shard 0 on the calling goroutine, and waits for all.
func (s *shards) run(n int, f func(k, lo, hi int)) {
	S := len(s.models)
	if S == 1 {
		f(0, 0, n)
		return
	}
	for k := 1; k < S; k++ {
		lo, hi := k*n/S, (k+1)*n/S
		if lo == hi {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			f(k, lo, hi)
		}()
	}
	if hi := n / S; hi > 0 {
		f(0, 0, hi)
	}
	s.wg.Wait()
}

// QValuesBatch returns Q(obs, ·) for n observations, (n, A) row-major,
// valid until the next call. Each shard keeps its rows' activations for
// Backward.
func (s *shards) QValuesBatch(obs []float32, n int) []float32 {
	A := s.nA
	if cap(s.out) < n*A {
		s.out = make([]float32, n*A)
	}
	s.out = s.out[:n*A]
	s.run(n, func(k, lo, hi int) {
		x := &s.xs[k]
		x.Shape = append(append(x.Shape[:0], hi-lo), s.shape...)
		x.Data = obs[lo*s.size : hi*s.size]
		copy(s.out[lo*A:hi*A], s.models[k].Forward(x).Data)
	})
	return s.out
}

// Backward sets the master's parameter gradients to those of the last
// QValuesBatch's batch for δ = ∂L/∂Q (n, A): each shard back-propagates its
// rows into its own gradients, which are then summed into the master's.
func (s *shards) Backward(dq []float32, n int) {
	A := s.nA
	s.models[0].ZeroGrad()
	s.run(n, func(k, lo, hi int) {
		m := s.models[k]
		if k > 0 {
			m.ZeroGrad()
		}
		dy := &s.dys[k]
		dy.Shape = append(dy.Shape[:0], hi-lo, A)
		dy.Data = dq[lo*A : hi*A]
		m.BackwardParams(dy)
	})
	master := s.models[0].Params()
	for k := 1; k < len(s.models); k++ {
		if k*n/len(s.models) == (k+1)*n/len(s.models) {
			continue // no rows: its gradients were not computed
		}
		for i, p := range s.models[k].Params() {
			vec.AddTo(master[i].Grad.Data, p.Grad.Data)
		}
	}
}
