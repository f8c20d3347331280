package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/replay"
	"github.com/deepq/deepq/schedule"
)

// Random streams derived from a run's seed, one per stochastic part, so that
// changing how often one part draws does not change what another sees.
const (
	streamEnv uint64 = iota + 1
	streamEval
	streamInit
	streamAct
	streamSample
	streamLearn // the learner's noise and IQN τ
	streamActQ  // the actor's noise and IQN τ
	streamView  // IQN τ of DQN.QValues (for viewers; not saved)
	streamHead  // Bootstrapped DQN: the actor's head of each episode
	streamMask  // Bootstrapped DQN: the replay's masks
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

// Trainer runs DQN training, the loop of Mnih et al. (2015) composed from
// an Actor and a Learner: the actor acts in the env with ε-greedy exploration
// and stores its transitions in the replay, the learner takes gradient steps
// on batches sampled from it and updates the target network; the trainer
// evaluates periodically, saves checkpoints and tells its observers about
// each of these. In one process the actor acts with the learner's own
// network, so it always has the newest parameters.
type Trainer struct {
	Config  Config
	Actor   *Actor
	Learner *Learner
	// Agent and Buffer are the learner's DQN and replay; Env is the actor's
	// env, with reward clipping (Config.ClipReward) outside its own wrappers.
	Agent  *DQN
	Buffer *replay.Buffer
	Env    env.Env
	// Recurrent is the learner of a recurrent config (Config.Recurrent), R2D2's,
	// with its sequence replay; Agent, Learner and Buffer are then nil.
	Recurrent *SequenceLearner
	// CheckpointDir, if set, receives best.ckpt after each evaluation that
	// improves on the best mean and final.ckpt when Run returns.
	CheckpointDir string
	// CheckpointEvery, if positive, saves latest.ckpt to CheckpointDir every
	// so many environment steps, so that a cut-off run can be resumed.
	CheckpointEvery int64
	// SaveReplay makes saved checkpoints include the replay buffer (in a
	// .replay file beside each .ckpt), which an exact resume needs. A buffer
	// on disk (ReplayStorage disk:DIR) is always included, whatever
	// SaveReplay: its .replay file is a position record of kilobytes to
	// megabytes that names the frames in DIR/frames.dat, never a copy of
	// them; Resume reopens that file at the record (see replay.Disk).
	SaveReplay bool

	makeEnv   func() (env.Env, error) // evaluation envs
	observers []Observer
	epsilon   schedule.Schedule // ε (or the temperature) of the actor's policy
	envSeed   uint64
	evalSeed  uint64
	// actQ draws the actor's noise and IQN τ (unused, nil source, for a
	// plain head).
	actQ stream
	// head is Bootstrapped DQN's actor Q-function (nil with one head).
	head *HeadQ
	// The parts the loop drives, whichever learner it is: Learner and
	// Buffer, or Recurrent and its replay; actMem is the recurrent actor's
	// Q-function (nil for DQN).
	learner learnerPart
	replay  replayPart
	actMem  *RecurrentActing

	step    int64
	best    float64 // best evaluation mean so far
	running bool
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

// NewTrainer builds the trainer of cfg for the registered env cfg.Env (see
// env.Make); New does the same for any env.
func NewTrainer(cfg Config, observers ...Observer) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return New(func() (env.Env, error) { return env.Make(cfg.Env) }, cfg, observers...)
}

// New builds a trainer for the env that makeEnv makes: it makes one to train
// on and one for each evaluation episode, so each call must return a fresh
// env with the same spaces. The env needs no registration; New wraps it as
// env.Standard does (the time limit its spec declares, episode statistics).
// If cfg.Env is empty it becomes the env's ID, for the log. The replay, the
// networks and every random stream are seeded from cfg.Seed. Observers may
// be given here or added with Observe before Run.
func New(makeEnv func() (env.Env, error), cfg Config, observers ...Observer) (*Trainer, error) {
	if makeEnv == nil {
		return nil, fmt.Errorf("agent: New needs a function that makes the env")
	}
	e, err := makeEnv()
	if err != nil {
		return nil, err
	}
	e = env.Standard(e)
	spec := e.Spec()
	if cfg.Env == "" {
		cfg.Env = spec.ID
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.Actions.N < 1 || spec.Observation.Size() < 1 {
		return nil, fmt.Errorf("agent: env %s has %d actions and observations of shape %v", spec.ID, spec.Actions.N, spec.Observation.Shape)
	}
	if cfg.ClipReward != env.ClipNone {
		e = env.NewClipReward(e, cfg.ClipReward)
	}
	t := &Trainer{
		Config: cfg, Env: e,
		makeEnv:   func() (env.Env, error) { return standardEnv(makeEnv) },
		observers: observers,
		epsilon:   cfg.epsilon(),
		envSeed:   subSeed(cfg.Seed, streamEnv),
		evalSeed:  subSeed(cfg.Seed, streamEval),
		best:      math.Inf(-1),
	}
	if cfg.Recurrent {
		return t.newRecurrent()
	}
	buf, err := replay.New(ReplayConfig(&cfg, e))
	if err != nil {
		return nil, fmt.Errorf("replay for %s: %w", cfg.Env, err)
	}
	dqn, err := NewDQN(cfg, spec.Observation.Shape, spec.Actions.N, newRand(cfg.Seed, streamInit))
	if err != nil {
		buf.Close()
		return nil, err
	}
	t.Agent, t.Buffer = dqn, buf
	var q policy.QFunc = dqn
	switch {
	case cfg.BootstrapHeads > 0:
		t.head = newHeadQ(&cfg, dqn.Online, newStream(cfg.Seed, streamHead))
		q = t.head
	case cfg.Distributional != NoDist || cfg.Noisy:
		t.actQ = newStream(cfg.Seed, streamActQ)
		q = NewActingQNet(&cfg, dqn.Online, t.actQ.Rand)
	}
	t.Actor = NewActor(e, cfg.policy(spec.Actions.N), q, buf, cfg.Seed, t.envSeed)
	t.Actor.WarmUp = cfg.LearningStarts
	t.Learner = NewLearner(dqn, buf, cfg.Seed)
	t.learner, t.replay = t.Learner, buf
	return t.startActor()
}

// startActor starts the actor's first episode.
func (t *Trainer) startActor() (*Trainer, error) {
	t.Actor.StartEpisode()
	if err := t.Actor.Err(); err != nil {
		t.Close()
		return nil, fmt.Errorf("env %s: %w", t.Config.Env, err)
	}
	return t, nil
}

// Close releases the replay buffer's file when it is on disk
// (Config.ReplayStorage disk:DIR), so that another trainer may open DIR;
// the trainer cannot act or learn after. It saves nothing: Resume reopens
// the file at the last checkpoint's state. With the buffer in memory it does
// nothing. Call it when done with the trainer, after Run and any checkpoint.
func (t *Trainer) Close() error {
	if t.Buffer == nil {
		return nil // a recurrent trainer's sequence replay is in memory
	}
	return t.Buffer.Close()
}

// savesReplay reports whether checkpoints include the replay: with
// SaveReplay, or always for a buffer on disk (see SaveReplay).
func (t *Trainer) savesReplay() bool { return t.SaveReplay || t.Config.ReplayStorage.Disk != nil }

// newRecurrent completes New for a recurrent config: R2D2's learner on a
// sequence replay, and an actor that carries the LSTM state and adds its
// steps with the state before each.
func (t *Trainer) newRecurrent() (*Trainer, error) {
	cfg, spec := &t.Config, t.Env.Spec()
	buf, err := replay.NewSequenceBuffer(SequenceReplayConfig(cfg, spec.Observation.Size()))
	if err != nil {
		return nil, fmt.Errorf("sequence replay for %s: %w", cfg.Env, err)
	}
	d, err := NewRecurrentDQN(*cfg, spec.Observation.Shape, spec.Actions.N, newRand(cfg.Seed, streamInit))
	if err != nil {
		return nil, err
	}
	t.actMem = NewRecurrentActing(d.Online)
	t.Actor = NewActor(t.Env, cfg.policy(spec.Actions.N), t.actMem, &SequenceAdder{Replay: buf, Q: t.actMem}, cfg.Seed, t.envSeed)
	t.Actor.WarmUp = cfg.LearningStarts
	t.Recurrent = NewSequenceLearner(d, buf, cfg.Seed)
	t.learner, t.replay = t.Recurrent, buf
	return t.startActor()
}

// learnerPart is what the loop asks of a learner (Learner, SequenceLearner).
type learnerPart interface {
	Step() (UpdateEvent, bool, error)
	SetLR(lr float64)
}

// replayPart is what the loop and checkpoints ask of a replay
// (replay.Buffer, replay.SequenceBuffer).
type replayPart interface {
	Len() int
	Added() int64
	Save(path string) error
	Load(path string) error
}

// replayCap returns the replay's capacity: transitions, or sequences.
func (t *Trainer) replayCap() int {
	if t.Recurrent != nil {
		return t.Recurrent.Replay.Config().Capacity
	}
	return t.Buffer.Cap()
}

// updates returns the number of gradient steps taken.
func (t *Trainer) updates() int64 {
	if t.Recurrent != nil {
		return t.Recurrent.DQN.Updates()
	}
	return t.Agent.Updates()
}

func standardEnv(makeEnv func() (env.Env, error)) (env.Env, error) {
	e, err := makeEnv()
	if err != nil {
		return nil, err
	}
	return env.Standard(e), nil
}

// Observe adds observers. Call it before Run.
func (t *Trainer) Observe(observers ...Observer) {
	if t.running {
		panic("agent: Observe called while the trainer runs")
	}
	t.observers = append(t.observers, observers...)
}

// ReplayConfig returns the replay configuration for cfg on env e: frames
// stored once when e stacks them, and Bootstrapped DQN's masks. A learner fed by several actors sets
// Streams on top.
func ReplayConfig(cfg *Config, e env.Env) replay.Config {
	rc := replay.DefaultConfig(e.Spec().Observation.Size())
	rc.Capacity, rc.Gamma, rc.NStep = cfg.BufferSize, cfg.Gamma, cfg.NStep
	if fs, ok := env.Find[*env.FrameStack](e); ok {
		rc.FrameStack = fs.K
	}
	rc.Storage, rc.Disk = cfg.ReplayStorage.Storage, cfg.ReplayStorage.Disk
	if cfg.Prioritized {
		rc.Prioritized = &replay.Prioritized{Alpha: cfg.PERAlpha, Beta0: cfg.PERBeta0, BetaSteps: cfg.TotalSteps, Eps: cfg.PEREps}
	}
	if cfg.BootstrapHeads > 0 {
		rc.Masks = &replay.Masks{Heads: cfg.BootstrapHeads, P: cfg.BootstrapP, Seed: subSeed(cfg.Seed, streamMask)}
	}
	return rc
}

// Step returns the number of environment steps taken.
func (t *Trainer) Step() int64 { return t.step }

// Epsilon returns the exploration rate at the current step.
func (t *Trainer) Epsilon() float64 { return t.epsilon.Value(t.step) }

// Run trains until Config.TotalSteps environment steps or until ctx is
// cancelled (then Result.Interrupted is set), evaluates the final network,
// and saves final.ckpt if CheckpointDir is set. A resumed trainer (Resume)
// continues where its checkpoint left off.
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	t.running = true
	defer func() { t.running = false }()
	start := time.Now()
	cfg := &t.Config
	res := Result{}
	for t.step < cfg.TotalSteps {
		if t.step%256 == 0 && ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		// Act: one step of the actor, whose transition goes into the replay
		// (uniformly random actions while it fills, then ε-greedy).
		ev := t.Actor.Step(t.step)
		if err := t.Actor.Err(); err != nil {
			return res, t.envFailed(err)
		}
		ev.Epsilon = t.epsilon.Value(t.step)
		t.step++
		ev.ReplaySize, ev.ReplayCapacity = t.replay.Len(), t.replayCap()
		for _, o := range t.observers {
			o.OnStep(&ev)
		}
		if ev.Terminated || ev.Truncated {
			// A truncated episode's last state is not terminal: the replay
			// kept s′ and the transition bootstraps from it.
			ee := t.Actor.EndEpisode(t.step, ev.Terminated)
			for _, o := range t.observers {
				o.OnEpisode(&ee)
			}
			if err := t.Actor.Err(); err != nil {
				return res, t.envFailed(err)
			}
		}

		// Learn: TrainFreq steps apart, GradientSteps gradient steps each.
		if t.step > cfg.LearningStarts && t.step%int64(cfg.TrainFreq) == 0 && t.replay.Len() >= max(t.refill, 1) {
			t.learner.SetLR(cfg.learningRate(t.step))
			for range cfg.GradientSteps {
				ue, targetUpdated, err := t.learner.Step()
				if err != nil {
					return res, fmt.Errorf("step %d: %w", t.step, err)
				}
				ue.Step = t.step
				for _, o := range t.observers {
					o.OnUpdate(&ue)
				}
				if targetUpdated {
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
	res.Steps, res.Updates, res.Episodes = t.step, t.updates(), t.Actor.Episodes()
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

// envFailed saves final.ckpt after the env failed (a remote env's server
// died), so that the run resumes from the last step taken, and returns the
// error to report.
func (t *Trainer) envFailed(err error) error {
	err = fmt.Errorf("step %d: env %s failed: %w", t.step, t.Config.Env, err)
	if t.CheckpointDir == "" {
		return err
	}
	path := filepath.Join(t.CheckpointDir, "final.ckpt")
	if serr := t.SaveCheckpoint(path); serr != nil {
		return errors.Join(err, fmt.Errorf("saving final.ckpt: %w", serr))
	}
	return fmt.Errorf("%w; saved %s, from which the run resumes", err, path)
}

// evaluate runs an evaluation, tells the observers and keeps the best model.
func (t *Trainer) evaluate(episodes int, final bool) (EvalResult, error) {
	if t.Recurrent != nil {
		// Each evaluation episode carries its own state from zeros.
		r, err := EvaluateQ(NewRecurrentQ(t.Recurrent.DQN.Online), t.makeEnv,
			EvalOptions{Episodes: episodes, Seed: t.evalSeed, Epsilon: t.Config.EvalEpsilon})
		if err != nil {
			return r, err
		}
		return r, reportEval(r, t.step, final, &t.best, t.CheckpointDir, t.SaveCheckpoint, t.observers)
	}
	// Evaluation acts on the mean weights of noisy layers and draws IQN's τ
	// from a stream of the evaluation seed.
	online := t.Agent.Online
	if t.Config.Noisy {
		online.SetNoise(false)
		defer online.SetNoise(true)
	}
	q := NewQNetFor(&t.Config, online, newRand(t.evalSeed, streamActQ))
	r, err := EvaluateQ(q, t.makeEnv,
		EvalOptions{Episodes: episodes, Seed: t.evalSeed, Epsilon: t.Config.EvalEpsilon})
	if err != nil {
		return r, err
	}
	return r, reportEval(r, t.step, final, &t.best, t.CheckpointDir, t.SaveCheckpoint, t.observers)
}

// reportEval tells the observers of an evaluation at step, after keeping a
// new best mean in *best and, with a checkpoint directory, saving the model
// as best.ckpt there.
func reportEval(r EvalResult, step int64, final bool, best *float64, dir string, save func(path string) error, observers []Observer) error {
	ee := EvalEvent{Step: step, EvalResult: r, Final: final}
	if r.Mean > *best {
		*best = r.Mean
		ee.Best = true
		if dir != "" {
			if err := save(filepath.Join(dir, "best.ckpt")); err != nil {
				return fmt.Errorf("saving best.ckpt: %w", err)
			}
		}
	}
	for _, o := range observers {
		o.OnEval(&ee)
	}
	return nil
}
