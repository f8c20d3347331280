package apex

import (
	"slices"
	"testing"
)

// TestMetricNames: every metric the doc comments of ActorMetrics and
// LearnerMetrics list is registered, and nothing else.
func TestMetricNames(t *testing.T) {
	want := []string{
		"deepq_apex_actor_batches_dropped_total", "deepq_apex_actor_batches_sent_total", "deepq_apex_actor_bytes_sent_total",
		"deepq_apex_actor_epsilon", "deepq_apex_actor_frames_total", "deepq_apex_actor_param_version", "deepq_apex_actor_staleness_versions",
		"deepq_apex_learner_batches_total", "deepq_apex_learner_eval_return_mean", "deepq_apex_learner_ingested_bytes_total",
		"deepq_apex_learner_ingested_transitions_total", "deepq_apex_learner_lost_batches_total", "deepq_apex_learner_param_version",
		"deepq_apex_learner_replay_capacity", "deepq_apex_learner_replay_size", "deepq_apex_learner_staleness_versions",
		"deepq_apex_learner_updates_total",
	}
	if got := MetricNames(); !slices.Equal(got, want) {
		t.Errorf("MetricNames() =\n%q\nwant\n%q", got, want)
	}
}
