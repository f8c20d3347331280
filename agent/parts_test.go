package agent

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// endless is an env whose episodes never end by themselves: its spec
// declares a time limit that it does not enforce.
type endless struct {
	spec  env.Spec
	steps int
}

func newEndless(limit int) func() (env.Env, error) {
	return func() (env.Env, error) {
		return &endless{spec: env.Spec{ID: "Endless-v0",
			Observation: env.Box{Shape: []int{2}, Low: []float32{0, 0}, High: []float32{1, 1}},
			Actions:     env.Discrete{N: 2}, MaxEpisodeSteps: limit, RewardRange: [2]float64{0, 1}}}, nil
	}
}

func (e *endless) Spec() *env.Spec  { return &e.spec }
func (e *endless) Seed(uint64)      {}
func (e *endless) Reset() []float32 { return []float32{1, 0} }
func (e *endless) Step(a int) ([]float32, float64, bool, bool) {
	e.steps++
	return []float32{0, 1}, float64(a), false, false
}

type episodeLengths struct {
	NopObserver
	lengths   []int
	truncated int
}

func (o *episodeLengths) OnEpisode(e *EpisodeEvent) {
	o.lengths = append(o.lengths, e.Length)
	if !e.Terminated {
		o.truncated++
	}
}

// TestNewAppliesTheSpecsTimeLimit: an env that declares MaxEpisodeSteps but
// does not enforce it trains in episodes of that length, and its
// evaluations end (before, agent.Evaluate ran forever on it).
func TestNewAppliesTheSpecsTimeLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TotalSteps, cfg.LearningStarts, cfg.Hidden = 400, 100, []int{8}
	cfg.EvalEvery, cfg.EvalEpisodes, cfg.FinalEvalEpisodes = 200, 2, 3
	lengths := &episodeLengths{}
	tr, err := New(newEndless(50), cfg, lengths)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Config.Env != "Endless-v0" {
		t.Errorf("Config.Env = %q, want the env's ID", tr.Config.Env)
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lengths.lengths) != 8 || lengths.truncated != 8 {
		t.Fatalf("400 steps gave episodes %v (%d truncated), want 8 truncated episodes of 50", lengths.lengths, lengths.truncated)
	}
	for _, n := range lengths.lengths {
		if n != 50 {
			t.Fatalf("episode lengths %v, want 50 each", lengths.lengths)
		}
	}
	if f := res.Final; f.Episodes != 3 || f.Lengths[0] != 50 || f.Capped != 0 {
		t.Fatalf("final evaluation %+v: want 3 episodes of 50 steps, none capped", f)
	}
}

// TestEvaluateCapsEndlessEpisodes: without any time limit, evaluation stops
// each episode at its cap and says how many it cut.
func TestEvaluateCapsEndlessEpisodes(t *testing.T) {
	mk := newEndless(0)
	e, _ := mk()
	q, err := net.Build[float32](e.Spec().Observation.Shape, net.MLP([]int{4}, 2), newRand(1, streamInit))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(q, mk, EvalOptions{Episodes: 4, Seed: 1, MaxSteps: 30})
	if err != nil {
		t.Fatal(err)
	}
	if res.Capped != 4 || res.Lengths[0] != 30 || res.Lengths[3] != 30 {
		t.Fatalf("Evaluate = %+v, want 4 episodes capped at 30 steps", res)
	}
	if _, err := Evaluate(q, mk, EvalOptions{Episodes: 1, MaxSteps: -1}); err == nil {
		t.Fatal("MaxSteps -1 accepted")
	}
}

func TestNewErrors(t *testing.T) {
	cfg := DefaultConfig()
	if _, err := New(nil, cfg); err == nil {
		t.Error("New(nil) accepted")
	}
	boom := errors.New("no simulator licence")
	if _, err := New(func() (env.Env, error) { return nil, boom }, cfg); !errors.Is(err, boom) {
		t.Errorf("New with a failing factory: %v, want its error", err)
	}
	cfg.Gamma = 2
	if _, err := New(newEndless(10), cfg); err == nil || !strings.Contains(err.Error(), "gamma") {
		t.Errorf("New with gamma 2: %v", err)
	}
	if _, err := NewTrainer(DefaultConfig()); err == nil || !strings.Contains(err.Error(), "env") {
		t.Errorf("NewTrainer without an env name: %v", err)
	}
}

// TestObserveBeforeRun: observers added after construction see the whole run.
func TestObserveBeforeRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TotalSteps, cfg.LearningStarts, cfg.Hidden, cfg.EvalEvery, cfg.FinalEvalEpisodes = 120, 50, []int{8}, 0, 0
	tr, err := New(newEndless(40), cfg)
	if err != nil {
		t.Fatal(err)
	}
	lengths := &episodeLengths{}
	tr.Observe(lengths)
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(lengths.lengths) != 3 {
		t.Fatalf("observer added with Observe saw %d episodes, want 3", len(lengths.lengths))
	}
}

// TestActorAndLearnerInTwoGoroutines runs the actor and the learner of DQN
// in goroutines of their own, joined only by the replay (the actor's Adder,
// the learner's data) and a ParamStore (the learner publishes every 50
// updates, the actor pulls between steps into its own copy of the network).
// The learner neither knows nor cares where its transitions come from; the
// agent must still learn GridWorld's open map to its optimal return.
func TestActorAndLearnerInTwoGoroutines(t *testing.T) {
	cfg, err := Preset("gridworld")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Env, cfg.Seed, cfg.TotalSteps, cfg.ExplorationSteps = "gridworld:map=open-5x5", 2, 6000, 3000
	e, err := env.Make(cfg.Env)
	if err != nil {
		t.Fatal(err)
	}
	spec := e.Spec()
	buf, err := replay.New(ReplayConfig(&cfg, e))
	if err != nil {
		t.Fatal(err)
	}
	dqn, err := NewDQN(cfg, spec.Observation.Shape, spec.Actions.N, newRand(cfg.Seed, streamInit))
	if err != nil {
		t.Fatal(err)
	}
	learner := NewLearner(dqn, buf, cfg.Seed)
	store := NewParamStore(dqn.Online)
	actorNet := dqn.Online.Clone()
	actor := NewActor(e, cfg.policy(spec.Actions.N), NewQNet(actorNet), buf, cfg.Seed, subSeed(cfg.Seed, streamEnv))
	actor.WarmUp = cfg.LearningStarts
	actor.StartEpisode()

	// A rate limiter keeps the two at the preset's ratio of one gradient
	// step per TrainFreq environment steps (as Reverb's does): neither side
	// may run more than 200 steps' worth ahead of the other.
	var done atomic.Bool
	var steps, updates atomic.Int64
	ahead := func(a, b int64) bool { return a > b+200 }
	var wg sync.WaitGroup
	var version int64
	wg.Add(2)
	go func() { // the actor
		defer wg.Done()
		defer done.Store(true)
		for step := int64(0); step < cfg.TotalSteps; step++ {
			for step > cfg.LearningStarts && ahead(step-cfg.LearningStarts, updates.Load()*int64(cfg.TrainFreq)) {
				runtime.Gosched()
			}
			version = store.Pull(actorNet, version)
			if ev := actor.Step(step); ev.Terminated || ev.Truncated {
				actor.EndEpisode(step+1, ev.Terminated)
			}
			steps.Store(step + 1)
		}
	}()
	go func() { // the learner
		defer wg.Done()
		for !done.Load() {
			if s := steps.Load(); s <= cfg.LearningStarts || ahead(updates.Load()*int64(cfg.TrainFreq), s-cfg.LearningStarts) {
				runtime.Gosched()
				continue
			}
			if _, _, err := learner.Step(); err != nil {
				t.Error(err)
				return
			}
			if u := updates.Add(1); u%50 == 0 {
				learner.Publish(store)
			}
		}
	}()
	wg.Wait()
	res, err := Evaluate(dqn.Online, func() (env.Env, error) { return env.Make(cfg.Env) }, EvalOptions{Episodes: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := env.Find[*env.GridWorld](e)
	opt, _, err := g.OptimalReturn(spec.MaxEpisodeSteps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d updates, actor at parameter version %d; greedy return %.2f (optimum %.2f)", updates.Load(), version, res.Mean, opt)
	if updates.Load() < 4000 || version < 4000 {
		t.Fatalf("%d updates, actor at version %d: the two goroutines did not both work", updates.Load(), version)
	}
	if math.Abs(res.Mean-opt) > 1e-9 {
		t.Fatalf("greedy return %v, want the optimum %v", res.Mean, opt)
	}
}
