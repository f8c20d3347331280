package agent

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
)

// Random streams derived from a run's seed, one per stochastic part, so that
// changing how often one part draws does not change what another sees.
const (
	streamEnv uint64 = iota + 1
	streamEval
	streamInit
	streamAct
	streamSample
)

// subSeed derives the seed of stream s from the run's seed (SplitMix64).
func subSeed(seed, s uint64) uint64 {
	z := seed + s*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(subSeed(seed, stream), stream))
}

// Trainer runs DQN training: it acts in the env with ε-greedy exploration,
// stores transitions in the replay, takes gradient steps, updates the target
// network, evaluates periodically and tells its observers about each of these.
type Trainer struct {
	Config Config
	Agent  *DQN
	Buffer *replay.Buffer
	Env    env.Env
	// CheckpointDir, if set, receives best.ckpt after each evaluation that
	// improves on the best mean and final.ckpt when Run returns.
	CheckpointDir string

	observers []Observer
	policy    policy.EpsilonGreedy
	actRNG    *rand.Rand
	sampleRNG *rand.Rand
	evalSeed  uint64

	step     int64
	episodes int
	best     float64 // best evaluation mean so far
}

// Result summarises a finished run.
type Result struct {
	Steps    int64
	Updates  int64
	Episodes int
	// Final is the evaluation at the end (zero if FinalEvalEpisodes is 0).
	Final EvalResult
	// Best is the best evaluation mean seen, and BestStep where it was.
	Best        float64
	Elapsed     time.Duration
	Interrupted bool
}

// NewTrainer builds the env, replay and agent of cfg, all seeded from cfg.Seed.
func NewTrainer(cfg Config, observers ...Observer) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e, err := env.Make(cfg.Env)
	if err != nil {
		return nil, err
	}
	spec := e.Spec()
	rc := replay.DefaultConfig(spec.Observation.Size())
	rc.Capacity, rc.Gamma = cfg.BufferSize, cfg.Gamma
	buf, err := replay.New(rc)
	if err != nil {
		return nil, err
	}
	dqn, err := NewDQN(cfg, spec.Observation.Shape, spec.Actions.N, newRand(cfg.Seed, streamInit))
	if err != nil {
		return nil, err
	}
	e.Seed(subSeed(cfg.Seed, streamEnv))
	return &Trainer{
		Config: cfg, Agent: dqn, Buffer: buf, Env: e,
		observers: observers,
		policy: policy.EpsilonGreedy{
			Epsilon:    policy.Linear{Start: cfg.ExplorationStart, End: cfg.ExplorationEnd, Steps: cfg.ExplorationSteps},
			NumActions: spec.Actions.N,
		},
		actRNG:    newRand(cfg.Seed, streamAct),
		sampleRNG: newRand(cfg.Seed, streamSample),
		evalSeed:  subSeed(cfg.Seed, streamEval),
		best:      math.Inf(-1),
	}, nil
}

// Step returns the number of environment steps taken.
func (t *Trainer) Step() int64 { return t.step }

// Epsilon returns the exploration rate at the current step.
func (t *Trainer) Epsilon() float64 { return t.policy.Epsilon.Value(t.step) }

// Run trains until Config.TotalSteps environment steps or until ctx is
// cancelled (then Result.Interrupted is set), evaluates the final network,
// and saves final.ckpt if CheckpointDir is set.
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	cfg := &t.Config
	spec := t.Env.Spec()
	obs := make([]float32, spec.Observation.Size())
	copy(obs, t.Env.Reset())
	batch := replay.NewBatch(cfg.BatchSize, spec.Observation.Size())
	var ev StepEvent
	var epReturn float64
	var epLen int
	res := Result{}
	for t.step < cfg.TotalSteps {
		if t.step%256 == 0 && ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		// Act: uniformly at random while the replay fills, then ε-greedy.
		eps := t.policy.Epsilon.Value(t.step)
		var action int
		var q []float32
		if t.step < cfg.LearningStarts {
			action = t.actRNG.IntN(spec.Actions.N)
		} else if t.actRNG.Float64() < eps {
			action = t.actRNG.IntN(spec.Actions.N)
		} else {
			q = t.Agent.QValues(obs)
			action = policy.Greedy(q)
		}
		var envDur time.Duration
		timed := (t.step+1)%StepTimingInterval == 0
		var t0 time.Time
		if timed {
			t0 = time.Now()
		}
		next, r, term, trunc := t.Env.Step(action)
		if timed {
			envDur = max(time.Since(t0), 1)
		}
		// A truncated episode's last state is not terminal: the replay keeps
		// next and the transition still bootstraps from it.
		t.Buffer.Add(obs, action, r, next, term, trunc)
		t.step++
		epReturn += r
		epLen++
		ev = StepEvent{Step: t.step, Episode: t.episodes, Obs: obs, Action: action, Q: q, Reward: r,
			Return: epReturn, Terminated: term, Truncated: trunc, Epsilon: eps,
			ReplaySize: t.Buffer.Len(), ReplayCapacity: t.Buffer.Cap(), EnvDuration: envDur}
		for _, o := range t.observers {
			o.OnStep(&ev)
		}
		if term || trunc {
			t.episodes++
			ee := EpisodeEvent{Step: t.step, Episode: t.episodes, Return: epReturn, Length: epLen, Terminated: term}
			for _, o := range t.observers {
				o.OnEpisode(&ee)
			}
			epReturn, epLen = 0, 0
			copy(obs, t.Env.Reset())
		} else {
			copy(obs, next) // obs ← s′; next is the env's buffer, overwritten by the next Step
		}

		// Learn.
		if t.step > cfg.LearningStarts && t.step%int64(cfg.TrainFreq) == 0 {
			t.Agent.Opt.SetLR(cfg.learningRate(t.step))
			for range cfg.GradientSteps {
				t0 := time.Now()
				t.Buffer.Sample(t.sampleRNG, batch)
				ue := UpdateEvent{Step: t.step, UpdateStats: t.Agent.Update(batch)}
				ue.Duration = time.Since(t0)
				ue.Updates = t.Agent.Updates()
				for _, o := range t.observers {
					o.OnUpdate(&ue)
				}
				if t.Agent.TargetDue() {
					t.Agent.UpdateTarget()
					for _, o := range t.observers {
						o.OnTargetUpdate(t.step, ue.Updates)
					}
				}
			}
		}

		if cfg.EvalEvery > 0 && t.step%cfg.EvalEvery == 0 && t.step < cfg.TotalSteps {
			if _, err := t.evaluate(cfg.EvalEpisodes, false); err != nil {
				return res, err
			}
		}
	}
	res.Steps, res.Updates, res.Episodes = t.step, t.Agent.Updates(), t.episodes
	if cfg.FinalEvalEpisodes > 0 && !res.Interrupted {
		final, err := t.evaluate(cfg.FinalEvalEpisodes, true)
		if err != nil {
			return res, err
		}
		res.Final = final
	}
	res.Best = t.best
	res.Elapsed = time.Since(start)
	if t.CheckpointDir != "" {
		if err := t.SaveCheckpoint(filepath.Join(t.CheckpointDir, "final.ckpt")); err != nil {
			return res, fmt.Errorf("saving final.ckpt: %w", err)
		}
	}
	return res, nil
}

// evaluate runs a greedy evaluation, tells the observers and keeps the best
// model.
func (t *Trainer) evaluate(episodes int, final bool) (EvalResult, error) {
	r, err := Evaluate(t.Agent.Online, func() (env.Env, error) { return env.Make(t.Config.Env) }, episodes, t.evalSeed)
	if err != nil {
		return r, err
	}
	ee := EvalEvent{Step: t.step, EvalResult: r, Final: final}
	if r.Mean > t.best {
		t.best = r.Mean
		ee.Best = true
		if t.CheckpointDir != "" {
			if err := t.SaveCheckpoint(filepath.Join(t.CheckpointDir, "best.ckpt")); err != nil {
				return r, fmt.Errorf("saving best.ckpt: %w", err)
			}
		}
	}
	for _, o := range t.observers {
		o.OnEval(&ee)
	}
	return r, nil
}
