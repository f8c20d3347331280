package agent

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/deepq/deepq/replay"
)

// torchDQNRef is testdata/dqn_minatar_torch.json, written by
// testdata/dqn_torch_gen.py: MinAtar's DQN update done by PyTorch (float32).
type torchDQNRef struct {
	Spec struct {
		Channels, Actions, Batch, Updates int
		TargetEvery                       int `json:"target_every"`
		Gamma, LR, Alpha, Eps             float64
		WeightSeed                        uint64 `json:"weight_seed"`
		BatchSeed                         uint64 `json:"batch_seed"`
		ProbeSeed                         uint64 `json:"probe_seed"`
		Pick                              []int
	}
	Losses []float64
	ProbeQ []float64 `json:"probe_q"`
	Moved  map[string]struct {
		Sum, SumSq float64
		Pick       []float64
	}
}

// splitMix64 is the generator the reference script uses for its weights and
// batches, so that both sides start from the same numbers.
type splitMix64 uint64

func (s *splitMix64) next() uint64 {
	*s += 0x9E3779B97F4A7C15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

func (s *splitMix64) float() float64 { return float64(s.next()>>11) * 0x1p-53 }

// cells draws n binary observations of size, each cell on with probability 0.15.
func (s *splitMix64) cells(n, size int) []float32 {
	o := make([]float32, n*size)
	for i := range o {
		if s.float() < 0.15 {
			o[i] = 1
		}
	}
	return o
}

// TestDQNUpdateMatchesPyTorch runs the minatar preset's learner (conv net,
// centered RMSProp, smooth-L1, hard target copies) through the same 40
// updates as PyTorch and compares every loss, the Q-values of a probe batch
// afterwards and how far each parameter moved. Both compute in float32 and
// sum in different orders, so the tolerances are rounding, not slack: a
// different optimizer detail (ε inside the square root, no centering), loss
// reduction or target rule moves the parameters by far more.
func TestDQNUpdateMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/dqn_minatar_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref torchDQNRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	sp := ref.Spec
	cfg := minatarConfig()
	cfg.TargetUpdateInterval = sp.TargetEvery
	if cfg.BatchSize != sp.Batch || cfg.Gamma != sp.Gamma || cfg.LearningRate != sp.LR ||
		cfg.RMSPropAlpha != sp.Alpha || cfg.OptimizerEps != sp.Eps || !cfg.RMSPropCentered {
		t.Fatalf("the minatar preset no longer has the reference's settings: %+v", sp)
	}
	obsShape := []int{sp.Channels, 10, 10}
	obsSize := sp.Channels * 100
	d, err := NewDQN(cfg, obsShape, sp.Actions, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}

	// The reference's initial weights: U(±1/√fanIn) in state-dict order.
	fanIn := map[string]int{"0": sp.Channels * 9, "3": 16 * 8 * 8, "5": 128}
	w := splitMix64(sp.WeightSeed)
	start := map[string][]float32{}
	for _, p := range d.Online.Params() {
		layer, _, _ := strings.Cut(p.Name, ".")
		fi, ok := fanIn[layer]
		if !ok {
			t.Fatalf("parameter %s is not in the reference network", p.Name)
		}
		bound := 1 / math.Sqrt(float64(fi))
		for i := range p.Value.Data {
			p.Value.Data[i] = float32(bound * (2*w.float() - 1))
		}
		start[p.Name] = append([]float32(nil), p.Value.Data...)
	}
	d.UpdateTarget()

	rng := splitMix64(sp.BatchSeed)
	B := sp.Batch
	for u := 1; u <= sp.Updates; u++ {
		b := &replay.Batch{
			Obs: rng.cells(B, obsSize), NextObs: rng.cells(B, obsSize),
			Actions: make([]int32, B), Rewards: make([]float32, B), Discounts: make([]float32, B),
			Terminated: make([]bool, B), Weights: make([]float32, B),
		}
		for i := range B {
			b.Actions[i] = int32(rng.float() * float64(sp.Actions))
		}
		for i := range B {
			if rng.float() < 0.3 {
				b.Rewards[i] = 1
			}
		}
		for i := range B {
			b.Terminated[i] = rng.float() < 0.1
			b.Discounts[i] = float32(cfg.Gamma)
			if b.Terminated[i] {
				b.Discounts[i] = 0
			}
			b.Weights[i] = 1
		}
		st := d.Update(b, nil)
		if want := ref.Losses[u-1]; !near(st.Loss, want, 1e-6, 0) {
			t.Errorf("update %d: loss %.9g, PyTorch %.9g", u, st.Loss, want)
		}
		if d.TargetDue() {
			d.UpdateTarget()
		}
	}

	probe := splitMix64(sp.ProbeSeed)
	nProbe := len(ref.ProbeQ) / sp.Actions
	obs := probe.cells(nProbe, obsSize)
	for i := range nProbe {
		q := d.QValues(obs[i*obsSize : (i+1)*obsSize])
		for a, v := range q {
			if want := ref.ProbeQ[i*sp.Actions+a]; !near(float64(v), want, 1e-5, 1e-7) {
				t.Errorf("probe %d: Q(·, %d) = %.7g, PyTorch %.7g", i, a, v, want)
			}
		}
	}

	for _, p := range d.Online.Params() {
		want, ok := ref.Moved[p.Name]
		if !ok {
			t.Fatalf("no reference for parameter %s", p.Name)
		}
		var sum, sumSq float64
		moved := make([]float64, len(p.Value.Data))
		for i, v := range p.Value.Data {
			moved[i] = float64(v) - float64(start[p.Name][i])
			sum += moved[i]
			sumSq += moved[i] * moved[i]
		}
		check := func(what string, got, want, rel, abs float64) {
			if !near(got, want, rel, abs) {
				t.Errorf("%s moved by %s %.7g, PyTorch %.7g", p.Name, what, got, want)
			}
		}
		check("sum", sum, want.Sum, 1e-5, 1e-8)
		check("sum of squares", sumSq, want.SumSq, 1e-5, 0)
		for k, i := range sp.Pick {
			check(fmt.Sprintf("entry %d", i%len(moved)), moved[i%len(moved)], want.Pick[k], 1e-4, 1e-9)
		}
	}
}

// near reports |got − want| ≤ rel·|want| + abs.
func near(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)+abs
}
