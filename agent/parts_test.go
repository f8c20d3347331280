package agent

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
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
