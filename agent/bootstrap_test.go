package agent

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// bootBatch returns a batch of b random transitions of obsSize-element
// observations over numActions actions, with masks of K bits drawn with
// probability p, some terminal.
func bootBatch(rng *rand.Rand, b, obsSize, numActions, K int, p float64) *replay.Batch {
	batch := replay.NewBatch(b, obsSize)
	for i := range batch.Obs {
		batch.Obs[i], batch.NextObs[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	for i := range b {
		batch.Actions[i] = int32(rng.IntN(numActions))
		batch.Rewards[i] = float32(rng.NormFloat64())
		batch.Discounts[i] = 0.99
		if rng.IntN(5) == 0 {
			batch.Discounts[i] = 0
		}
		for k := range K {
			if rng.Float64() < p {
				batch.Masks[i] |= 1 << k
			}
		}
	}
	return batch
}

// TestBootstrapUpdate checks Bootstrapped DQN's gradient step against an
// independent float64 computation of its loss from the networks' weights:
//
//	L = (1/K) Σ_k (1/B) Σ_i m_ik · ℓ(Q_k(s_i, a_i) − y_ik),  y_ik = r_i + γ_i · Q_target,k(s′_i, argmax Q_k(s′_i, ·))
//
// the loss the update reports, its gradient with respect to every online
// parameter against central differences, and that a head no sample's mask
// includes does not move.
func TestBootstrapUpdate(t *testing.T) {
	const K, B, A, obs = 3, 16, 2, 4
	cfg := shortConfig(t, 3)
	cfg.Hidden, cfg.BatchSize, cfg.MaxGradNorm, cfg.Loss = []int{5}, B, 0, Huber
	cfg.BootstrapHeads, cfg.BootstrapP = K, 0.5
	d, err := NewDQN(cfg, []int{obs}, A, newRand(1, streamInit))
	if err != nil {
		t.Fatal(err)
	}
	// The target differs from the online network.
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range d.Target.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(0.1 * rng.NormFloat64())
		}
	}
	batch := bootBatch(rng, B, obs, A, K, 0.5)
	for i := range batch.Masks {
		batch.Masks[i] &^= 1 << 2 // no sample trains head 2
	}
	// Float64 copies of the networks before the step.
	to64 := func(m *net.Sequential[float32]) *net.Sequential[float64] {
		b, err := net.MarshalModel(m)
		if err != nil {
			t.Fatal(err)
		}
		m64, err := net.UnmarshalModel[float64](b)
		if err != nil {
			t.Fatal(err)
		}
		return m64
	}
	on64, tg64 := to64(d.Online), to64(d.Target)
	before := make([][]float32, 0)
	for _, p := range d.Online.Params() {
		before = append(before, slices.Clone(p.Value.Data))
	}
	x, xn := net.New[float64](B, obs), net.New[float64](B, obs)
	for i := range x.Data {
		x.Data[i], xn.Data[i] = float64(batch.Obs[i]), float64(batch.NextObs[i])
	}
	// Targets from the unperturbed networks (no gradient flows through them).
	qn, qt := on64.Forward(xn).Clone(), tg64.Forward(xn).Clone()
	y := make([]float64, B*K)
	for i := range B {
		for k := range K {
			row := qn.Data[(i*K+k)*A : (i*K+k+1)*A]
			best := 0
			for a := range A {
				if row[a] > row[best] {
					best = a
				}
			}
			y[i*K+k] = float64(batch.Rewards[i]) + float64(batch.Discounts[i])*qt.Data[(i*K+k)*A+best]
		}
	}
	huber := func(u float64) float64 {
		if math.Abs(u) <= 1 {
			return 0.5 * u * u
		}
		return math.Abs(u) - 0.5
	}
	loss := func() float64 {
		q := on64.Forward(x).Data
		s := 0.0
		for i := range B {
			for k := range K {
				if batch.Masks[i]&(1<<k) != 0 {
					s += huber(q[(i*K+k)*A+int(batch.Actions[i])] - y[i*K+k])
				}
			}
		}
		return s / (B * K)
	}
	want := loss()

	st := d.Update(batch, make([]float32, B))
	if math.Abs(st.Loss-want) > 1e-5*math.Max(1, want) {
		t.Errorf("loss %v, the float64 reference %v", st.Loss, want)
	}
	worst := 0.0
	for pi, p := range on64.Params() {
		g := d.Online.Params()[pi].Grad.Data
		for j := range p.Value.Data {
			v := p.Value.Data[j]
			const h = 1e-6
			p.Value.Data[j] = v + h
			lp := loss()
			p.Value.Data[j] = v - h
			lm := loss()
			p.Value.Data[j] = v
			num := (lp - lm) / (2 * h)
			worst = max(worst, math.Abs(num-float64(g[j]))/math.Max(math.Abs(num)+math.Abs(float64(g[j])), 1e-4))
		}
	}
	if worst > 1e-3 {
		t.Errorf("worst relative error of the gradient against central differences: %.2g", worst)
	}
	t.Logf("loss %.6f (reference %.6f), worst gradient relative error %.2g", st.Loss, want, worst)
	// Head 2 (parameters 2.2.weight, 2.2.bias) did not move; the others did.
	for pi, p := range d.Online.Params() {
		moved := !slices.Equal(p.Value.Data, before[pi])
		if head2 := strings.HasPrefix(p.Name, "2.2."); moved == head2 {
			t.Errorf("%s: moved %v, but no mask includes head 2", p.Name, moved)
		}
	}
}

// TestBootstrapActing checks that the actor acts with one head, drawn anew
// each episode from a seeded stream, that evaluation acts on the mean of
// the heads, and that the replay stores masks.
func TestBootstrapActing(t *testing.T) {
	cfg := shortConfig(t, 4)
	cfg.TotalSteps, cfg.BootstrapHeads, cfg.BootstrapP = 600, 5, 0.5
	tr, err := NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tr.head == nil || tr.Actor.Q != tr.head {
		t.Fatal("the actor does not act with a head")
	}
	heads := map[int]int{}
	for range 30 {
		heads[tr.head.Head()]++
		tr.Actor.StartEpisode()
	}
	if len(heads) < 4 {
		t.Errorf("30 episodes used heads %v, want nearly all 5", heads)
	}
	obs := []float32{0.01, -0.02, 0.03, 0.04}
	out := slices.Clone(tr.Agent.Online.Forward(&net.Tensor[float32]{Shape: []int{1, 4}, Data: obs}).Data)
	tr.head.head.active = 3
	if got := tr.head.QValues(obs); !slices.Equal(got, out[3*2:4*2]) {
		t.Errorf("head 3 acts on %v, its output is %v", got, out[6:8])
	}
	mean := NewQNetFor(&cfg, tr.Agent.Online, nil).QValues(obs)
	for a := range 2 {
		s := 0.0
		for k := range 5 {
			s += float64(out[k*2+a])
		}
		if math.Abs(float64(mean[a])-s/5) > 1e-6 {
			t.Errorf("evaluation Q(s, %d) = %v, the heads' mean is %v", a, mean[a], s/5)
		}
	}
	if c := tr.Buffer.Config().Masks; c == nil || c.Heads != 5 || c.P != 0.5 {
		t.Errorf("replay masks %+v, want 5 heads with p 0.5", c)
	}
	// A checkpoint loads and acts (deepq eval, play) on the heads' mean.
	path := filepath.Join(t.TempDir(), "b.ckpt")
	if err := tr.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.GreedyQ(1).QValues(obs); !slices.Equal(got, mean) {
		t.Errorf("the loaded checkpoint acts on %v, the heads' mean is %v", got, mean)
	}
	runTo(t, tr)
}

// TestBootstrapConfigErrors: bad bootstrap settings through --set are
// errors naming the field.
func TestBootstrapConfigErrors(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{"bootstrap_heads=-1", "bootstrap_heads must be in [0, 64]"},
		{"bootstrap_heads=65,bootstrap_p=0.5", "bootstrap_heads must be in [0, 64]"},
		{"bootstrap_p=0.5", "bootstrap_p needs bootstrap_heads"},
		{"bootstrap_heads=4", "bootstrap_p is the probability"},
		{"bootstrap_heads=4,bootstrap_p=1.5", "must be in (0, 1]"},
		{"bootstrap_heads=4,bootstrap_p=0.5,distributional=c51,atoms=11,v_min=-10,v_max=10", "cannot be combined with distributional c51"},
		{"bootstrap_heads=4,bootstrap_p=0.5,dueling=true", "not with noisy or dueling"},
		{"bootstrap_heads=4,bootstrap_p=0.5,prioritized=true,per_alpha=0.6,per_beta0=0.4,per_eps=1e-6", "prioritized"},
		{"bootstrap_heads=four", "bootstrap_heads"},
	} {
		cfg := shortConfig(t, 1)
		err := SetFields(c.set, &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %s: %v, want an error containing %q", c.set, err, c.want)
		}
	}
	cfg := shortConfig(t, 1)
	if err := SetFields("bootstrap_heads=10,bootstrap_p=0.5", &cfg); err != nil || cfg.Validate() != nil {
		t.Errorf("a valid bootstrap config: %v, %v", err, cfg.Validate())
	}
}
