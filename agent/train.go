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

// stream is a seeded generator whose state can be saved and restored.
type stream struct {
	src *rand.PCG
	*rand.Rand
}

func newStream(seed, s uint64) stream {
	src := rand.NewPCG(subSeed(seed, s), s)
	return stream{src, rand.New(src)}
}

func newRand(seed, s uint64) *rand.Rand { return newStream(seed, s).Rand }

// Trainer runs DQN training: it acts in the env with ε-greedy exploration,
// stores transitions in the replay, takes gradient steps, updates the target
// network, evaluates periodically and tells its observers about each of these.
//
// Episode k starts from env.Seed(episodeSeed(k)) and Reset, so that the
// state of the env at any step is fixed by the episode's index and the actions
// taken since its start: a checkpoint saves those, and resuming replays them.
type Trainer struct {
	Config Config
	Agent  *DQN
	Buffer *replay.Buffer
	// Env is the training env, with reward clipping (Config.ClipReward)
	// outside the env's own wrappers.
	Env env.Env
	// CheckpointDir, if set, receives best.ckpt after each evaluation that
	// improves on the best mean and final.ckpt when Run returns.
	CheckpointDir string
	// CheckpointEvery, if positive, saves latest.ckpt to CheckpointDir every
	// so many environment steps, so that a cut-off run can be resumed.
	CheckpointEvery int64
	// SaveReplay makes saved checkpoints include the replay buffer (in a
	// .replay file beside each .ckpt), which an exact resume needs.
	SaveReplay bool
	// Greedy, if set, is asked on the training goroutine before each action
	// whether to take the greedy action argmax_a Q(s, a) instead of an
	// ε-greedy (or, before LearningStarts, uniform) one. The live window sets
	// it to show greedy episodes. The transitions still go into the replay:
	// DQN learns off-policy. While it returns false, or is nil, the trainer
	// acts exactly as without it, drawing the same numbers from the same
	// random stream.
	Greedy func() bool

	observers []Observer
	policy    policy.EpsilonGreedy
	boltzmann *policy.Boltzmann // set when Config.Exploration is "boltzmann"
	stats     *env.EpisodeStats // inside reward clipping: unclipped returns
	actRNG    stream
	sampleRNG stream
	envSeed   uint64
	evalSeed  uint64

	step     int64
	episodes int
	best     float64 // best evaluation mean so far

	// The running episode: its observation, return, length and the actions
	// taken since its Reset (what a checkpoint needs to restore the env).
	started   bool
	obs       []float32
	epReturn  float64
	epLen     int
	epActions []int32
	// refill is the replay size below which a resumed run without its replay
	// acts but does not learn.
	refill int
}

// Result summarises a finished run.
type Result struct {
	Steps    int64
	Updates  int64
	Episodes int
	// Final is the evaluation at the end (zero if FinalEvalEpisodes is 0).
	Final EvalResult
	// Best is the best evaluation mean seen.
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
	stats, _ := env.Find[*env.EpisodeStats](e)
	if mode, _ := env.ParseClipMode(cfg.ClipReward); mode != 0 {
		e = env.NewClipReward(e, mode)
	}
	spec := e.Spec()
	buf, err := replay.New(replayConfig(&cfg, e))
	if err != nil {
		return nil, fmt.Errorf("replay for %s: %w", cfg.Env, err)
	}
	dqn, err := NewDQN(cfg, spec.Observation.Shape, spec.Actions.N, newRand(cfg.Seed, streamInit))
	if err != nil {
		return nil, err
	}
	return &Trainer{
		Config: cfg, Agent: dqn, Buffer: buf, Env: e,
		observers: observers,
		policy: policy.EpsilonGreedy{
			Epsilon:    cfg.epsilon(),
			NumActions: spec.Actions.N,
		},
		boltzmann: boltzmannOf(&cfg, spec.Actions.N),
		stats:     stats,
		actRNG:    newStream(cfg.Seed, streamAct),
		sampleRNG: newStream(cfg.Seed, streamSample),
		envSeed:   subSeed(cfg.Seed, streamEnv),
		evalSeed:  subSeed(cfg.Seed, streamEval),
		best:      math.Inf(-1),
		obs:       make([]float32, spec.Observation.Size()),
	}, nil
}

// replayConfig returns the replay configuration for cfg on env e: frames
// stored once when e stacks them.
func replayConfig(cfg *Config, e env.Env) replay.Config {
	rc := replay.DefaultConfig(e.Spec().Observation.Size())
	rc.Capacity, rc.Gamma, rc.NStep = cfg.BufferSize, cfg.Gamma, cfg.NStep
	if fs, ok := env.Find[*env.FrameStack](e); ok {
		rc.FrameStack = fs.K
	}
	rc.Storage.UnmarshalText([]byte(cfg.ReplayStorage)) // checked by Validate
	if cfg.Prioritized {
		rc.Prioritized = &replay.Prioritized{Alpha: cfg.PERAlpha, Beta0: cfg.PERBeta0, BetaSteps: cfg.TotalSteps, Eps: cfg.PEREps}
	}
	return rc
}

func boltzmannOf(cfg *Config, n int) *policy.Boltzmann {
	if cfg.Exploration != "boltzmann" {
		return nil
	}
	return &policy.Boltzmann{Temperature: cfg.epsilon(), NumActions: n}
}

// episodeSeed is the env seed of episode k.
func (t *Trainer) episodeSeed(k int) uint64 { return subSeed(t.envSeed, uint64(k)+1) }

// Step returns the number of environment steps taken.
func (t *Trainer) Step() int64 { return t.step }

// Epsilon returns the exploration rate at the current step.
func (t *Trainer) Epsilon() float64 { return t.policy.Epsilon.Value(t.step) }

// startEpisode seeds and resets the env for episode t.episodes.
func (t *Trainer) startEpisode() {
	t.Env.Seed(t.episodeSeed(t.episodes))
	copy(t.obs, t.Env.Reset())
	t.epReturn, t.epLen, t.epActions = 0, 0, t.epActions[:0]
	t.started = true
}

// returnOf gives the unclipped return of the episode that just ended.
func (t *Trainer) returnOf(clipped float64) float64 {
	if t.stats != nil {
		if ep, ok := t.stats.Ended(); ok {
			return ep.Return
		}
	}
	return clipped
}

// Run trains until Config.TotalSteps environment steps or until ctx is
// cancelled (then Result.Interrupted is set), evaluates the final network,
// and saves final.ckpt if CheckpointDir is set. A resumed trainer (Resume)
// continues where its checkpoint left off.
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	cfg := &t.Config
	nA := t.Env.Spec().Actions.N
	if !t.started {
		t.startEpisode()
	}
	batch := replay.NewBatch(cfg.BatchSize, len(t.obs))
	tdErrors := make([]float32, cfg.BatchSize)
	var ev StepEvent
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
		switch {
		case t.Greedy != nil && t.Greedy():
			q = t.Agent.QValues(t.obs)
			action = policy.Greedy(q)
		case t.step < cfg.LearningStarts:
			action = t.actRNG.IntN(nA)
		case t.boltzmann != nil:
			// eps is the temperature T: a ∼ softmax(Q/T).
			q = t.Agent.QValues(t.obs)
			action = t.boltzmann.Sample(q, eps, t.actRNG.Rand)
		case t.actRNG.Float64() < eps:
			action = t.actRNG.IntN(nA)
		default:
			q = t.Agent.QValues(t.obs)
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
		t.Buffer.Add(t.obs, action, r, next, term, trunc)
		t.epActions = append(t.epActions, int32(action))
		t.step++
		t.epReturn += r
		t.epLen++
		ev = StepEvent{Step: t.step, Episode: t.episodes, Obs: t.obs, Action: action, Q: q, Reward: r,
			Return: t.epReturn, Terminated: term, Truncated: trunc, Epsilon: eps,
			ReplaySize: t.Buffer.Len(), ReplayCapacity: t.Buffer.Cap(), EnvDuration: envDur}
		for _, o := range t.observers {
			o.OnStep(&ev)
		}
		if term || trunc {
			t.episodes++
			ee := EpisodeEvent{Step: t.step, Episode: t.episodes, Return: t.returnOf(t.epReturn), Length: t.epLen, Terminated: term}
			for _, o := range t.observers {
				o.OnEpisode(&ee)
			}
			t.startEpisode()
		} else {
			copy(t.obs, next) // s ← s′; next is the env's buffer, overwritten by the next Step
		}

		// Learn: TrainFreq steps apart, GradientSteps gradient steps each.
		if t.step > cfg.LearningStarts && t.step%int64(cfg.TrainFreq) == 0 && t.Buffer.Len() >= max(t.refill, 1) {
			t.Agent.Opt.SetLR(cfg.learningRate(t.step))
			for range cfg.GradientSteps {
				t0 := time.Now()
				t.Buffer.Sample(t.sampleRNG.Rand, batch)
				ue := UpdateEvent{Step: t.step, UpdateStats: t.Agent.Update(batch, tdErrors)}
				if t.Buffer.Prioritized() {
					if err := t.Buffer.UpdatePriorities(batch.Indices, tdErrors); err != nil {
						return res, fmt.Errorf("step %d: %w (the loss diverged; lower the learning rate)", t.step, err)
					}
				}
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
		if t.CheckpointEvery > 0 && t.CheckpointDir != "" && t.step%t.CheckpointEvery == 0 && t.step < cfg.TotalSteps {
			if err := t.SaveCheckpoint(filepath.Join(t.CheckpointDir, "latest.ckpt")); err != nil {
				return res, fmt.Errorf("saving latest.ckpt: %w", err)
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

// evaluate runs an evaluation, tells the observers and keeps the best model.
func (t *Trainer) evaluate(episodes int, final bool) (EvalResult, error) {
	r, err := Evaluate(t.Agent.Online, func() (env.Env, error) { return env.Make(t.Config.Env) },
		EvalOptions{Episodes: episodes, Seed: t.evalSeed, Epsilon: t.Config.EvalEpsilon})
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
