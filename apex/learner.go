package apex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// LearnerConfig configures the Ape-X learner.
type LearnerConfig struct {
	// Agent is the DQN configuration. TotalSteps counts the env steps
	// ingested from all actors; LearningStarts the steps ingested before the
	// first gradient step; the learning rate and β follow the steps ingested.
	Agent agent.Config
	// Run names the run's stream and buckets (NamesFor).
	Run string
	// Backlog bounds the experience stream.
	Backlog Backlog
	// Streams is the most actors (indices 0…Streams−1); the replay gives each
	// its own ring of BufferSize/Streams slots.
	Streams int
	// PublishEvery K: parameters are published every K gradient steps.
	PublishEvery int64
	// ReplayRatio is the gradient steps per ingested step the learner keeps
	// to (it stops ingesting while it is behind, so the backlog fills and
	// actors drop batches); 0 takes GradientSteps/TrainFreq of Agent.
	ReplayRatio float64
	// CheckpointDir, if set, receives latest.ckpt (with its replay beside it)
	// every CheckpointEvery gradient steps and final.ckpt at the end.
	CheckpointDir   string
	CheckpointEvery int64
	// EvalEvery, if positive, evaluates the greedy policy for Agent.EvalEpisodes
	// episodes every so many ingested steps; StopAt, if positive, ends the
	// run at the first evaluation whose mean reaches it.
	EvalEvery int64
	StopAt    float64
	// Logf, if set, receives one line per event worth a line.
	Logf func(format string, args ...any)
	// Observer, if set, hears of each actor episode the learner ingested
	// whole and of each evaluation (run.LogWriter writes them to log.jsonl).
	Observer Observer
}

// Observer hears of the learner's progress. Step in the events is the env
// steps ingested; an episode's Return is the sum of its rewards as the
// actors sent them (after the config's reward clipping), and episodes cut
// by a gap in an actor's batches (a dropped batch, a restart) are left out.
type Observer interface {
	OnEpisode(*agent.EpisodeEvent)
	OnEval(*agent.EvalEvent)
}

// DefaultLearnerConfig returns a learner for cfg: 8 actor streams, parameters
// every 32 gradient steps, the default backlog.
func DefaultLearnerConfig(cfg agent.Config) LearnerConfig {
	return LearnerConfig{Agent: cfg, Run: "deepq", Backlog: DefaultBacklog(), Streams: 8, PublishEvery: 32}
}

// Validate reports the first field out of range.
func (c *LearnerConfig) Validate() error {
	if err := c.Agent.Validate(); err != nil {
		return err
	}
	if _, err := NamesFor(c.Run); err != nil {
		return err
	}
	if err := c.Backlog.Validate(); err != nil {
		return err
	}
	switch {
	case c.Streams < 1 || c.Streams > math.MaxUint16+1:
		return fmt.Errorf("apex: streams (the most actors) must be in [1, 65536], got %d", c.Streams)
	case c.Agent.BufferSize/c.Streams < 64:
		return fmt.Errorf("apex: a replay of %d slots gives each of %d actors %d slots: raise buffer_size or lower the actors", c.Agent.BufferSize, c.Streams, c.Agent.BufferSize/c.Streams)
	case c.PublishEvery < 1:
		return fmt.Errorf("apex: publish-every must be at least 1 gradient step, got %d", c.PublishEvery)
	case c.ReplayRatio < 0 || math.IsNaN(c.ReplayRatio):
		return fmt.Errorf("apex: replay ratio must be ≥ 0, got %v", c.ReplayRatio)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("apex: checkpoint-every must be ≥ 0, got %d", c.CheckpointEvery)
	case c.Agent.BootstrapHeads > 0:
		return fmt.Errorf("apex: bootstrap_heads %d: Ape-X's actors explore with ε of their own, not with bootstrap heads; train Bootstrapped DQN with deepq train", c.Agent.BootstrapHeads)
	}
	return nil
}

// Learner is the Ape-X learner: it ingests the actors' batches into
// prioritized replay, with the priorities they computed, learns as
// agent.Learner does, and publishes its parameters every K gradient steps.
type Learner struct {
	cfg     LearnerConfig
	names   Names
	info    RunInfo
	dqn     *agent.DQN
	learner *agent.Learner
	buf     *replay.Buffer
	makeEnv func() (env.Env, error)
	m       *LearnerMetrics

	base     int64 // gradient steps before this process (from the checkpoint)
	ingested int64 // env steps ingested
	episodes int   // whole actor episodes ingested by this process
	best     float64

	streams []streamState
	batch   Batch
	obs     []float32
	next    []float32
	obsSize int
}

// streamState follows one actor's batches.
type streamState struct {
	inc     uint64
	nextSeq uint64
	seen    bool
	skip    bool          // frame-stacked: waiting for an episode start after a gap
	pending []pendingPrio // priorities of transitions whose windows are open
	// The actor's open episode, whole since its start if epWhole.
	epReturn float64
	epLen    int
	epWhole  bool
}

type pendingPrio struct {
	idx int
	δ   float32
}

// Result summarises a learner's run.
type Result struct {
	Ingested, Updates int64
	// Eval is the last evaluation (zero if none ran).
	Eval    agent.EvalResult
	Elapsed time.Duration
}

// NewLearner builds a learner for the env makeEnv makes (a fresh one per
// call: one for its spaces, one per evaluation episode). If
// cfg.CheckpointDir holds latest.ckpt, the learner resumes from it: networks,
// optimizer, counters and its replay. m may be nil.
func NewLearner(makeEnv func() (env.Env, error), cfg LearnerConfig, m *LearnerMetrics) (*Learner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	names, _ := NamesFor(cfg.Run)
	e, err := makeEnv()
	if err != nil {
		return nil, err
	}
	e = env.Standard(e)
	spec := e.Spec()
	if cfg.Agent.Env == "" {
		cfg.Agent.Env = spec.ID
	}
	if spec.Actions.N > MaxActions {
		return nil, fmt.Errorf("apex: env %s has %d actions, more than %d", spec.ID, spec.Actions.N, MaxActions)
	}
	rc := replayConfig(&cfg.Agent, e, cfg.Streams)
	buf, err := replay.New(rc)
	if err != nil {
		return nil, fmt.Errorf("apex: replay: %w", err)
	}
	dqn, err := agent.NewDQN(cfg.Agent, spec.Observation.Shape, spec.Actions.N, newRand(cfg.Agent.Seed, 3))
	if err != nil {
		return nil, err
	}
	if m == nil {
		m, _ = NewLearnerMetrics(nil, cfg.Run)
	}
	l := &Learner{
		cfg: cfg, names: names, dqn: dqn, buf: buf, m: m, best: math.Inf(-1),
		makeEnv: func() (env.Env, error) {
			e, err := makeEnv()
			if err != nil {
				return nil, err
			}
			return env.Standard(e), nil
		},
		info: RunInfo{Config: cfg.Agent, ObsShape: spec.Observation.Shape, NumActions: spec.Actions.N,
			Storage: rc.Storage, FrameSize: buf.FrameSize(), Streams: cfg.Streams},
		streams: make([]streamState, cfg.Streams),
		obsSize: rc.ObsSize,
		obs:     make([]float32, rc.ObsSize),
		next:    make([]float32, rc.ObsSize),
	}
	if cfg.CheckpointDir != "" {
		path := filepath.Join(cfg.CheckpointDir, "latest.ckpt")
		if _, err := os.Stat(path); err == nil {
			if err := l.restore(path); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("apex: learner checkpoint: %w", err)
		}
	}
	l.learner = agent.NewLearner(dqn, buf, subSeed(cfg.Agent.Seed, uint64(l.base)+7))
	m.ReplayCap.Set(float64(buf.Cap()))
	return l, nil
}

// replayConfig is the agent's replay for cfg with one stream per actor
// index (the capacity rounded down to a multiple of the streams).
func replayConfig(cfg *agent.Config, e env.Env, streams int) replay.Config {
	rc := agent.ReplayConfig(cfg, e)
	rc.Capacity = cfg.BufferSize / streams * streams
	rc.Streams = streams
	return rc
}

// Updates returns the parameter version: gradient steps since the run began.
func (l *Learner) Updates() int64 { return l.base + l.dqn.Updates() }

// Ingested returns the env steps ingested since the run began.
func (l *Learner) Ingested() int64 { return l.ingested }

// Info returns what the learner tells its actors.
func (l *Learner) Info() RunInfo { return l.info }

func (l *Learner) logf(format string, args ...any) {
	if l.cfg.Logf != nil {
		l.cfg.Logf(format, args...)
	}
}

// ratio returns the gradient steps per ingested step.
func (l *Learner) ratio() float64 {
	if l.cfg.ReplayRatio > 0 {
		return l.cfg.ReplayRatio
	}
	return float64(l.cfg.Agent.GradientSteps) / float64(l.cfg.Agent.TrainFreq)
}

// due returns the gradient steps the learner may take now.
func (l *Learner) due() int64 {
	a := &l.cfg.Agent
	if l.ingested < a.LearningStarts || l.buf.Len() < a.BatchSize {
		return 0
	}
	return int64(l.ratio()*float64(l.ingested-a.LearningStarts)) - l.Updates()
}

// Run ingests, learns and publishes until Agent.TotalSteps steps were
// ingested, an evaluation reaches StopAt, or ctx is done; then it saves
// final.ckpt. It survives the NATS server going away: it retries, and sets
// the stream and buckets up again when it is back.
func (l *Learner) Run(ctx context.Context, nc *nats.Conn) (Result, error) {
	start := time.Now()
	js, err := jetstream.New(nc)
	if err != nil {
		return Result{}, err
	}
	var reconnected atomic.Bool
	nc.SetReconnectHandler(func(*nats.Conn) { reconnected.Store(true) })
	var (
		cons   jetstream.Consumer
		params jetstream.ObjectStore
	)
	ready := false
	lastPub, lastCkpt := int64(-1), l.Updates()
	nextEval := l.cfg.EvalEvery
	if nextEval > 0 {
		nextEval = (l.ingested/l.cfg.EvalEvery + 1) * l.cfg.EvalEvery
	}
	res := Result{}
	backoff := 50 * time.Millisecond
	for (l.ingested < l.cfg.Agent.TotalSteps || l.due() > 0) && ctx.Err() == nil {
		if !ready || reconnected.Swap(false) {
			var kv jetstream.KeyValue
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			cons, params, kv, err = setup(sctx, js, l.names, l.cfg.Backlog)
			if err == nil {
				err = l.putInfo(sctx, kv)
			}
			if err == nil {
				err = l.publish(sctx, params)
			}
			cancel()
			if err != nil {
				ready = false
				l.logf("learner: NATS not ready (%v); retrying in %v", err, backoff)
				sleep(ctx, backoff)
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			ready, backoff, lastPub = true, 50*time.Millisecond, l.Updates()
		}

		// Learn: the gradient steps the replay ratio allows, a few at a time.
		due := l.due()
		for range min(due, 16) {
			if err := l.step(); err != nil {
				return res, err
			}
		}
		if l.Updates()-lastPub >= l.cfg.PublishEvery {
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := l.publish(pctx, params); err != nil {
				l.logf("learner: publishing parameters: %v", err)
				ready = false
			} else {
				lastPub = l.Updates()
			}
			cancel()
		}
		if l.cfg.CheckpointDir != "" && l.cfg.CheckpointEvery > 0 && l.Updates()-lastCkpt >= l.cfg.CheckpointEvery {
			if err := l.SaveCheckpoint(filepath.Join(l.cfg.CheckpointDir, "latest.ckpt")); err != nil {
				return res, err
			}
			lastCkpt = l.Updates()
		}

		// Ingest, unless the learner is behind its replay ratio: then the
		// backlog fills and the actors drop batches, instead of the learner's
		// memory growing.
		if due > 64 || l.ingested >= l.cfg.Agent.TotalSteps {
			continue
		}
		var batch jetstream.MessageBatch
		if due > 0 {
			batch, err = cons.FetchNoWait(fetchBatches)
		} else {
			batch, err = cons.Fetch(fetchBatches, jetstream.FetchMaxWait(250*time.Millisecond))
		}
		if err != nil {
			if ctx.Err() == nil {
				l.logf("learner: fetching experience: %v", err)
				ready = false
				sleep(ctx, backoff)
			}
			continue
		}
		for msg := range batch.Messages() {
			l.ingest(msg.Data())
			msg.Ack()
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			l.logf("learner: fetching experience: %v", err)
		}
		l.m.ReplaySize.Set(float64(l.buf.Len()))

		if nextEval > 0 && l.ingested >= nextEval {
			nextEval += l.cfg.EvalEvery
			r, err := l.evaluate()
			if err != nil {
				return res, err
			}
			res.Eval = r
			if l.cfg.StopAt > 0 && r.Mean >= l.cfg.StopAt {
				break
			}
		}
	}
	res.Ingested, res.Updates, res.Elapsed = l.ingested, l.Updates(), time.Since(start)
	if ready && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := l.publish(pctx, params); err != nil {
			l.logf("learner: publishing the final parameters: %v", err)
		}
		cancel()
	}
	if l.cfg.CheckpointDir != "" {
		if err := l.SaveCheckpoint(filepath.Join(l.cfg.CheckpointDir, "final.ckpt")); err != nil {
			return res, err
		}
	}
	return res, nil
}

// fetchBatches is the most batches the learner takes from the stream at a
// time: few, so that it keeps close to its replay ratio.
const fetchBatches = 4

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// step takes one gradient step.
func (l *Learner) step() error {
	a := &l.cfg.Agent
	lr := a.LearningRate
	if a.LRSchedule == agent.Linear {
		f := min(1, float64(l.ingested)/float64(a.TotalSteps))
		lr = a.LearningRate + f*(a.LearningRateEnd-a.LearningRate)
	}
	l.learner.SetLR(lr)
	if _, _, err := l.learner.Step(); err != nil {
		return fmt.Errorf("apex: learner at update %d: %w", l.Updates(), err)
	}
	l.m.Updates.Inc()
	return nil
}

func (l *Learner) putInfo(ctx context.Context, kv jetstream.KeyValue) error {
	p, err := json.Marshal(l.info)
	if err != nil {
		return err
	}
	_, err = kv.Put(ctx, "info", p)
	return err
}

// publish puts the online and target networks, versioned, in the object store.
func (l *Learner) publish(ctx context.Context, params jetstream.ObjectStore) error {
	v := l.Updates()
	p, err := encodeParams(l.dqn.Online, l.dqn.Target, v)
	if err != nil {
		return err
	}
	_, err = params.Put(ctx, jetstream.ObjectMeta{Name: "params", Metadata: map[string]string{"version": strconv.FormatInt(v, 10)}}, bytes.NewReader(p))
	if err == nil {
		l.m.Version.Set(float64(v))
	}
	return err
}

// ingest adds a batch from the wire to the replay. A batch that does not
// decode or does not fit the run is counted as rejected and skipped.
func (l *Learner) ingest(p []byte) {
	b := &l.batch
	if err := b.UnmarshalBinary(p); err != nil {
		l.reject("%v", err)
		return
	}
	switch {
	case b.Actor >= len(l.streams):
		l.reject("batch from actor %d, but the replay has streams for actors 0…%d (raise --max-actors)", b.Actor, len(l.streams)-1)
		return
	case b.FrameSize != l.info.FrameSize || b.Storage != l.info.Storage:
		l.reject("actor %d sends frames of %d %v elements, the run has %d %v", b.Actor, b.FrameSize, b.Storage, l.info.FrameSize, l.info.Storage)
		return
	}
	for k, a := range b.Actions {
		if int(a) >= l.info.NumActions {
			l.reject("actor %d: step %d takes action %d of %d", b.Actor, k, a, l.info.NumActions)
			return
		}
	}
	st := &l.streams[b.Actor]
	if st.seen && b.Incarnation == st.inc && b.Seq < st.nextSeq {
		l.m.Batches.WithLabelValues("duplicate").Inc()
		return
	}
	if !st.seen || b.Incarnation != st.inc || b.Seq != st.nextSeq {
		// A gap: the actor restarted, or batches were dropped or lost. Its
		// open episode ends here (truncated: it bootstraps from its last s′).
		if st.seen && b.Incarnation == st.inc {
			l.m.Lost.Add(float64(b.Seq - st.nextSeq))
		}
		l.buf.EndStream(b.Actor)
		l.settle(b.Actor)
		st.skip = l.buf.Config().FrameStack > 1
		st.epWhole = false
	}
	st.seen, st.inc, st.nextSeq = true, b.Incarnation, b.Seq+1
	l.m.Staleness.Observe(float64(max(0, l.Updates()-b.Version)))

	F, d, K := b.FrameSize, l.obsSize, l.obsSize/b.FrameSize
	fr := b.Frames
	prioritized := l.buf.Prioritized()
	added := 0
	for k, fl := range b.Flags {
		if fl&StepObs != 0 {
			frame := fr[:F]
			fr = fr[F:]
			open, cont := l.buf.Open(b.Actor, frame)
			if open && !cont {
				l.buf.EndStream(b.Actor)
				l.settle(b.Actor)
			}
			if !cont {
				st.skip = K > 1 && fl&StepEpisodeStart == 0
			}
			stack(l.obs, frame, K)
		}
		next := fr[:F]
		fr = fr[F:]
		stack(l.next, next, K)
		if !st.skip {
			idx := l.buf.NextIndex(b.Actor)
			l.buf.AddStream(b.Actor, l.obs, int(b.Actions[k]), float64(b.Rewards[k]), l.next, fl&StepTerminated != 0, fl&StepTruncated != 0)
			added++
			if prioritized {
				st.pending = append(st.pending, pendingPrio{idx, b.Priorities[k]})
				l.settle(b.Actor)
			}
		}
		copy(l.obs[d-F:], next) // s ← s′ (only the newest frame matters to the replay)
		if fl&StepEpisodeStart != 0 {
			st.epReturn, st.epLen, st.epWhole = 0, 0, true
		}
		st.epReturn += float64(b.Rewards[k])
		st.epLen++
		if fl&(StepTerminated|StepTruncated) != 0 {
			st.skip = false
			if st.epWhole && l.cfg.Observer != nil {
				l.episodes++
				l.cfg.Observer.OnEpisode(&agent.EpisodeEvent{Step: l.ingested + int64(added), Episode: l.episodes,
					Return: st.epReturn, Length: st.epLen, Terminated: fl&StepTerminated != 0})
			}
			st.epWhole = false
		}
	}
	l.ingested += int64(added)
	l.m.Ingested.Add(float64(added))
	l.m.Bytes.Add(float64(len(p)))
	l.m.Batches.WithLabelValues("ingested").Inc()
}

// stack fills dst with K copies of frame.
func stack(dst, frame []float32, K int) {
	F := len(frame)
	for j := range K {
		copy(dst[j*F:(j+1)*F], frame)
	}
}

// settle applies the pending priorities of actor s's transitions whose
// windows are complete.
func (l *Learner) settle(s int) {
	st := &l.streams[s]
	k := 0
	for ; k < len(st.pending); k++ {
		state, err := l.buf.SetPriority(st.pending[k].idx, st.pending[k].δ)
		if err != nil || state != replay.PriorityPending {
			continue
		}
		break
	}
	st.pending = append(st.pending[:0], st.pending[k:]...)
}

func (l *Learner) reject(format string, args ...any) {
	l.m.Batches.WithLabelValues("rejected").Inc()
	l.logf("learner: rejected a batch: "+format, args...)
}

// Evaluate plays episodes with the online network, greedy but for the
// config's EvalEpsilon, on envs seeded from seed.
func (l *Learner) Evaluate(episodes int, seed uint64) (agent.EvalResult, error) {
	return agent.Evaluate(l.dqn.Online, l.makeEnv, agent.EvalOptions{Episodes: episodes, Seed: seed, Epsilon: l.cfg.Agent.EvalEpsilon})
}

// evaluate runs the periodic evaluation: the metric, best.ckpt, the
// observer and a log line.
func (l *Learner) evaluate() (agent.EvalResult, error) {
	a := &l.cfg.Agent
	r, err := l.Evaluate(max(a.EvalEpisodes, 1), subSeed(a.Seed, 2))
	if err != nil {
		return r, err
	}
	l.m.EvalMean.Set(r.Mean)
	ee := agent.EvalEvent{Step: l.ingested, EvalResult: r}
	if r.Mean > l.best {
		l.best, ee.Best = r.Mean, true
		if l.cfg.CheckpointDir != "" {
			if err := l.save(filepath.Join(l.cfg.CheckpointDir, "best.ckpt"), false); err != nil {
				return r, err
			}
		}
	}
	if l.cfg.Observer != nil {
		l.cfg.Observer.OnEval(&ee)
	}
	l.logf("learner: %d steps ingested, %d updates: evaluation mean %.1f over %d episodes", l.ingested, l.Updates(), r.Mean, len(r.Returns))
	return r, nil
}

// SaveCheckpoint saves the learner to path in the agent checkpoint format
// (agent.LoadCheckpoint and deepq eval read it): Meta.Step is the steps
// ingested, Meta.Updates the parameter version; the replay goes to a file
// beside it, written first, named in Meta.Replay.
func (l *Learner) SaveCheckpoint(path string) error { return l.save(path, true) }

// save is SaveCheckpoint, without the replay unless withReplay (best.ckpt,
// the model of the best evaluation, as agent.Trainer keeps it, has none).
func (l *Learner) save(path string, withReplay bool) error {
	spec := l.info
	m := agent.Meta{Format: "deepq-agent", Config: l.cfg.Agent, EnvID: l.cfg.Agent.Env,
		ObsShape: spec.ObsShape, NumActions: spec.NumActions, Step: l.ingested, Updates: l.Updates(),
		EpisodeActions: []int32{}, CheckpointEvery: l.cfg.CheckpointEvery, SaveReplay: withReplay}
	if !math.IsInf(l.best, -1) {
		b := l.best
		m.BestEval = &b
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("apex: checkpoint directory: %w", err)
	}
	var old string
	if withReplay {
		m.Replay = fmt.Sprintf("%s.%d.replay", filepath.Base(path), l.Updates())
		m.ReplayAdded = l.buf.Added()
		if err := l.buf.Save(filepath.Join(dir, m.Replay)); err != nil {
			return err
		}
		if prev, err := agent.LoadCheckpoint(path); err == nil && prev.Meta.Replay != m.Replay {
			old = prev.Meta.Replay
		}
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	online, err := net.MarshalModel(l.dqn.Online)
	if err != nil {
		return err
	}
	target, err := net.MarshalModel(l.dqn.Target)
	if err != nil {
		return err
	}
	opt, err := net.MarshalOptimizer(l.dqn.Opt)
	if err != nil {
		return err
	}
	err = ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		return errors.Join(w.Bytes("meta", meta), w.Bytes("online", online), w.Bytes("target", target), w.Bytes("optimizer", opt))
	})
	if err != nil {
		return fmt.Errorf("apex: saving %s: %w", path, err)
	}
	if old != "" {
		os.Remove(filepath.Join(dir, old))
	}
	return nil
}

// restore loads the learner's checkpoint at path.
func (l *Learner) restore(path string) error {
	c, err := agent.LoadCheckpoint(path)
	if err != nil {
		return fmt.Errorf("apex: resuming the learner: %w", err)
	}
	if c.Exported() {
		return fmt.Errorf("apex: resuming the learner: %s is an exported checkpoint (%s weights of the online network alone), which cannot resume training", path, c.Meta.Weights)
	}
	if !sameShape(c.Meta.ObsShape, l.info.ObsShape) || c.Meta.NumActions != l.info.NumActions {
		return fmt.Errorf("apex: resuming the learner: checkpoint %s is for observations %v and %d actions, the env has %v and %d",
			path, c.Meta.ObsShape, c.Meta.NumActions, l.info.ObsShape, l.info.NumActions)
	}
	if err := validateNets(c.Online, c.Target, l.dqn.Online); err != nil {
		return fmt.Errorf("apex: resuming the learner from %s: %w", path, err)
	}
	if c.Meta.Replay == "" {
		return fmt.Errorf("apex: resuming the learner: checkpoint %s names no replay file", path)
	}
	if err := l.buf.Load(filepath.Join(filepath.Dir(path), c.Meta.Replay)); err != nil {
		return fmt.Errorf("apex: resuming the learner from %s: %w", path, err)
	}
	if l.buf.Added() != c.Meta.ReplayAdded {
		return fmt.Errorf("apex: resuming the learner: replay %s holds %d steps, checkpoint %s says %d", c.Meta.Replay, l.buf.Added(), path, c.Meta.ReplayAdded)
	}
	l.dqn.Online.CopyFrom(c.Online)
	l.dqn.Target.CopyFrom(c.Target)
	opt, err := net.UnmarshalOptimizer(mustMarshalOpt(c.Opt), l.dqn.Online.Params())
	if err != nil {
		return fmt.Errorf("apex: resuming the learner's optimizer: %w", err)
	}
	l.dqn.Opt = opt
	l.base, l.ingested = c.Meta.Updates, c.Meta.Step
	if c.Meta.BestEval != nil {
		l.best = *c.Meta.BestEval
	}
	l.m.Version.Set(float64(l.base))
	l.logf("learner: resumed from %s at %d steps ingested, version %d", path, l.ingested, l.base)
	return nil
}

func mustMarshalOpt(o net.Optimizer[float32]) []byte {
	p, err := net.MarshalOptimizer(o)
	if err != nil {
		panic(fmt.Sprintf("apex: re-encoding a decoded optimizer: %v", err))
	}
	return p
}
