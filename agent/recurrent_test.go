package agent

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// cueEnv is a memory task, T-maze-like: the first observation shows a cue,
// −1 or +1 (drawn at each Reset), the next Delay observations show nothing,
// and at the last step (flagged in obs[1]) action 1 earns +1 if the cue was
// +1 and action 0 earns +1 if it was −1; the wrong one earns −1. Every
// other step earns 0. A feed-forward policy sees the same decision
// observation whatever the cue, so its expected return is 0; a policy that
// remembers the cue earns 1.
type cueEnv struct {
	Delay int
	rng   *rand.Rand
	cue   float32
	t     int
	obs   []float32
	spec  env.Spec
}

func newCueEnv(delay int) *cueEnv {
	return &cueEnv{Delay: delay, rng: rand.New(rand.NewPCG(0, 0)), obs: make([]float32, 2),
		spec: env.Spec{ID: "Cue-v0", Observation: env.Box{Shape: []int{2}, Low: []float32{-1, 0}, High: []float32{1, 1}},
			Actions: env.Discrete{N: 2}, RewardRange: [2]float64{-1, 1}}}
}

func (e *cueEnv) Spec() *env.Spec  { return &e.spec }
func (e *cueEnv) Seed(seed uint64) { e.rng = rand.New(rand.NewPCG(seed, 0x637565)) }

func (e *cueEnv) Reset() []float32 {
	e.cue, e.t = -1, 0
	if e.rng.IntN(2) == 1 {
		e.cue = 1
	}
	e.obs[0], e.obs[1] = e.cue, 0
	return e.obs
}

func (e *cueEnv) Step(a int) ([]float32, float64, bool, bool) {
	if e.t == e.Delay {
		r := -1.0
		if (a == 1) == (e.cue > 0) {
			r = 1
		}
		e.obs[0], e.obs[1] = 0, 0
		return e.obs, r, true, false
	}
	e.t++
	e.obs[0], e.obs[1] = 0, 0
	if e.t == e.Delay {
		e.obs[1] = 1
	}
	return e.obs, 0, false, false
}

// cueConfig is a small recurrent agent for cueEnv: sequences of 4 trained
// steps every 2 after a burn-in of 2, so that the decision of a 6-step
// episode is learnt both from the episode's start and from a stored state
// that holds the cue.
func cueConfig(seed uint64) Config {
	c := DefaultConfig()
	c.Env, c.Seed, c.TotalSteps = "Cue-v0", seed, 3000
	c.Hidden, c.Recurrent, c.LSTMSize = []int{16}, true, 16
	c.SeqLength, c.SeqBurnIn, c.SeqOverlap, c.PriorityEta = 4, 2, 2, 0.9
	c.BufferSize, c.BatchSize, c.LearningStarts, c.TrainFreq = 3000, 16, 300, 2
	c.Gamma, c.NStep, c.TargetUpdateInterval, c.LearningRate = 0.9, 2, 50, 3e-3
	c.Prioritized, c.PERAlpha, c.PERBeta0, c.PEREps = true, 0.6, 0.4, 1e-6
	c.ExplorationSteps, c.ExplorationEnd = 1500, 0.05
	c.EvalEvery, c.FinalEvalEpisodes = 0, 100
	return c
}

// TestRecurrentRemembers trains on the cue task: the recurrent agent must
// learn it (greedy mean ≥ 0.9 over 100 episodes, 1 is perfect), the
// feed-forward DQN of the same budget cannot (its mean is 0 ± 0.1 by
// chance, whatever it learns).
func TestRecurrentRemembers(t *testing.T) {
	mk := func() (env.Env, error) { return newCueEnv(5), nil }
	rec, err := New(mk, cueConfig(1))
	if err != nil {
		t.Fatal(err)
	}
	res, err := rec.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ff := cueConfig(1)
	ff.Recurrent, ff.LSTMSize, ff.SeqLength, ff.SeqBurnIn, ff.SeqOverlap, ff.PriorityEta = false, 0, 0, 0, 0, 0
	ff.Hidden, ff.BatchSize = []int{32, 32}, 64
	dqn, err := New(mk, ff)
	if err != nil {
		t.Fatal(err)
	}
	ffRes, err := dqn.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recurrent %.2f, feed-forward %.2f over 100 greedy episodes", res.Final.Mean, ffRes.Final.Mean)
	if res.Final.Mean < 0.9 {
		t.Errorf("the recurrent agent ends at %.2f, want ≥ 0.9", res.Final.Mean)
	}
	if ffRes.Final.Mean > 0.5 {
		t.Errorf("the feed-forward agent ends at %.2f: it cannot know the cue", ffRes.Final.Mean)
	}
}

// TestRecurrentUpdateReference checks the learner's TD errors against a
// step-by-step reference: each sampled sequence run alone, one row at a
// time, from its stored state through its real rows, by the online and the
// target networks, with the n-step targets written out per step.
func TestRecurrentUpdateReference(t *testing.T) {
	cfg := cueConfig(3)
	cfg.SeqLength, cfg.SeqBurnIn, cfg.SeqOverlap, cfg.NStep, cfg.BatchSize = 5, 3, 3, 3, 12
	cfg.LearningRate = 1e-9 // the step itself is not what is checked
	obs := []int{3}
	d, err := NewRecurrentDQN(cfg, obs, 3, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// The target differs from the online network.
	for _, p := range d.Target.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] *= 0.9
		}
	}
	buf, err := replay.NewSequenceBuffer(SequenceReplayConfig(&cfg, 3))
	if err != nil {
		t.Fatal(err)
	}
	// Episodes of several lengths, ending in termination or truncation, with
	// the actor's state before each step.
	rng := rand.New(rand.NewPCG(5, 6))
	actor := NewRecurrentActing(d.Online)
	adder := &SequenceAdder{Replay: buf, Q: actor}
	for ep := range 8 {
		actor.ResetMemory()
		n := 1 + rng.IntN(14)
		o := []float32{rng.Float32(), rng.Float32(), rng.Float32()}
		for s := range n {
			actor.Advance(o)
			next := []float32{rng.Float32(), rng.Float32(), rng.Float32()}
			last := s == n-1
			adder.Add(o, rng.IntN(3), rng.NormFloat64(), next, last && ep%2 == 0, last && ep%2 == 1)
			o = next
		}
	}
	batch := replay.NewSequenceBatch(cfg.BatchSize, buf.Config())
	buf.Sample(rng, batch)
	td := make([]float32, len(batch.Mask))
	d.Update(batch, td)

	T, H := batch.T, cfg.LSTMSize
	qRows := func(m *net.Recurrent[float32], i, rows int) [][]float32 {
		q := NewRecurrentQ(m)
		if err := q.setState(batch.H[i*H:(i+1)*H], batch.C[i*H:(i+1)*H]); err != nil {
			t.Fatal(err)
		}
		var out [][]float32
		for r := range rows {
			out = append(out, slices.Clone(q.QValues(batch.Obs[(i*(T+1)+r)*3:(i*(T+1)+r+1)*3])))
		}
		return out
	}
	checked := 0
	for i := range cfg.BatchSize {
		nReal := 0
		for r := range T {
			if batch.Valid[i*T+r] != 0 {
				nReal = r + 1
			}
		}
		qo, qt := qRows(d.Online, i, nReal+1), qRows(d.Target, i, nReal+1)
		for r := batch.BurnIn[i]; r < nReal; r++ {
			k := min(cfg.NStep, nReal-r)
			y, disc := 0.0, 1.0
			for s := range k {
				y += disc * float64(batch.Rewards[i*T+r+s])
				disc *= cfg.Gamma
			}
			if batch.Terminated[i*T+r+k-1] == 0 {
				y += disc * float64(qt[r+k][policy.Greedy(qo[r+k])])
			}
			want := float64(qo[r][batch.Actions[i*T+r]]) - y
			if got := float64(td[i*T+r]); math.Abs(got-want) > 1e-4 {
				t.Errorf("sequence %d (burn-in %d) row %d: δ %v, reference %v", i, batch.BurnIn[i], r, got, want)
			}
			checked++
		}
		for r := range T {
			if batch.Mask[i*T+r] == 0 && td[i*T+r] != 0 {
				t.Errorf("sequence %d row %d: δ %v outside the mask", i, r, td[i*T+r])
			}
		}
	}
	if checked < cfg.BatchSize {
		t.Fatalf("only %d steps checked", checked)
	}
}

// recurrentShort is a short recurrent run on cartpole-pomdp.
func recurrentShort(seed uint64) Config {
	c, _ := Preset("cartpole-pomdp")
	c.Seed, c.TotalSteps, c.LearningStarts = seed, 2400, 400
	c.Hidden, c.LSTMSize, c.BatchSize, c.TrainFreq = []int{16}, 16, 8, 8
	c.SeqLength, c.SeqBurnIn, c.SeqOverlap = 8, 4, 4
	c.EvalEvery, c.EvalEpisodes, c.FinalEvalEpisodes = 800, 2, 3
	return c
}

// TestRecurrentResumeIsExact stops a recurrent run halfway (mid-episode,
// with the actor's state, the sequence replay and its pending steps saved)
// and resumes it: the weights, optimizer, counters and losses must equal
// those of the straight run.
func TestRecurrentResumeIsExact(t *testing.T) {
	cfg := recurrentShort(4)
	dir := t.TempDir()
	straightRec := &recorder{}
	straight, err := NewTrainer(cfg, straightRec)
	if err != nil {
		t.Fatal(err)
	}
	straight.CheckpointDir, straight.CheckpointEvery, straight.SaveReplay = dir, cfg.TotalSteps/2, true
	runTo(t, straight)
	c, err := LoadCheckpoint(filepath.Join(dir, "latest.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Meta.EpisodeActions) == 0 || len(c.Meta.ActorH) != cfg.LSTMSize {
		t.Fatalf("the checkpoint is not mid-episode with the actor's state: %d actions, state of %d", len(c.Meta.EpisodeActions), len(c.Meta.ActorH))
	}
	resumedRec := &recorder{}
	resumed, err := ResumeCheckpoint(c, ResumeOptions{}, resumedRec)
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, resumed)
	a, b := straight.Recurrent.DQN, resumed.Recurrent.DQN
	for i, p := range a.Online.Params() {
		if !slices.Equal(p.Value.Data, b.Online.Params()[i].Value.Data) || !slices.Equal(a.Target.Params()[i].Value.Data, b.Target.Params()[i].Value.Data) {
			t.Fatalf("%s differs after the resume", p.Name)
		}
	}
	for i, s := range a.Opt.State() {
		if !slices.Equal(s.Data, b.Opt.State()[i].Data) {
			t.Fatalf("optimizer buffer %d differs", i)
		}
	}
	if a.Updates() != b.Updates() || straight.Actor.episodes != resumed.Actor.episodes {
		t.Fatalf("counters differ: updates %d/%d, episodes %d/%d", a.Updates(), b.Updates(), straight.Actor.episodes, resumed.Actor.episodes)
	}
	n := len(resumedRec.losses)
	if n == 0 || !slices.Equal(straightRec.losses[len(straightRec.losses)-n:], resumedRec.losses) {
		t.Fatalf("losses after the resume differ (%d of them)", n)
	}
	if !slices.Equal(straightRec.evals[len(straightRec.evals)-len(resumedRec.evals):], resumedRec.evals) {
		t.Fatalf("evaluations after the resume differ: %v and %v", straightRec.evals, resumedRec.evals)
	}
	// Without its replay file the run resumes too, refilling whole
	// sequences before it learns again.
	nr, err := ResumeCheckpoint(c, ResumeOptions{NoReplay: true})
	if err != nil {
		t.Fatal(err)
	}
	if nr.refill < cfg.BatchSize || nr.replay.Len() != 0 {
		t.Fatalf("resumed without the replay: refill %d sequences, %d held", nr.refill, nr.replay.Len())
	}
	runTo(t, nr)
	if nr.Recurrent.DQN.Updates() <= c.Meta.Updates {
		t.Fatalf("no update after resuming without the replay (%d)", nr.Recurrent.DQN.Updates())
	}
	// The final checkpoint evaluates the same, loaded on its own.
	fc, err := LoadCheckpoint(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	r1, err := EvaluateQ(NewRecurrentQ(fc.ROnline), func() (env.Env, error) { return env.Make(cfg.Env) }, EvalOptions{Episodes: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := EvaluateQ(NewRecurrentQ(b.Online), func() (env.Env, error) { return env.Make(cfg.Env) }, EvalOptions{Episodes: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r1.Returns, r2.Returns) {
		t.Fatalf("the saved network evaluates to %v, the trained one to %v", r1.Returns, r2.Returns)
	}
}

func TestRecurrentConfigErrors(t *testing.T) {
	for _, c := range []struct {
		set, want string
	}{
		{"recurrent=false,lstm_size=0,seq_length=20", "seq_length needs recurrent: true"},
		{"recurrent=false,lstm_size=64,seq_length=0,seq_burn_in=0,seq_overlap=0,priority_eta=0", "lstm_size needs recurrent: true"},
		{"lstm_size=0", "lstm_size must be in [1, 4096]"},
		{"seq_length=0", "seq_length must be in [1, 10000]"},
		{"seq_overlap=20", "seq_overlap must be in [0, seq_length − 1 = 19]"},
		{"seq_burn_in=-1", "seq_burn_in must be in [0, 10000]"},
		{"priority_eta=1.5", "priority_eta must be in [0, 1]"},
		{"distributional=c51,atoms=51,v_min=-10,v_max=10", "distributional must be none for a recurrent agent"},
		{"n_step=30", "n_step (30) must be at most seq_length (20)"},
		{"buffer_size=5,batch_size=1", "buffer_size (5 steps) must hold at least one sequence"},
	} {
		cfg, _ := Preset("cartpole-pomdp")
		err := SetFields(c.set, &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.set, err, c.want)
		}
	}
	cfg, _ := Preset("cartpole-pomdp")
	if _, err := NewDQN(cfg, []int{2}, 2, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), "NewRecurrentDQN") {
		t.Errorf("NewDQN of a recurrent config: %v", err)
	}
}

// TestRecurrentQRows checks that RecurrentQ carries each row's state on its
// own: three rows stepped side by side, then the middle one dropped
// (KeepRows), give the Q-values of three single-row copies stepped alone.
func TestRecurrentQRows(t *testing.T) {
	cfg := cueConfig(1)
	d, err := NewRecurrentDQN(cfg, []int{2}, 2, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	batch := NewRecurrentQ(d.Online)
	alone := []*RecurrentQ{NewRecurrentQ(d.Online), NewRecurrentQ(d.Online), NewRecurrentQ(d.Online)}
	rows := []int{0, 1, 2}
	for step := range 6 {
		if step == 3 {
			batch.KeepRows([]int{0, 2})
			rows = []int{0, 2}
		}
		x := make([]float32, 2*len(rows))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		got := slices.Clone(batch.QValuesBatch(x, len(rows)))
		for k, r := range rows {
			want := alone[r].QValues(x[2*k : 2*k+2])
			for a := range want {
				if math.Abs(float64(got[2*k+a]-want[a])) > 1e-5 {
					t.Fatalf("step %d row %d: Q %v side by side, %v alone", step, r, got[2*k:2*k+2], want)
				}
			}
		}
	}
	batch.ResetMemory()
	fresh := NewRecurrentQ(d.Online)
	x := []float32{0.5, -1}
	if a, b := batch.QValues(x)[0], fresh.QValues(x)[0]; a != b {
		t.Fatalf("after ResetMemory Q %v, a fresh one %v", a, b)
	}
}
