package metrics

import (
	"math"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/deepq/deepq/agent"
)

// Namespace prefixes every metric an Observer exports.
const Namespace = "deepq"

// RecentEpisodes is the window of the deepq_episode_*_mean100 gauges.
const RecentEpisodes = 100

// Observer is an agent.Observer that records a training run as Prometheus
// metrics. Its On... methods must be called from one goroutine (the
// trainer's); scrapes read it concurrently. Everything a scrape reads is kept
// in atomics (client_golang's lock-free counters and histograms, and this
// package's one-word gauges), so a scrape never holds a lock the learner
// waits on. Per step it only updates plain fields, publishing them every
// PublishInterval steps (see OnStep).
//
// Gauges appear only once they have a value: the loss before the first
// gradient step or the evaluation mean before the first evaluation are
// absent, not 0.
type Observer struct {
	cfg Config

	envSteps, updates, targetUpdates, evals prometheus.Counter
	terminated, truncated                   prometheus.Counter
	episodes                                *prometheus.CounterVec
	returns, lengths                        prometheus.Histogram
	updateDur, envStepDur                   prometheus.Histogram
	info, planned                           prometheus.Gauge
	gauges                                  [numGauges]gauge

	// Used by the training goroutine only.
	recentRet, recentLen [RecentEpisodes]float64
	nEpisodes            int
	sumRet, sumLen       float64 // sums over the window
	best                 float64
	steps, published     int64 // env steps seen, and published to envSteps
	epsilon              float64
	replaySize, capacity int
}

var _ agent.CheckpointObserver = (*Observer)(nil)
var _ prometheus.Collector = (*Observer)(nil)

// The gauges an Observer sets, indexed into Observer.gauges.
const (
	gReturnLast = iota
	gReturnMean
	gLengthLast
	gLengthMean
	gLoss
	gQMean
	gQMax
	gTDError
	gGradNorm
	gDeadReLU
	gLearningRate
	gEpsilon
	gReplaySize
	gReplayCapacity
	gEvalMean
	gEvalStd
	gEvalBest
	numGauges
)

var gaugeSpecs = [numGauges]struct{ name, help string }{
	gReturnLast:     {"episode_return_last", "Return of the last finished training episode."},
	gReturnMean:     {"episode_return_mean100", "Mean return of the last 100 training episodes (fewer at the start)."},
	gLengthLast:     {"episode_length_last", "Length in steps of the last finished training episode."},
	gLengthMean:     {"episode_length_mean100", "Mean length in steps of the last 100 training episodes (fewer at the start)."},
	gLoss:           {"loss", "TD loss of the last gradient step: the batch mean of ℓ(Q(s,a) − y)."},
	gQMean:          {"q_value_mean", "Mean of Q(s,a) over the last gradient step's batch, for the actions taken."},
	gQMax:           {"q_value_max", "Max of Q(s,a) over the last gradient step's batch, for the actions taken."},
	gTDError:        {"td_error_mean_abs", "Mean |Q(s,a) − y| over the last gradient step's batch."},
	gGradNorm:       {"grad_norm", "Global L2 norm of the last gradient step's gradient, before clipping."},
	gDeadReLU:       {"dead_relu_ratio", "Fraction of hidden ReLU units that output 0 for the whole of the last batch."},
	gLearningRate:   {"learning_rate", "Learning rate of the last gradient step."},
	gEpsilon:        {"epsilon", "Exploration rate ε of the last environment step."},
	gReplaySize:     {"replay_size", "Transitions held in the replay buffer."},
	gReplayCapacity: {"replay_capacity", "Most transitions the replay buffer holds."},
	gEvalMean:       {"eval_return_mean", "Mean return of the last greedy evaluation."},
	gEvalStd:        {"eval_return_std", "Standard deviation of the returns of the last greedy evaluation."},
	gEvalBest:       {"eval_return_best", "Best mean return of any greedy evaluation of this run."},
}

// New returns an Observer whose metrics are registered with reg, labelled
// with cfg's env and run, and, if cfg.Runtime, registers the Go runtime and
// process collectors with the same labels. It returns an error if cfg is
// invalid or a metric is already registered.
func New(reg prometheus.Registerer, cfg Config) (*Observer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.ReturnBuckets = append([]float64(nil), cfg.ReturnBuckets...)
	cfg.LengthBuckets = append([]float64(nil), cfg.LengthBuckets...)
	labels := prometheus.Labels{"env": cfg.Env, "run": cfg.Run}
	o := &Observer{cfg: cfg, best: math.Inf(-1)}

	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help, ConstLabels: labels})
	}
	histogram := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, ConstLabels: labels, Buckets: buckets})
	}
	o.envSteps = counter("env_steps_total", "Environment steps taken in training (not counting evaluation).")
	o.updates = counter("updates_total", "Gradient steps taken.")
	o.targetUpdates = counter("target_updates_total", "Target-network updates (hard copies or Polyak steps).")
	o.evals = counter("evaluations_total", "Greedy evaluations run, the final one included.")
	o.episodes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "episodes_total", ConstLabels: labels,
		Help: "Training episodes finished, by how they ended: terminated (a terminal state) or truncated (the time limit).",
	}, []string{"outcome"})
	o.terminated = o.episodes.WithLabelValues("terminated")
	o.truncated = o.episodes.WithLabelValues("truncated")
	o.returns = histogram("episode_return", "Returns of finished training episodes.", cfg.ReturnBuckets)
	o.lengths = histogram("episode_length", "Lengths in steps of finished training episodes.", cfg.LengthBuckets)
	o.updateDur = histogram("update_duration_seconds",
		"Wall time of one gradient step: sampling the batch, forward and backward passes, optimizer step.", decades(1e-5, 10))
	o.envStepDur = histogram("env_step_duration_seconds",
		"Wall time of one environment step (Env.Step), timed on one step in 64.", decades(1e-8, 0.1))

	infoLabels := prometheus.Labels{"preset": orDefault(cfg.Preset, "none"), "seed": strconv.FormatUint(cfg.Seed, 10),
		"version": orDefault(cfg.Version, "unknown")}
	for k, v := range labels {
		infoLabels[k] = v
	}
	o.info = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "run_info", ConstLabels: infoLabels,
		Help: "Constant 1, labelled with the run's env, run name, hyperparameter preset, seed and deepq version."})
	o.info.Set(1)
	if cfg.TotalSteps > 0 {
		o.planned = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "env_steps_planned", ConstLabels: labels,
			Help: "Environment steps the run is configured to take."})
		o.planned.Set(float64(cfg.TotalSteps))
	}
	for i, s := range gaugeSpecs {
		o.gauges[i].init(prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", s.name), s.help, nil, labels))
	}

	if err := reg.Register(o); err != nil {
		return nil, err
	}
	if cfg.Runtime {
		wrapped := prometheus.WrapRegistererWith(labels, reg)
		for _, c := range []prometheus.Collector{
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		} {
			if err := wrapped.Register(c); err != nil {
				reg.Unregister(o)
				return nil, err
			}
		}
	}
	return o, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// MetricNames lists the names of the metric families an Observer exports,
// sorted, leaving out the runtime collectors' go_* and process_*.
func MetricNames() []string {
	names := []string{"env_steps_total", "updates_total", "target_updates_total", "evaluations_total", "episodes_total",
		"episode_return", "episode_length", "update_duration_seconds", "env_step_duration_seconds",
		"run_info", "env_steps_planned"}
	for _, s := range gaugeSpecs {
		names = append(names, s.name)
	}
	for i := range names {
		names[i] = Namespace + "_" + names[i]
	}
	slices.Sort(names)
	return names
}

// Config returns the observer's configuration.
func (o *Observer) Config() Config { return o.cfg }

func (o *Observer) collectors() []prometheus.Collector {
	c := []prometheus.Collector{o.envSteps, o.updates, o.targetUpdates, o.evals, o.episodes,
		o.returns, o.lengths, o.updateDur, o.envStepDur, o.info}
	if o.planned != nil {
		c = append(c, o.planned)
	}
	return c
}

// Describe implements prometheus.Collector.
func (o *Observer) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range o.collectors() {
		c.Describe(ch)
	}
	for i := range o.gauges {
		ch <- o.gauges[i].desc
	}
}

// Collect implements prometheus.Collector. It may run concurrently with the
// On... methods.
func (o *Observer) Collect(ch chan<- prometheus.Metric) {
	for _, c := range o.collectors() {
		c.Collect(ch)
	}
	for i := range o.gauges {
		if v, ok := o.gauges[i].get(); ok {
			ch <- prometheus.MustNewConstMetric(o.gauges[i].desc, prometheus.GaugeValue, v)
		}
	}
}

// OnStep counts the step and records ε, the replay's fill and, on timed
// steps, the env-step duration. To keep the per-step cost to a few plain
// stores it publishes these in batches: every PublishInterval steps and at
// every other event (episode end, gradient step, evaluation, checkpoint), so
// a scrape sees them at most PublishInterval−1 steps late, and exact after the
// final evaluation or the checkpoint an interrupted run writes.
func (o *Observer) OnStep(e *agent.StepEvent) {
	o.steps++
	o.epsilon, o.replaySize, o.capacity = e.Epsilon, e.ReplaySize, e.ReplayCapacity
	if e.EnvDuration > 0 {
		o.envStepDur.Observe(e.EnvDuration.Seconds())
	}
	if o.steps-o.published >= PublishInterval {
		o.publish()
	}
}

// BeforeCheckpoint publishes the step count, ε and the replay's fill, so that
// they are exact when a run stops with a checkpoint (agent.CheckpointObserver).
func (o *Observer) BeforeCheckpoint(int64) { o.publish() }

// PublishInterval is the most environment steps an Observer lets pass before
// it publishes the step count, ε and the replay's fill.
const PublishInterval = 64

// publish makes the step counter, ε and the replay gauges current.
func (o *Observer) publish() {
	if o.steps == o.published {
		return
	}
	o.envSteps.Add(float64(o.steps - o.published))
	o.published = o.steps
	o.gauges[gEpsilon].set(o.epsilon)
	o.gauges[gReplaySize].set(float64(o.replaySize))
	o.gauges[gReplayCapacity].set(float64(o.capacity))
}

// OnEpisode counts the episode by outcome and records its return and length
// in the histograms and the last/mean100 gauges.
func (o *Observer) OnEpisode(e *agent.EpisodeEvent) {
	o.publish()
	if e.Terminated {
		o.terminated.Inc()
	} else {
		o.truncated.Inc()
	}
	o.returns.Observe(e.Return)
	o.lengths.Observe(float64(e.Length))
	// Window sums updated in O(1), and recomputed exactly each time the
	// ring wraps so that rounding errors cannot pile up over a long run.
	i := o.nEpisodes % RecentEpisodes
	if o.nEpisodes >= RecentEpisodes {
		o.sumRet -= o.recentRet[i]
		o.sumLen -= o.recentLen[i]
	}
	o.recentRet[i], o.recentLen[i] = e.Return, float64(e.Length)
	o.sumRet += e.Return
	o.sumLen += float64(e.Length)
	o.nEpisodes++
	n := min(o.nEpisodes, RecentEpisodes)
	if i == RecentEpisodes-1 {
		o.sumRet, o.sumLen = 0, 0
		for j := range n {
			o.sumRet += o.recentRet[j]
			o.sumLen += o.recentLen[j]
		}
	}
	o.gauges[gReturnLast].set(e.Return)
	o.gauges[gLengthLast].set(float64(e.Length))
	o.gauges[gReturnMean].set(o.sumRet / float64(n))
	o.gauges[gLengthMean].set(o.sumLen / float64(n))
}

// OnUpdate counts the gradient step and records its statistics and duration.
func (o *Observer) OnUpdate(e *agent.UpdateEvent) {
	o.publish()
	o.updates.Inc()
	g := &o.gauges
	g[gLoss].set(e.Loss)
	g[gQMean].set(e.MeanQ)
	g[gQMax].set(e.MaxQ)
	g[gTDError].set(e.TDError)
	g[gGradNorm].set(e.GradNorm)
	g[gDeadReLU].set(e.DeadReLU)
	g[gLearningRate].set(e.LR)
	if e.Duration > 0 {
		o.updateDur.Observe(e.Duration.Seconds())
	}
}

// OnTargetUpdate counts the target-network update.
func (o *Observer) OnTargetUpdate(step, updates int64) { o.publish(); o.targetUpdates.Inc() }

// OnEval counts the evaluation and records its mean and standard deviation
// and the best mean so far.
func (o *Observer) OnEval(e *agent.EvalEvent) {
	o.publish()
	o.evals.Inc()
	o.gauges[gEvalMean].set(e.Mean)
	o.gauges[gEvalStd].set(e.Std)
	if e.Mean > o.best {
		o.best = e.Mean
		o.gauges[gEvalBest].set(e.Mean)
	}
}

// gauge is a float64 gauge in one atomic word that a scrape reports only once
// it has been set. The unset state is a NaN with a payload that arithmetic
// never produces, so set stays a single atomic store.
type gauge struct {
	desc *prometheus.Desc
	bits atomic.Uint64
}

const unsetBits = 0x7ff8_dead_beef_0001

func (g *gauge) init(d *prometheus.Desc) { g.desc = d; g.bits.Store(unsetBits) }

func (g *gauge) set(v float64) {
	b := math.Float64bits(v)
	if b == unsetBits { // keep a NaN with this payload a NaN, not "unset"
		b = math.Float64bits(math.NaN())
	}
	g.bits.Store(b)
}

func (g *gauge) get() (float64, bool) {
	b := g.bits.Load()
	return math.Float64frombits(b), b != unsetBits
}
