package agent

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
)

// PQN trains a Q-network with Parallel Q-learning (Gallici et al. 2025): no
// replay buffer and no target network. Each iteration
//
//  1. acts: a VecActor steps NumEnvs copies for RolloutSteps steps with
//     ε-greedy on the current network, keeping every transition and
//     Q(s, ·) of every state it acted in;
//  2. computes the Q(λ) targets G backwards over the rollout from those
//     Q-values (LambdaReturns), bootstrapping a truncated episode from its
//     final observation and the rollout's last step from the next one;
//  3. learns: Epochs passes over the rollout in shuffled minibatches, each
//     one gradient step of L = 1/(2B) Σ (Q(s,a) − G)², with the gradient
//     norm clipped and Adam's learning rate decaying linearly.
//
// LayerNorm after each hidden layer (PQNNetwork) keeps the bootstrapping
// from the online network stable. Observers see every frame, episode,
// gradient step and evaluation, as in a Trainer's run.
type PQN struct {
	Config PQNConfig
	// Q is the Q-network, acted with and learnt; Opt its optimizer.
	Q     *net.Sequential[float32]
	Opt   net.Optimizer[float32]
	Actor *VecActor
	Vec   *env.Vector

	sh *shards // Q's data-parallel copies; sh.models[0] is Q

	makeEnv   func() (env.Env, error) // evaluation envs
	observers []Observer
	evalSeed  uint64
	rng       stream // minibatch shuffles

	obsShape []int
	nA, size int
	step     int64 // frames taken
	updates  int64
	best     float64
	running  bool
	ro       rollout
	learn    pqnLearnBuffers
	ended    []EpisodeEvent // the episodes the last vector step ended

	// CheckpointDir, if set, receives best.ckpt after each evaluation that
	// improves on the best mean and final.ckpt when Run returns.
	CheckpointDir string
	// CheckpointEvery, if positive, saves latest.ckpt to CheckpointDir after
	// the rollout that crosses each multiple of so many frames, so that a
	// cut-off run can be resumed (ResumePQN).
	CheckpointEvery int64

	// Timings accumulates where Run's time goes.
	Timings PQNTimings
}

// PQNTimings splits a PQN run's time into its parts.
type PQNTimings struct {
	// Act is the Q-network's forward passes for acting and the policy;
	// Env is stepping the vector env (with its autoresets).
	Act, Env time.Duration
	// Returns is the bootstrap forward passes and the λ-returns; Learn the
	// minibatch gradient steps.
	Returns, Learn time.Duration
}

// rollout holds the transitions of one rollout, (T, N) time-major.
type rollout struct {
	obs      []float32 // (T, N, obs...)
	actions  []int32
	rewards  []float64 // scaled by RewardScale
	term     []bool
	cut      []bool    // the episode ended (or, after the loop, t = T−1)
	v        []float32 // max_a Q(s′, a)
	g        []float32 // the λ-returns
	truncAt  []int     // indices t·N+i of truncated steps…
	truncObs []float32 // …and their final observations
	last     *net.Tensor[float32]
}

// pqnLearnBuffers are the learner's workspaces.
type pqnLearnBuffers struct {
	perm []int
	x    *net.Tensor[float32] // (B, obs...)
	dq   *net.Tensor[float32] // ∂L/∂Q (B, A)
	pred []float32
}

// NewPQN builds a PQN run for the env that makeEnv makes: NumEnvs copies in
// a vector env to train on, and one more per evaluation episode, so each call
// must return a fresh env with the same spaces. Each copy is wrapped as
// env.Standard does (its spec's time limit, episode statistics). If cfg.Env
// is empty it becomes the env's ID. The network, the copies' seeds and every
// random stream are seeded from cfg.Seed. Observers may be given here or
// added with Observe before Run.
func NewPQN(makeEnv func() (env.Env, error), cfg PQNConfig, observers ...Observer) (*PQN, error) {
	if makeEnv == nil {
		return nil, fmt.Errorf("agent: NewPQN needs a function that makes the env")
	}
	mk := func() (env.Env, error) { return standardEnv(makeEnv) }
	if cfg.NumEnvs < 1 {
		return nil, fmt.Errorf("pqn config: num_envs must be at least 1, got %d", cfg.NumEnvs)
	}
	vec, err := env.NewVector(cfg.NumEnvs, mk)
	if err != nil {
		return nil, err
	}
	spec := vec.Spec()
	if cfg.Env == "" {
		cfg.Env = spec.ID
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.Actions.N < 1 || spec.Observation.Size() < 1 {
		return nil, fmt.Errorf("agent: env %s has %d actions and observations of shape %v", spec.ID, spec.Actions.N, spec.Observation.Shape)
	}
	q, err := net.Build[float32](spec.Observation.Shape, PQNNetwork(&cfg, spec.Actions.N), newRand(cfg.Seed, streamInit))
	if err != nil {
		return nil, fmt.Errorf("pqn network for %s: %w", cfg.Env, err)
	}
	if err := q.SetPrecision(cfg.Precision.net()); err != nil {
		return nil, err
	}
	adam := net.DefaultAdam()
	adam.LR, adam.Eps = cfg.LearningRate, cfg.OptimizerEps
	if cfg.EnvWorkers > 0 {
		vec.SetWorkers(cfg.EnvWorkers)
	}
	p := &PQN{
		Config: cfg, Q: q, Opt: net.NewAdam(q.Params(), adam), Vec: vec,
		makeEnv: mk, observers: observers,
		evalSeed: subSeed(cfg.Seed, streamEval),
		rng:      newStream(cfg.Seed, streamSample),
		obsShape: spec.Observation.Shape, nA: spec.Actions.N, size: spec.Observation.Size(),
		best: math.Inf(-1),
	}
	p.sh = newShards(q, cfg.Shards, p.obsShape, p.nA)
	pol := policy.EpsilonGreedy{Epsilon: cfg.epsilon(), NumActions: p.nA}
	p.Actor = NewVecActor(vec, pol, p.sh, cfg.Seed, subSeed(cfg.Seed, streamEnv))
	n, B := cfg.rolloutSize(), cfg.minibatch()
	p.ro = rollout{
		obs: make([]float32, n*p.size), actions: make([]int32, n), rewards: make([]float64, n),
		term: make([]bool, n), cut: make([]bool, n), v: make([]float32, n), g: make([]float32, n),
		last: net.New[float32](append([]int{cfg.NumEnvs}, p.obsShape...)...),
	}
	p.learn = pqnLearnBuffers{perm: make([]int, n),
		x: net.New[float32](append([]int{B}, p.obsShape...)...), dq: net.New[float32](B, p.nA),
		pred: make([]float32, B)}
	return p, nil
}

// Observe adds observers. Call it before Run.
func (p *PQN) Observe(observers ...Observer) {
	if p.running {
		panic("agent: Observe called while PQN runs")
	}
	p.observers = append(p.observers, observers...)
}

// Step returns the number of frames taken.
func (p *PQN) Step() int64 { return p.step }

// Updates returns the number of gradient steps taken.
func (p *PQN) Updates() int64 { return p.updates }

// Run trains for Config.TotalSteps frames (whole rollouts) or until ctx is
// cancelled (checked between rollouts; then Result.Interrupted is set),
// evaluates the final network, and saves final.ckpt if CheckpointDir is set.
// A resumed run (ResumePQN) continues where its checkpoint left off.
func (p *PQN) Run(ctx context.Context) (Result, error) {
	p.running = true
	defer func() { p.running = false }()
	start := time.Now()
	cfg := &p.Config
	res := Result{}
	for r := int64(p.step / int64(cfg.rolloutSize())); r < cfg.rollouts(); r++ {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		before := p.step
		if err := p.iterate(); err != nil {
			return res, err
		}
		if cfg.EvalEvery > 0 && p.step/cfg.EvalEvery > before/cfg.EvalEvery && r+1 < cfg.rollouts() {
			if _, err := p.evaluate(cfg.EvalEpisodes, false); err != nil {
				return res, err
			}
		}
		if k := p.CheckpointEvery; k > 0 && p.CheckpointDir != "" && p.step/k > before/k && r+1 < cfg.rollouts() {
			if err := p.SaveCheckpoint(filepath.Join(p.CheckpointDir, "latest.ckpt")); err != nil {
				return res, fmt.Errorf("saving latest.ckpt: %w", err)
			}
		}
	}
	res.Steps, res.Updates, res.Episodes = p.step, p.updates, p.Actor.Episodes()
	if cfg.FinalEvalEpisodes > 0 && !res.Interrupted {
		final, err := p.evaluate(cfg.FinalEvalEpisodes, true)
		if err != nil {
			return res, err
		}
		res.Final = final
	}
	res.Best = p.best
	res.Elapsed = time.Since(start)
	if p.CheckpointDir != "" {
		if err := p.SaveCheckpoint(filepath.Join(p.CheckpointDir, "final.ckpt")); err != nil {
			return res, fmt.Errorf("saving final.ckpt: %w", err)
		}
	}
	return res, nil
}

// Iterate runs one PQN iteration outside Run: a rollout of NumEnvs ×
// RolloutSteps frames, its targets and its gradient steps, with no
// evaluation or checkpoint, and with ε and the learning rate where the
// frames and gradient steps taken put them. Benchmarks drive PQN with it
// (package bench); a training run calls Run.
func (p *PQN) Iterate() error { return p.iterate() }

// iterate runs one PQN iteration: act for a rollout, compute its targets,
// learn from it.
func (p *PQN) iterate() error {
	p.collect()
	p.targets()
	return p.update()
}

// collect acts for one rollout: T steps of the N copies.
func (p *PQN) collect() {
	cfg, ro := &p.Config, &p.ro
	N, A := cfg.NumEnvs, p.nA
	act0, env0 := p.Actor.ActTime, p.Actor.EnvTime
	ro.truncAt, ro.truncObs = ro.truncAt[:0], ro.truncObs[:0]
	eps := cfg.epsilon()
	for t := range cfg.RolloutSteps {
		base := p.step
		ended := p.ended[:0]
		s := p.Actor.Step(base, func(i int, ep env.Episode) {
			ended = append(ended, EpisodeEvent{Step: base + int64(i) + 1, Episode: p.Actor.Episodes(),
				Return: ep.Return, Length: ep.Length, Terminated: ep.Terminated})
		})
		p.ended = ended
		k0 := t * N
		copy(ro.obs[k0*p.size:], s.Obs)
		for i := range N {
			k := k0 + i
			ro.actions[k] = int32(s.Actions[i])
			ro.rewards[k] = s.Rewards[i] * cfg.RewardScale
			ro.term[k], ro.cut[k] = s.Terminated[i], s.Ended(i)
			if t > 0 && !ro.cut[k-N] {
				// v of the previous step is max_a Q(s_t, a), computed to act now.
				ro.v[k-N] = maxOf(s.Q[i*A : (i+1)*A])
			}
			if s.Truncated[i] && !s.Terminated[i] {
				// Bootstrap from the state the time limit cut, evaluated below.
				ro.truncAt = append(ro.truncAt, k)
				ro.truncObs = append(ro.truncObs, s.Next(i)...)
			}
		}
		p.step += int64(N)
		if len(p.observers) > 0 {
			p.observeSteps(s, base, eps.Value(base))
			// Each episode after its last step, as in a Trainer's run.
			for k := range ended {
				for _, o := range p.observers {
					o.OnEpisode(&ended[k])
				}
			}
		}
	}
	p.Timings.Act += p.Actor.ActTime - act0
	p.Timings.Env += p.Actor.EnvTime - env0
}

// observeSteps tells the observers about the N frames of step s, taken after
// base frames; frame i is number base+i+1.
func (p *PQN) observeSteps(s *VecStep, base int64, eps float64) {
	A := p.nA
	envDur := time.Duration(0)
	for i := range s.N {
		ev := StepEvent{Step: base + int64(i) + 1, Episode: p.Actor.Episodes(),
			Obs: s.Obs[i*p.size : (i+1)*p.size], Action: s.Actions[i], Q: s.Q[i*A : (i+1)*A],
			Reward: s.Rewards[i], Return: p.Actor.Return(i), Terminated: s.Terminated[i], Truncated: s.Truncated[i],
			Epsilon: eps}
		if ev.Step%StepTimingInterval == 0 {
			if envDur == 0 {
				envDur = max(p.Actor.lastEnv/time.Duration(s.N), 1)
			}
			ev.EnvDuration = envDur
		}
		for _, o := range p.observers {
			o.OnStep(&ev)
		}
	}
}

// targets computes the bootstrap values v and the λ-returns g of the rollout.
func (p *PQN) targets() {
	t0 := time.Now()
	cfg, ro := &p.Config, &p.ro
	N, T, A := cfg.NumEnvs, cfg.RolloutSteps, p.nA
	q := p.sh
	// The rollout's last step bootstraps from the observations the next
	// rollout starts from (unless its episode ended).
	copy(ro.last.Data, p.Actor.Obs())
	qs := q.QValuesBatch(ro.last.Data, N)
	for i := range N {
		k := (T-1)*N + i
		if !ro.cut[k] {
			ro.v[k] = maxOf(qs[i*A : (i+1)*A])
		}
	}
	if n := len(ro.truncAt); n > 0 {
		qs := q.QValuesBatch(ro.truncObs, n)
		for j, k := range ro.truncAt {
			ro.v[k] = maxOf(qs[j*A : (j+1)*A])
		}
	}
	for k := range ro.term {
		if ro.term[k] {
			ro.v[k] = 0 // not used: a terminal state has no value
		}
	}
	LambdaReturns(ro.g, ro.rewards, ro.term, ro.cut, ro.v, T, N, cfg.Gamma, cfg.Lambda)
	p.Timings.Returns += time.Since(t0)
}

// update takes Epochs × Minibatches gradient steps on the rollout.
func (p *PQN) update() error {
	t0 := time.Now()
	cfg, ro, lb := &p.Config, &p.ro, &p.learn
	B, A, size := cfg.minibatch(), p.nA, p.size
	for i := range lb.perm {
		lb.perm[i] = i
	}
	for range cfg.Epochs {
		p.rng.Shuffle(len(lb.perm), func(i, j int) { lb.perm[i], lb.perm[j] = lb.perm[j], lb.perm[i] })
		for m := range cfg.Minibatches {
			u0 := time.Now()
			idx := lb.perm[m*B : (m+1)*B]
			for j, k := range idx {
				copy(lb.x.Data[j*size:(j+1)*size], ro.obs[k*size:(k+1)*size])
			}
			lr := cfg.learningRate(p.updates)
			p.Opt.SetLR(lr)
			q := p.sh.QValuesBatch(lb.x.Data, B)
			st := UpdateStats{MaxQ: math.Inf(-1), LR: lr}
			// L = 1/(2B) Σ (Q(s,a) − G)²; δ at the output is (Q(s,a) − G)/B
			// for the action taken, 0 for the others.
			lb.dq.Zero()
			for j, k := range idx {
				a := int(ro.actions[k])
				pred, d := q[j*A+a], q[j*A+a]-ro.g[k]
				lb.pred[j] = pred
				st.Loss += 0.5 * float64(d) * float64(d)
				st.MeanQ += float64(pred)
				st.MaxQ = max(st.MaxQ, float64(pred))
				st.TDError += math.Abs(float64(d))
				lb.dq.Data[j*A+a] = d / float32(B)
			}
			st.Loss /= float64(B)
			st.MeanQ /= float64(B)
			st.TDError /= float64(B)
			if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
				return fmt.Errorf("frame %d, gradient step %d: the loss is %v (the network diverged; lower the learning rate)", p.step, p.updates, st.Loss)
			}
			if len(p.observers) > 0 {
				st.DeadReLU = p.Q.DeadReLUFraction() // of the master's rows
			}
			p.sh.Backward(lb.dq.Data, B)
			if cfg.MaxGradNorm > 0 {
				st.GradNorm = net.ClipGradNorm(p.Q.Params(), cfg.MaxGradNorm)
			} else {
				st.GradNorm = net.GradNorm(p.Q.Params())
			}
			p.Opt.Step()
			p.updates++
			if len(p.observers) > 0 {
				ue := UpdateEvent{Step: p.step, Updates: p.updates, UpdateStats: st, Duration: time.Since(u0)}
				for _, o := range p.observers {
					o.OnUpdate(&ue)
				}
			}
		}
	}
	p.Timings.Learn += time.Since(t0)
	return nil
}

// evaluate runs an evaluation and tells the observers.
func (p *PQN) evaluate(episodes int, final bool) (EvalResult, error) {
	r, err := Evaluate(p.Q, p.makeEnv, EvalOptions{Episodes: episodes, Seed: p.evalSeed, Epsilon: p.Config.EvalEpsilon})
	if err != nil {
		return r, err
	}
	return r, reportEval(r, p.step, final, &p.best, p.CheckpointDir, p.SaveCheckpoint, p.observers)
}

// maxOf returns the largest element of q.
func maxOf(q []float32) float32 {
	m := q[0]
	for _, v := range q[1:] {
		m = max(m, v)
	}
	return m
}
