package apex

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// ActorMetrics are an actor's Prometheus metrics, labelled run and actor:
//
//	deepq_apex_actor_frames_total            env steps taken
//	deepq_apex_actor_batches_sent_total      batches the stream accepted
//	deepq_apex_actor_batches_dropped_total   batches refused (backlog full, server away)
//	deepq_apex_actor_bytes_sent_total        wire bytes of the accepted batches
//	deepq_apex_actor_param_version           version of the parameters acted with
//	deepq_apex_actor_staleness_versions      newest published version − the one acted with
//	deepq_apex_actor_epsilon                 the actor's ε
type ActorMetrics struct {
	Frames, Sent, Dropped, Bytes prometheus.Counter
	Version, Staleness, Epsilon  prometheus.Gauge
}

// NewActorMetrics registers an actor's metrics with reg (nil: none are
// registered, the values are kept all the same).
func NewActorMetrics(reg prometheus.Registerer, run string, actor int) (*ActorMetrics, error) {
	l := prometheus.Labels{"run": run, "actor": strconv.Itoa(actor)}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "deepq_apex_actor_" + name, Help: help, ConstLabels: l})
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "deepq_apex_actor_" + name, Help: help, ConstLabels: l})
	}
	m := &ActorMetrics{
		Frames:    c("frames_total", "Environment steps the actor took."),
		Sent:      c("batches_sent_total", "Experience batches the stream accepted."),
		Dropped:   c("batches_dropped_total", "Experience batches refused: the backlog was full or NATS unreachable."),
		Bytes:     c("bytes_sent_total", "Wire bytes of the experience batches the stream accepted."),
		Version:   g("param_version", "Version (learner gradient steps) of the parameters the actor acts with."),
		Staleness: g("staleness_versions", "Newest published parameter version minus the one the actor acted with, at its last batch."),
		Epsilon:   g("epsilon", "The actor's exploration rate ε_i = 0.4^(1 + 7i/(N−1))."),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Frames, m.Sent, m.Dropped, m.Bytes, m.Version, m.Staleness, m.Epsilon} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// LearnerMetrics are the learner's Prometheus metrics, labelled run:
//
//	deepq_apex_learner_updates_total                gradient steps
//	deepq_apex_learner_ingested_transitions_total   steps added to the replay
//	deepq_apex_learner_ingested_bytes_total         their wire bytes
//	deepq_apex_learner_batches_total{outcome}       batches: ingested, duplicate, rejected
//	deepq_apex_learner_lost_batches_total           gaps in an actor's sequence (dropped or lost batches)
//	deepq_apex_learner_replay_size, _capacity       transitions that can be sampled; slots
//	deepq_apex_learner_param_version                newest published version
//	deepq_apex_learner_staleness_versions           histogram: learner version − batch's version at ingest
//	deepq_apex_learner_eval_return_mean             last greedy evaluation
type LearnerMetrics struct {
	Updates, Ingested, Bytes, Lost prometheus.Counter
	Batches                        *prometheus.CounterVec
	ReplaySize, ReplayCap, Version prometheus.Gauge
	EvalMean                       prometheus.Gauge
	Staleness                      prometheus.Histogram
}

// NewLearnerMetrics registers the learner's metrics with reg (nil: none are
// registered).
func NewLearnerMetrics(reg prometheus.Registerer, run string) (*LearnerMetrics, error) {
	l := prometheus.Labels{"run": run}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "deepq_apex_learner_" + name, Help: help, ConstLabels: l})
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "deepq_apex_learner_" + name, Help: help, ConstLabels: l})
	}
	m := &LearnerMetrics{
		Updates:  c("updates_total", "Gradient steps the learner took."),
		Ingested: c("ingested_transitions_total", "Steps from actors added to the replay."),
		Bytes:    c("ingested_bytes_total", "Wire bytes of the experience batches ingested."),
		Lost:     c("lost_batches_total", "Gaps in an actor's batch sequence: batches dropped or lost on the way."),
		Batches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "deepq_apex_learner_batches_total",
			Help: "Experience batches received, by outcome: ingested, duplicate (redelivered) or rejected (malformed).", ConstLabels: l},
			[]string{"outcome"}),
		ReplaySize: g("replay_size", "Transitions in the replay that can be sampled."),
		ReplayCap:  g("replay_capacity", "Replay capacity in observation slots."),
		Version:    g("param_version", "Version (gradient steps) of the newest published parameters."),
		EvalMean:   g("eval_return_mean", "Mean return of the last greedy evaluation."),
		Staleness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "deepq_apex_learner_staleness_versions",
			Help:    "Learner version minus the parameter version an ingested batch was acted with.",
			Buckets: []float64{0, 16, 64, 256, 1024, 4096, 16384}, ConstLabels: l}),
	}
	for _, o := range []string{"ingested", "duplicate", "rejected"} {
		m.Batches.WithLabelValues(o)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Updates, m.Ingested, m.Bytes, m.Lost, m.Batches, m.ReplaySize, m.ReplayCap, m.Version, m.EvalMean, m.Staleness} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// MetricNames lists the names of the metric families an actor and the
// learner export, sorted (histograms by their base name), as they are
// registered: a dashboard test checks its queries against them.
func MetricNames() []string {
	reg := prometheus.NewRegistry()
	if _, err := NewActorMetrics(reg, "names", 0); err != nil {
		panic(fmt.Sprintf("apex: registering the actor's metrics: %v", err))
	}
	if _, err := NewLearnerMetrics(reg, "names"); err != nil {
		panic(fmt.Sprintf("apex: registering the learner's metrics: %v", err))
	}
	fams, err := reg.Gather()
	if err != nil {
		panic(fmt.Sprintf("apex: gathering the metrics: %v", err))
	}
	names := make([]string, 0, len(fams))
	for _, f := range fams {
		names = append(names, f.GetName())
	}
	sort.Strings(names)
	return names
}
