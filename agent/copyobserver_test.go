package agent

import (
	"context"
	"testing"

	"github.com/deepq/deepq/env"
)

// oneEnv checks that what it sees is one env's stream of episodes: each
// episode's length and return are those of the steps since the last one.
type oneEnv struct {
	NopObserver
	t              *testing.T
	steps, epSteps int
	epReturn       float64
	episodes       int
	updates, evals int
}

func (o *oneEnv) OnStep(e *StepEvent) { o.steps++; o.epSteps++; o.epReturn += e.Reward }
func (o *oneEnv) OnEpisode(e *EpisodeEvent) {
	if e.Length != o.epSteps || e.Return != o.epReturn {
		o.t.Errorf("episode at frame %d: length %d, return %v; the steps seen since the last one: %d, %v",
			e.Step, e.Length, e.Return, o.epSteps, o.epReturn)
	}
	o.epSteps, o.epReturn = 0, 0
	o.episodes++
}
func (o *oneEnv) OnUpdate(*UpdateEvent) { o.updates++ }
func (o *oneEnv) OnEval(*EvalEvent)     { o.evals++ }

// TestCopyObserverSeesOneCopy watches copy 2 of a PQN run's 8 copies: it must
// see every step of that copy and no other (its episodes add up), every
// gradient step and every evaluation.
func TestCopyObserverSeesOneCopy(t *testing.T) {
	cfg := pqnCartPole()
	cfg.NumEnvs, cfg.RolloutSteps, cfg.Minibatches, cfg.Epochs = 8, 16, 2, 1
	cfg.TotalSteps, cfg.Hidden, cfg.EvalEvery, cfg.EvalEpisodes, cfg.FinalEvalEpisodes = 8*16*16, []int{8}, 512, 1, 1
	o := &oneEnv{t: t}
	p, err := NewPQN(func() (env.Env, error) { return env.Make("cartpole") }, cfg, CopyObserver(o, 2, 8))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if o.steps != 16*16 || o.episodes != p.Actor.epCount[2] || o.episodes < 5 {
		t.Errorf("saw %d steps and %d episodes; copy 2 took %d steps and finished %d episodes", o.steps, o.episodes, 16*16, p.Actor.epCount[2])
	}
	if o.updates != int(res.Updates) || o.evals != 4 {
		t.Errorf("saw %d updates and %d evaluations, want %d and 4", o.updates, o.evals, res.Updates)
	}
}
