package net

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEnsembleAveragesQNotParameters trains four networks from different
// seeds on the same Q-function, Q(s) = (sin 3s, cos 2s) on s ∈ [−1, 1], then
// compares on held-out states: each network alone, the ensemble averaging
// their Q-values, and the network with averaged parameters. The ensemble is
// at least as good as the members' mean error (Jensen: the squared error is
// convex) and it equals the mean of the members' outputs; the
// parameter-averaged network is far worse than any member, because hidden
// units of separately trained networks do not correspond.
func TestEnsembleAveragesQNotParameters(t *testing.T) {
	qTrue := func(s float64) (float64, float64) { return math.Sin(3 * s), math.Cos(2 * s) }
	batch := func(rng *rand.Rand, n int) (*Tensor[float64], []float64) {
		x, y := New[float64](n, 1), make([]float64, 2*n)
		for i := range n {
			s := 2*rng.Float64() - 1
			x.Data[i] = s
			y[2*i], y[2*i+1] = qTrue(s)
		}
		return x, y
	}
	mse := func(m interface {
		QValues(x *Tensor[float64]) *Tensor[float64]
	}, x *Tensor[float64], y []float64) float64 {
		q := m.QValues(x)
		s := 0.0
		for i, v := range q.Data {
			s += (v - y[i]) * (v - y[i])
		}
		return s / float64(len(y))
	}

	const k = 4
	var members []*Sequential[float64]
	for seed := range uint64(k) {
		rng := rand.New(rand.NewPCG(100+seed, 7))
		m, err := Build[float64]([]int{1}, MLP([]int{32, 32}, 2), rng)
		if err != nil {
			t.Fatal(err)
		}
		opt := NewAdam(m.Params(), AdamConfig{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		grad := New[float64](32, 2)
		for range 600 {
			x, y := batch(rng, 32)
			q := m.Forward(x)
			EvalLoss(MSE{}, ReduceMean, q.Data, y, nil, grad.Data, nil)
			opt.ZeroGrad()
			m.BackwardParams(grad)
			opt.Step()
		}
		members = append(members, m)
	}
	ens, err := NewEnsemble(nil, 2, members...)
	if err != nil {
		t.Fatal(err)
	}
	avg, err := AverageParameters(members...)
	if err != nil {
		t.Fatal(err)
	}

	x, y := batch(rand.New(rand.NewPCG(9, 9)), 256)
	worst, mean := 0.0, 0.0
	for _, m := range members {
		e := mse(single{m}, x, y)
		worst = max(worst, e)
		mean += e / k
	}
	eEns := mse(ens, x, y)
	eAvg := mse(single{avg}, x, y)
	t.Logf("held-out MSE: members mean %.2e (worst %.2e), Q-averaged ensemble %.2e, parameter-averaged network %.2e",
		mean, worst, eEns, eAvg)
	if worst > 0.01 {
		t.Fatalf("a member did not learn (MSE %.3g > 0.01)", worst)
	}
	if eEns > mean {
		t.Errorf("ensemble MSE %.3g above the members' mean %.3g", eEns, mean)
	}
	if eAvg < 10*worst {
		t.Errorf("parameter-averaged MSE %.3g is not ≥ 10× the worst member's %.3g", eAvg, worst)
	}

	// The ensemble's Q is the mean of the members' outputs.
	q := ens.QValues(x).Clone()
	for i := range q.Data {
		s := 0.0
		for _, m := range members {
			s += m.Forward(x).Data[i]
		}
		if math.Abs(q.Data[i]-s/k) > 1e-15 {
			t.Fatalf("Q[%d] = %v, mean of the members %v", i, q.Data[i], s/k)
		}
	}
}

// single adapts one network to the QValues method.
type single struct{ m *Sequential[float64] }

func (s single) QValues(x *Tensor[float64]) *Tensor[float64] { return s.m.Forward(x) }

// TestEnsembleCategorical averages C51 members through Value: the ensemble's
// Q is the mean of each member's Σ z·p, not anything computed from averaged
// logits; and mismatched members are errors.
func TestEnsembleCategorical(t *testing.T) {
	sup := Support{VMin: -5, VMax: 5, Atoms: 7}
	value := func(out *Tensor[float64], q []float64) { CategoricalQ(sup, out.Data, nil, q) }
	var members []*Sequential[float64]
	for seed := range uint64(3) {
		m, err := Build[float64]([]int{3}, []LayerSpec{Dense(8), ReLU(), DuelingCategorical(2, 7, 0)}, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	ens, err := NewEnsemble(value, 2, members...)
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(rand.New(rand.NewPCG(3, 3)), 4, 3)
	q := ens.QValues(x).Clone()
	want := make([]float64, 8)
	one := make([]float64, 8)
	for _, m := range members {
		value(m.Forward(x), one)
		for i, v := range one {
			want[i] += v / 3
		}
	}
	closeTo(t, "ensemble Q", q.Data, want, 1e-15)

	other, _ := Build[float64]([]int{4}, MLP(nil, 2), rand.New(rand.NewPCG(1, 1)))
	if _, err := NewEnsemble(nil, 2, members[0], other); err == nil {
		t.Error("members with different input shapes made an ensemble")
	}
	if _, err := NewEnsemble[float64](nil, 2); err == nil {
		t.Error("an empty ensemble was made")
	}
	if _, err := AverageParameters(members[0], other); err == nil {
		t.Error("parameters of different architectures were averaged")
	}
}
