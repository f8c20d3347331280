package agent

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
)

// TestSixteenBitCartPole measures what 16-bit numbers do to a trained
// CartPole Q-network (the cartpole preset, seed 1, float32): on the states
// its greedy policy visits (20 episodes), the Q-values of the network read
// back from a float16 and a bfloat16 exported checkpoint (Export), and of
// the float32 network run in bf16 mixed precision (net.BF16, the arithmetic
// of precision=bf16), against the float32 Q-values: the largest |ΔQ|, |ΔQ|
// relative to |Q|, the share of states whose greedy action changes, set
// against the action gap |Q(s,0) − Q(s,1)|; and the greedy mean return of
// each over 100 episodes. Gated by DEEPQ_LONG=1 (DEEPQ_LONG_PRESETS=
// cartpole-16bit alone). The exported networks must keep the return ≥ 475.
func TestSixteenBitCartPole(t *testing.T) {
	longTests(t, "cartpole-16bit")
	cfg, err := Preset("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr, err := NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.CheckpointDir = dir
	runTo(t, tr)
	c, err := LoadCheckpoint(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}

	// The states the greedy float32 policy visits.
	ref := NewQNet(c.Online)
	var states []float32
	for ep := range 20 {
		e, err := env.Make(cfg.Env)
		if err != nil {
			t.Fatal(err)
		}
		e.Seed(uint64(1000 + ep))
		obs := slices.Clone(e.Reset())
		for {
			states = append(states, obs...)
			q := ref.QValues(obs)
			next, _, term, trunc := e.Step(argmax(q))
			if term || trunc {
				break
			}
			copy(obs, next)
		}
	}
	n := len(states) / 4
	want := slices.Clone(NewQNet(c.Online.Clone()).QValuesBatch(states, n))
	gaps := make([]float64, n)
	for i := range n {
		gaps[i] = math.Abs(float64(want[2*i] - want[2*i+1]))
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	t.Logf("float32 network: %d states, Q from %.2f to %.2f; action gap |Q(s,0)−Q(s,1)| median %.3g, 10th percentile %.3g",
		n, slices.Min(want), slices.Max(want), sorted[n/2], sorted[n/10])

	mk := func() (env.Env, error) { return env.Make(cfg.Env) }
	nets := []struct {
		name string
		m    *net.Sequential[float32]
	}{{"float32", c.Online}}
	for _, dtype := range []string{"float16", "bfloat16"} {
		path := filepath.Join(dir, dtype+".ckpt")
		if err := c.Export(path, dtype); err != nil {
			t.Fatal(err)
		}
		e, err := LoadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, struct {
			name string
			m    *net.Sequential[float32]
		}{dtype + " checkpoint", e.Online})
	}
	b16 := c.Online.Clone()
	if err := b16.SetPrecision(net.BF16); err != nil {
		t.Fatal(err)
	}
	nets = append(nets, struct {
		name string
		m    *net.Sequential[float32]
	}{"float32 weights, bf16 matmuls", b16})

	table := "\n| network | max abs ΔQ | max ΔQ/|Q| | greedy action changed | of those, largest float32 gap | greedy mean return (100 ep.) |\n|---|---|---|---|---|---|\n"
	for _, nt := range nets {
		got := NewQNet(nt.m).QValuesBatch(states, n)
		var maxAbs, maxRel, flipGap float64
		flips := 0
		for i := range n {
			for a := range 2 {
				d := math.Abs(float64(got[2*i+a] - want[2*i+a]))
				maxAbs = max(maxAbs, d)
				maxRel = max(maxRel, d/math.Abs(float64(want[2*i+a])))
			}
			if argmax(got[2*i:2*i+2]) != argmax(want[2*i:2*i+2]) {
				flips++
				flipGap = max(flipGap, gaps[i])
			}
		}
		res, err := Evaluate(nt.m, mk, EvalOptions{Episodes: 100, Seed: 77})
		if err != nil {
			t.Fatal(err)
		}
		table += fmt.Sprintf("| %s | %.3g | %.3g | %d of %d (%.2f%%) | %.3g | %.2f ± %.2f |\n", nt.name, maxAbs, maxRel, flips, n,
			100*float64(flips)/float64(n), flipGap, res.Mean, res.Std)
		if nt.name != "float32 weights, bf16 matmuls" && res.Mean < 475 {
			t.Errorf("%s: greedy mean %.2f, below 475", nt.name, res.Mean)
		}
	}
	t.Log(table)
}

func argmax(q []float32) int {
	best := 0
	for i, v := range q {
		if v > q[best] {
			best = i
		}
	}
	return best
}
