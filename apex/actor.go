package apex

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/schedule"
)

// subSeed derives the seed of stream s from seed (SplitMix64).
func subSeed(seed, s uint64) uint64 {
	z := seed + s*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRand(seed, s uint64) *rand.Rand { return rand.New(rand.NewPCG(subSeed(seed, s), s)) }

// Epsilon returns Ape-X's exploration rate of actor i of n,
// ε_i = 0.4^(1 + 7i/(n−1)), and 0.4 for a single actor.
func Epsilon(i, n int) float64 {
	if n <= 1 {
		return 0.4
	}
	return math.Pow(0.4, 1+7*float64(i)/float64(n-1))
}

// ActorConfig configures one Ape-X actor.
type ActorConfig struct {
	// Run names the run, as the learner's LearnerConfig.Run.
	Run string
	// Index i ∈ [0, N) and N set the actor's ε (Epsilon) and its replay
	// stream at the learner.
	Index, N int
	// Seed seeds the actor's env and exploration; the actor's streams are
	// derived from it and Index.
	Seed uint64
	// BatchSteps is the steps per batch sent.
	BatchSteps int
	// Steps, if positive, stops the actor after so many env steps.
	Steps int64
	// Incarnation tells this run of the actor from an earlier one (a
	// restarted process); 0 takes the clock.
	Incarnation uint64
	// Logf, if set, receives a line per event worth one.
	Logf func(format string, args ...any)
}

// DefaultActorConfig returns actor i of n of run "deepq", sending batches
// of 64 steps.
func DefaultActorConfig(i, n int) ActorConfig {
	return ActorConfig{Run: "deepq", Index: i, N: n, Seed: 1, BatchSteps: 64}
}

// Validate reports the first field out of range.
func (c *ActorConfig) Validate() error {
	if _, err := NamesFor(c.Run); err != nil {
		return err
	}
	switch {
	case c.N < 1 || c.N > math.MaxUint16+1:
		return fmt.Errorf("apex: actors must be in [1, 65536], got %d", c.N)
	case c.Index < 0 || c.Index >= c.N:
		return fmt.Errorf("apex: actor index %d outside [0, %d)", c.Index, c.N)
	case c.BatchSteps < 1 || c.BatchSteps > maxWireSteps:
		return fmt.Errorf("apex: batch steps must be in [1, %d], got %d", maxWireSteps, c.BatchSteps)
	case c.Steps < 0:
		return fmt.Errorf("apex: actor steps must be ≥ 0, got %d", c.Steps)
	}
	return nil
}

// ActorResult summarises an actor's run.
type ActorResult struct {
	Steps            int64
	Sent, Dropped    int64
	Bytes            int64
	Episodes         int
	Version          int64
	BytesPerStep     float64 // wire bytes per step sent
	Elapsed          time.Duration
	ParamUpdates     int   // parameter versions taken
	MaxStaleness     int64 // largest staleness seen at a batch
	MeanReturnLast10 float64
}

// RunActor runs actor cfg.Index against the learner of cfg.Run on nc: it
// waits for the learner's run info and first parameters, then acts with
// ε_i-greedy exploration, sending its steps in batches with their initial
// priorities and taking the newest parameters between batches, until ctx
// is done or cfg.Steps steps were taken. While the learner or the server is
// away it keeps its parameters, counts the batches refused as dropped and
// backs off (up to 2 s between attempts), so it never grows its memory.
func RunActor(ctx context.Context, nc *nats.Conn, cfg ActorConfig, makeEnv func(name string) (env.Env, error), m *ActorMetrics) (ActorResult, error) {
	if err := cfg.Validate(); err != nil {
		return ActorResult{}, err
	}
	names, _ := NamesFor(cfg.Run)
	if m == nil {
		m, _ = NewActorMetrics(nil, cfg.Run, cfg.Index)
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return ActorResult{}, err
	}
	info, err := waitInfo(ctx, js, names, logf)
	if err != nil {
		return ActorResult{}, err
	}
	if cfg.Index >= info.Streams {
		return ActorResult{}, fmt.Errorf("apex: actor %d, but the learner has replay streams for actors 0…%d (start it with more)", cfg.Index, info.Streams-1)
	}
	acfg := info.Config
	e, err := makeEnv(acfg.Env)
	if err != nil {
		return ActorResult{}, err
	}
	e = env.Standard(e)
	spec := e.Spec()
	if !sameShape(spec.Observation.Shape, info.ObsShape) || spec.Actions.N != info.NumActions {
		return ActorResult{}, fmt.Errorf("apex: env %s has observations %v and %d actions, the learner's %v and %d",
			acfg.Env, spec.Observation.Shape, spec.Actions.N, info.ObsShape, info.NumActions)
	}
	if acfg.ClipReward != env.ClipNone {
		e = env.NewClipReward(e, acfg.ClipReward)
	}
	ref, err := net.Build[float32](info.ObsShape, agent.QNetwork(&acfg, info.NumActions), newRand(cfg.Seed, 3))
	if err != nil {
		return ActorResult{}, err
	}
	nets := &Nets{obsShape: info.ObsShape, Version: -1}
	p := &paramSource{js: js, names: names, ref: ref, logf: logf}
	for nets.Version < 0 {
		if ctx.Err() != nil {
			return ActorResult{}, ctx.Err()
		}
		if !p.refresh(ctx, nets) {
			sleep(ctx, 250*time.Millisecond)
		}
	}

	inc := cfg.Incarnation
	if inc == 0 {
		inc = uint64(time.Now().UnixNano())
	}
	eps := Epsilon(cfg.Index, cfg.N)
	m.Epsilon.Set(eps)
	res := ActorResult{}
	start := time.Now()
	backoff := time.Duration(0)
	var wire []byte
	subject := names.subject(cfg.Index)
	send := func(b *Batch) error {
		if backoff > 0 {
			sleep(ctx, backoff)
		}
		var err error
		if wire, err = b.AppendBinary(wire[:0]); err != nil {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = js.Publish(pctx, subject, wire)
		cancel()
		if err != nil {
			res.Dropped++
			m.Dropped.Inc()
			if backoff == 0 {
				logf("actor %d: batch %d dropped: %v", cfg.Index, b.Seq, err)
			}
			backoff = min(max(2*backoff, 20*time.Millisecond), 2*time.Second)
		} else {
			res.Sent++
			res.Bytes += int64(len(wire))
			m.Sent.Inc()
			m.Bytes.Add(float64(len(wire)))
			backoff = 0
		}
		// Between batches: the newest parameters, and how far behind the
		// batch's were.
		if latest, ok := p.latest(ctx); ok {
			s := max(0, latest-b.Version)
			res.MaxStaleness = max(res.MaxStaleness, s)
			m.Staleness.Set(float64(s))
			if latest != nets.Version && p.refresh(ctx, nets) {
				res.ParamUpdates++
				m.Version.Set(float64(nets.Version))
			}
		}
		return nil
	}
	adder := NewAdder(&acfg, info.ObsShape, info.NumActions, info.FrameSize, info.Storage, cfg.Index, inc, cfg.BatchSteps, send)
	adder.Nets = nets
	pol := policy.EpsilonGreedy{Epsilon: schedule.Constant(eps), NumActions: info.NumActions}
	seed := subSeed(cfg.Seed, uint64(cfg.Index)+1)
	a := agent.NewActor(e, pol, nets, adder, seed, subSeed(seed, 1))
	a.StartEpisode()
	m.Version.Set(float64(nets.Version))
	var returns []float64
	for t := int64(0); cfg.Steps == 0 || t < cfg.Steps; t++ {
		if t%64 == 0 && ctx.Err() != nil {
			break
		}
		ev := a.Step(t)
		res.Steps++
		m.Frames.Inc()
		if ev.Terminated || ev.Truncated {
			ee := a.EndEpisode(t+1, ev.Terminated)
			returns = append(returns, ee.Return)
			if len(returns) > 10 {
				returns = returns[1:]
			}
		}
		if err := adder.Err(); err != nil {
			return res, err
		}
	}
	adder.Abandon()
	res.Episodes, res.Version, res.Elapsed = a.Episodes(), nets.Version, time.Since(start)
	if res.Sent > 0 {
		res.BytesPerStep = float64(res.Bytes) / float64(res.Sent*int64(cfg.BatchSteps))
	}
	for _, r := range returns {
		res.MeanReturnLast10 += r / float64(len(returns))
	}
	return res, nil
}

// waitInfo waits for the learner's run info.
func waitInfo(ctx context.Context, js jetstream.JetStream, names Names, logf func(string, ...any)) (*RunInfo, error) {
	said := false
	for {
		kv, err := js.KeyValue(ctx, names.KV)
		if err == nil {
			var e jetstream.KeyValueEntry
			if e, err = kv.Get(ctx, "info"); err == nil {
				return decodeRunInfo(e.Value())
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("apex: waiting for the learner of run %s: %w", names.Run, ctx.Err())
		}
		if !said {
			logf("actor: waiting for the learner of run %s (%v)", names.Run, err)
			said = true
		}
		sleep(ctx, 250*time.Millisecond)
	}
}

// paramSource reads the learner's published parameters.
type paramSource struct {
	obs   jetstream.ObjectStore
	js    jetstream.JetStream
	names Names
	ref   *net.Sequential[float32]
	logf  func(string, ...any)
}

func (p *paramSource) store(ctx context.Context) bool {
	if p.obs != nil {
		return true
	}
	o, err := p.js.ObjectStore(ctx, p.names.Params)
	if err != nil {
		return false
	}
	p.obs = o
	return true
}

// latest returns the newest published version.
func (p *paramSource) latest(ctx context.Context) (int64, bool) {
	if !p.store(ctx) {
		return 0, false
	}
	gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := p.obs.GetInfo(gctx, "params")
	if err != nil {
		if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
			p.obs = nil
		}
		return 0, false
	}
	v, err := strconv.ParseInt(info.Metadata["version"], 10, 64)
	return v, err == nil
}

// refresh loads the newest parameters into nets, and says if it did.
func (p *paramSource) refresh(ctx context.Context, nets *Nets) bool {
	if !p.store(ctx) {
		return false
	}
	gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	blob, err := p.obs.GetBytes(gctx, "params")
	if err != nil {
		if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
			p.obs = nil
		}
		return false
	}
	online, target, v, err := decodeParams(blob, p.ref)
	if err != nil {
		p.logf("actor: %v", err)
		return false
	}
	nets.Online, nets.Target, nets.Version = online, target, v
	return true
}
