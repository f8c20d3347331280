package apex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// TestAdderPrioritiesMatchReplay: an actor's batches, ingested by a learner,
// give the replay transitions whose n-step return, discount and bootstrap
// state are the ones the actor computed its priority from: recomputing
// |δ| from each sampled transition with the same networks gives the actor's
// priority. Episodes end by termination and, at the 50-step limit, by
// truncation; a batch boundary falls mid-episode.
func TestAdderPrioritiesMatchReplay(t *testing.T) {
	for _, double := range []bool{true, false} {
		t.Run(fmt.Sprintf("double=%v", double), func(t *testing.T) {
			cfg := DefaultLearnerConfig(smallConfig(10_000))
			cfg.Agent.DoubleDQN = double
			cfg.Streams = 1
			l, err := NewLearner(func() (env.Env, error) { return env.Make("cartpole:max-steps=50") }, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			nets := &Nets{Online: l.dqn.Online, Target: l.dqn.Target, obsShape: l.info.ObsShape}
			// Different target weights, so that Double DQN's choice matters.
			for _, p := range nets.Target.Params() {
				for i := range p.Value.Data {
					p.Value.Data[i] *= 1.5
				}
			}
			want := map[string]float32{}
			var sent int
			adder := NewAdder(&cfg.Agent, l.info.ObsShape, 2, l.info.FrameSize, l.info.Storage, 0, 1, 37, func(b *Batch) error {
				p, err := b.AppendBinary(nil)
				if err != nil {
					return err
				}
				sent += b.Len()
				// Keys: the step's obs, rebuilt from the batch's frames.
				obs := []float32(nil)
				fr := b.Frames
				for k, fl := range b.Flags {
					if fl&StepObs != 0 {
						obs = fr[:4]
						fr = fr[4:]
					}
					want[key(obs, b.Actions[k])] = b.Priorities[k]
					obs = fr[:4]
					fr = fr[4:]
				}
				l.ingest(p)
				return nil
			})
			adder.Nets = nets
			e, _ := env.Make("cartpole:max-steps=50")
			e = env.Standard(e)
			rng := rand.New(rand.NewPCG(1, 2))
			e.Seed(3)
			obs := append([]float32(nil), e.Reset()...)
			for range 1000 {
				a := rng.IntN(2)
				next, r, term, trunc := e.Step(a)
				adder.Add(obs, a, r, next, term, trunc)
				if term || trunc {
					obs = append(obs[:0], e.Reset()...)
				} else {
					obs = append(obs[:0], next...)
				}
			}
			if err := adder.Err(); err != nil {
				t.Fatal(err)
			}
			if l.Ingested() != int64(sent) || sent < 900 {
				t.Fatalf("ingested %d of %d steps sent", l.Ingested(), sent)
			}
			b := replay.NewBatch(256, 4)
			l.buf.Sample(rand.New(rand.NewPCG(5, 6)), b)
			wmin, wmax := math.Inf(1), math.Inf(-1)
			for i := range 256 {
				s, next := b.Obs[4*i:4*i+4], b.NextObs[4*i:4*i+4]
				a := int(b.Actions[i])
				q := append([]float32(nil), nets.QValues(s)...)
				qo := append([]float32(nil), nets.QValues(next)...)
				qt := nets.Target.Forward(nets.tensor(next)).Data
				var v float32
				if double {
					v = qt[policy.Greedy(qo)]
				} else {
					v = qt[policy.Greedy(qt)]
				}
				δ := float32(math.Abs(float64(q[a] - (b.Rewards[i] + b.Discounts[i]*v))))
				w, ok := want[key(s, b.Actions[i])]
				if !ok {
					t.Fatalf("sample %d: no step sent from %v by %d", i, s, a)
				}
				if math.Abs(float64(δ-w)) > 1e-4*max(1, float64(w)) {
					t.Errorf("sample %d: |δ| from the replay's transition %v, the actor's priority %v (R %v, discount %v)", i, δ, w, b.Rewards[i], b.Discounts[i])
				}
				wmin, wmax = min(wmin, float64(b.Weights[i])), max(wmax, float64(b.Weights[i]))
			}
			if wmax/wmin < 1.2 { // all 1 if every transition had the same (maximal) priority
				t.Errorf("importance weights in [%v, %v]: the priorities sent did not shape sampling", wmin, wmax)
			}
		})
	}
}

func key(obs []float32, a int32) string { return fmt.Sprint(obs, a) }
