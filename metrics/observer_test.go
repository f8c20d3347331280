package metrics

import (
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

func cartpoleSpec(t testing.TB) *env.Spec {
	t.Helper()
	e, err := env.Make("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	return e.Spec()
}

func newObserver(t testing.TB, runtime bool) (*Observer, *prometheus.Registry) {
	t.Helper()
	cfg := DefaultConfig("cartpole", cartpoleSpec(t))
	cfg.Run, cfg.Preset, cfg.Seed, cfg.Version, cfg.TotalSteps, cfg.Runtime = "test-run", "cartpole", 7, "v0.1.0", 1000, runtime
	reg := prometheus.NewRegistry()
	o, err := New(reg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o, reg
}

// sample finds the metric name{labels} in reg, failing if it is absent.
func sample(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	m, ok := lookup(t, reg, name, labels...)
	if !ok {
		t.Fatalf("%s%v not exported", name, labels)
	}
	return m
}

func lookup(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) (*dto.Metric, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.Label {
					found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
				}
				if !found {
					continue metric
				}
			}
			return m, true
		}
	}
	return nil, false
}

func gaugeValue(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	return sample(t, reg, name).GetGauge().GetValue()
}

// TestScriptedRun feeds a scripted sequence of events and checks every value.
func TestScriptedRun(t *testing.T) {
	o, reg := newObserver(t, false)

	// Before any event: counters at 0, info and plan set, gauges absent.
	if v := testutil.ToFloat64(o.envSteps); v != 0 {
		t.Fatalf("env steps before any step: %v", v)
	}
	for _, name := range []string{"deepq_loss", "deepq_epsilon", "deepq_eval_return_mean", "deepq_episode_return_last"} {
		if _, ok := lookup(t, reg, name); ok {
			t.Errorf("%s exported before it has a value", name)
		}
	}
	info := sample(t, reg, "deepq_run_info", "env", "cartpole", "run", "test-run", "preset", "cartpole", "seed", "7", "version", "v0.1.0")
	if info.GetGauge().GetValue() != 1 {
		t.Errorf("run_info = %v", info.GetGauge().GetValue())
	}
	if v := gaugeValue(t, reg, "deepq_env_steps_planned"); v != 1000 {
		t.Errorf("env_steps_planned = %v", v)
	}

	// Ten steps with ε falling, the replay filling to its capacity 8, and
	// step 64 timed... the trainer times steps 64, 128, ...: script two.
	for s := int64(1); s <= 10; s++ {
		e := agent.StepEvent{Step: s, Epsilon: 1 - 0.05*float64(s), ReplaySize: min(int(s), 8), ReplayCapacity: 8}
		if s == 4 || s == 8 {
			e.EnvDuration = time.Duration(s) * time.Microsecond
		}
		o.OnStep(&e)
	}
	// Three episodes: returns 10, 30, 500; the last truncated.
	o.OnEpisode(&agent.EpisodeEvent{Step: 10, Episode: 1, Return: 10, Length: 10, Terminated: true})
	o.OnEpisode(&agent.EpisodeEvent{Step: 40, Episode: 2, Return: 30, Length: 30, Terminated: true})
	o.OnEpisode(&agent.EpisodeEvent{Step: 540, Episode: 3, Return: 500, Length: 500})
	// Two gradient steps and a target update.
	o.OnUpdate(&agent.UpdateEvent{Step: 9, Updates: 1, Duration: 3 * time.Millisecond,
		UpdateStats: agent.UpdateStats{Loss: 0.5, MeanQ: 1, MaxQ: 2, TDError: 0.7, GradNorm: 3, DeadReLU: 0.25, LR: 1e-3}})
	o.OnUpdate(&agent.UpdateEvent{Step: 10, Updates: 2, Duration: 1 * time.Millisecond,
		UpdateStats: agent.UpdateStats{Loss: 0.25, MeanQ: 1.5, MaxQ: 4, TDError: 0.5, GradNorm: 2, DeadReLU: 0.125, LR: 9e-4}})
	o.OnTargetUpdate(10, 2)
	// Two evaluations, the second worse: best keeps the first.
	o.OnEval(&agent.EvalEvent{Step: 100, EvalResult: agent.EvalResult{Episodes: 5, Mean: 200, Std: 10}})
	o.OnEval(&agent.EvalEvent{Step: 200, EvalResult: agent.EvalResult{Episodes: 5, Mean: 150, Std: 40}, Final: true})

	counters := []struct {
		c    prometheus.Collector
		want float64
	}{
		{o.envSteps, 10}, {o.updates, 2}, {o.targetUpdates, 1}, {o.evals, 2}, {o.terminated, 2}, {o.truncated, 1},
	}
	for i, c := range counters {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("counter %d = %v, want %v", i, got, c.want)
		}
	}
	gauges := map[string]float64{
		"deepq_epsilon":                0.5,
		"deepq_replay_size":            8,
		"deepq_replay_capacity":        8,
		"deepq_episode_return_last":    500,
		"deepq_episode_return_mean100": 180,
		"deepq_episode_length_last":    500,
		"deepq_episode_length_mean100": 180,
		"deepq_loss":                   0.25,
		"deepq_q_value_mean":           1.5,
		"deepq_q_value_max":            4,
		"deepq_td_error_mean_abs":      0.5,
		"deepq_grad_norm":              2,
		"deepq_dead_relu_ratio":        0.125,
		"deepq_learning_rate":          9e-4,
		"deepq_eval_return_mean":       150,
		"deepq_eval_return_std":        40,
		"deepq_eval_return_best":       200,
	}
	for name, want := range gauges {
		if got := gaugeValue(t, reg, name); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// Histograms: CartPole's return buckets are 0, 25, ..., 500.
	h := sample(t, reg, "deepq_episode_return").GetHistogram()
	if h.GetSampleCount() != 3 || h.GetSampleSum() != 540 {
		t.Errorf("return histogram: count %d sum %v, want 3 and 540", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.Bucket {
		want := map[float64]uint64{0: 0, 25: 1, 50: 2, 475: 2, 500: 3}
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("return bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
	if h := sample(t, reg, "deepq_update_duration_seconds").GetHistogram(); h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-0.004) > 1e-12 {
		t.Errorf("update duration: count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
	if h := sample(t, reg, "deepq_env_step_duration_seconds").GetHistogram(); h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-12e-6) > 1e-15 {
		t.Errorf("env step duration: count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
	if c := sample(t, reg, "deepq_episodes_total", "outcome", "truncated").GetCounter().GetValue(); c != 1 {
		t.Errorf("truncated episodes %v", c)
	}
}

// TestEveryMetricLabelled: each deepq metric, the runtime ones too, carries
// env and run, and no other label but the few named ones.
func TestEveryMetricLabelled(t *testing.T) {
	o, reg := newObserver(t, true)
	feedAll(o)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"env": true, "run": true, "outcome": true, "preset": true, "seed": true, "version": true}
	var goSeen, processSeen bool
	for _, mf := range mfs {
		goSeen = goSeen || strings.HasPrefix(mf.GetName(), "go_")
		processSeen = processSeen || strings.HasPrefix(mf.GetName(), "process_")
		for _, m := range mf.Metric {
			got := map[string]string{}
			for _, lp := range m.Label {
				got[lp.GetName()] = lp.GetValue()
				if strings.HasPrefix(mf.GetName(), "deepq_") && !allowed[lp.GetName()] {
					t.Errorf("%s has label %s", mf.GetName(), lp.GetName())
				}
			}
			if got["env"] != "cartpole" || got["run"] != "test-run" {
				t.Errorf("%s labels %v lack env=cartpole, run=test-run", mf.GetName(), got)
			}
		}
	}
	if !goSeen || !processSeen {
		t.Errorf("runtime collectors: go_* %v, process_* %v", goSeen, processSeen)
	}
}

// feedAll sends one event of each kind, so that every gauge has a value.
func feedAll(o *Observer) {
	o.OnStep(&agent.StepEvent{Step: 64, Epsilon: 0.5, ReplaySize: 64, ReplayCapacity: 100, EnvDuration: time.Microsecond})
	o.OnEpisode(&agent.EpisodeEvent{Step: 64, Episode: 1, Return: 64, Length: 64, Terminated: true})
	o.OnUpdate(&agent.UpdateEvent{Step: 64, Updates: 1, Duration: time.Millisecond, UpdateStats: agent.UpdateStats{Loss: 1, LR: 1e-3}})
	o.OnTargetUpdate(64, 1)
	o.OnEval(&agent.EvalEvent{Step: 64, EvalResult: agent.EvalResult{Episodes: 1, Mean: 9}})
}

// TestLint: no promlint problems, with every metric present.
func TestLint(t *testing.T) {
	o, reg := newObserver(t, false)
	feedAll(o)
	problems, err := testutil.CollectAndLint(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		got = append(got, mf.GetName())
	}
	if !slices.Equal(got, MetricNames()) {
		t.Errorf("exported %v,\nMetricNames lists %v", got, MetricNames())
	}
}

// TestPublishing: steps are published every PublishInterval steps and at
// every other event, so a scrape lags by less than PublishInterval steps.
func TestPublishing(t *testing.T) {
	o, reg := newObserver(t, false)
	step := func(n int) {
		for range n {
			s := int64(o.steps + 1)
			o.OnStep(&agent.StepEvent{Step: s, Epsilon: 1 / float64(s), ReplaySize: int(s), ReplayCapacity: 1000})
		}
	}
	if _, ok := lookup(t, reg, "deepq_epsilon"); ok {
		t.Fatal("ε exported before any step")
	}
	step(PublishInterval - 1)
	if v := testutil.ToFloat64(o.envSteps); v != 0 {
		t.Fatalf("after %d steps: %v published", PublishInterval-1, v)
	}
	step(1)
	if v, eps := testutil.ToFloat64(o.envSteps), gaugeValue(t, reg, "deepq_epsilon"); v != PublishInterval || eps != 1.0/PublishInterval {
		t.Fatalf("after %d steps: %v published, ε %v", PublishInterval, v, eps)
	}
	step(10)
	for name, event := range map[string]func(){
		"episode":       func() { o.OnEpisode(&agent.EpisodeEvent{Return: 1, Length: 1}) },
		"update":        func() { o.OnUpdate(&agent.UpdateEvent{}) },
		"target update": func() { o.OnTargetUpdate(0, 0) },
		"evaluation":    func() { o.OnEval(&agent.EvalEvent{}) },
		"checkpoint":    func() { o.BeforeCheckpoint(0) },
	} {
		n := o.steps
		event()
		if v, size := testutil.ToFloat64(o.envSteps), gaugeValue(t, reg, "deepq_replay_size"); v != float64(n) || size != float64(n) {
			t.Fatalf("after %d steps and an %s: %v steps published, replay size %v", n, name, v, size)
		}
		step(3)
	}
}

// TestMean100 checks the window: after 150 episodes with returns 0..149 the
// mean is that of 50..149.
func TestMean100(t *testing.T) {
	o, reg := newObserver(t, false)
	for i := range 150 {
		o.OnEpisode(&agent.EpisodeEvent{Episode: i + 1, Return: float64(i), Length: 2 * i, Terminated: true})
	}
	if got := gaugeValue(t, reg, "deepq_episode_return_mean100"); got != 99.5 {
		t.Errorf("mean100 return %v, want 99.5", got)
	}
	if got := gaugeValue(t, reg, "deepq_episode_length_mean100"); got != 199 {
		t.Errorf("mean100 length %v, want 199", got)
	}
	// Returns that do not add exactly: the mean stays within rounding of the
	// window's true mean however many episodes pass.
	for i := range 100_037 {
		o.OnEpisode(&agent.EpisodeEvent{Return: 0.1 * float64(i%1000), Length: 1})
	}
	want := 0.0
	for i := 100_037 - 100; i < 100_037; i++ {
		want += 0.1 * float64(i%1000)
	}
	want /= 100
	if got := gaugeValue(t, reg, "deepq_episode_return_mean100"); math.Abs(got-want) > 1e-9 {
		t.Errorf("mean100 after 100k episodes %v, want %v", got, want)
	}
}

// TestNonFiniteLoss: a NaN or infinite loss is exported as such (the
// DeepqLossNotFinite alert relies on it), not taken for "unset".
func TestNonFiniteLoss(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Float64frombits(unsetBits), math.Inf(1)} {
		o, reg := newObserver(t, false)
		o.OnUpdate(&agent.UpdateEvent{UpdateStats: agent.UpdateStats{Loss: v}})
		got, ok := lookup(t, reg, "deepq_loss")
		if !ok {
			t.Fatalf("loss %v: not exported", v)
		}
		if g := got.GetGauge().GetValue(); math.IsNaN(v) != math.IsNaN(g) || !math.IsNaN(v) && g != v {
			t.Errorf("loss %v exported as %v", v, g)
		}
	}
}

// TestRegistrationErrors: a second observer for the same run is an error,
// not a panic; one for another run shares the registry.
func TestRegistrationErrors(t *testing.T) {
	o, reg := newObserver(t, true)
	cfg := o.Config()
	if _, err := New(reg, cfg); err == nil {
		t.Fatal("registering the same run twice: no error")
	}
	cfg.Run = "other-run"
	cfg.Runtime = false
	if _, err := New(reg, cfg); err != nil {
		t.Fatalf("second run on one registry: %v", err)
	}
	bad := cfg
	bad.Env = " "
	if _, err := New(prometheus.NewRegistry(), bad); err == nil || !strings.Contains(err.Error(), "Env") {
		t.Fatalf("empty env: %v", err)
	}
}

// TestConcurrentScrapes records from one goroutine while others gather, as
// a trainer and Prometheus do; run with -race.
func TestConcurrentScrapes(t *testing.T) {
	o, reg := newObserver(t, true)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := reg.Gather(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	const steps = 20000
	for s := int64(1); s <= steps; s++ {
		e := agent.StepEvent{Step: s, Epsilon: 0.1, ReplaySize: int(s), ReplayCapacity: steps}
		if s%agent.StepTimingInterval == 0 {
			e.EnvDuration = time.Microsecond
		}
		o.OnStep(&e)
		if s%100 == 0 {
			o.OnEpisode(&agent.EpisodeEvent{Step: s, Episode: int(s / 100), Return: 100, Length: 100, Terminated: true})
			o.OnUpdate(&agent.UpdateEvent{Step: s, Updates: s / 100, Duration: time.Millisecond, UpdateStats: agent.UpdateStats{Loss: 1}})
		}
	}
	close(stop)
	wg.Wait()
	if v := testutil.ToFloat64(o.envSteps); v != steps {
		t.Fatalf("env steps %v, want %d", v, steps)
	}
	h := sample(t, reg, "deepq_env_step_duration_seconds").GetHistogram()
	if h.GetSampleCount() != steps/agent.StepTimingInterval {
		t.Fatalf("timed steps %d", h.GetSampleCount())
	}
}

// TestWithTrainer attaches an observer to a short real run and checks the
// counters against the trainer's result.
func TestWithTrainer(t *testing.T) {
	o, reg := newObserver(t, false)
	cfg, err := agent.Preset("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TotalSteps, cfg.LearningStarts, cfg.TrainFreq, cfg.GradientSteps = 1500, 500, 16, 2
	cfg.Hidden, cfg.EvalEvery, cfg.EvalEpisodes, cfg.FinalEvalEpisodes, cfg.TargetUpdateInterval = []int{16}, 500, 2, 3, 10
	open := &openEpisode{}
	tr, err := agent.NewTrainer(cfg, o, open)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(o.envSteps); v != float64(res.Steps) {
		t.Errorf("env steps %v, want %d", v, res.Steps)
	}
	if v := testutil.ToFloat64(o.updates); v != float64(res.Updates) {
		t.Errorf("updates %v, want %d", v, res.Updates)
	}
	if v := testutil.ToFloat64(o.targetUpdates); v != float64(res.Updates/10) {
		t.Errorf("target updates %v, want %d", v, res.Updates/10)
	}
	if v := testutil.ToFloat64(o.terminated) + testutil.ToFloat64(o.truncated); v != float64(res.Episodes) {
		t.Errorf("episodes %v, want %d", v, res.Episodes)
	}
	if v := testutil.ToFloat64(o.evals); v != 3 { // at 500 and 1000, and the final one
		t.Errorf("evaluations %v, want 3", v)
	}
	if got := gaugeValue(t, reg, "deepq_eval_return_mean"); got != res.Final.Mean {
		t.Errorf("eval mean %v, want the final %v", got, res.Final.Mean)
	}
	// The replay (larger than the run) holds every step's n-step transition
	// but those of the open episode's last n − 1 steps, whose windows are
	// not complete.
	if cfg.NStep < 2 || open.steps < cfg.NStep {
		t.Fatalf("n-step %d with %d steps in the open episode: the test needs n ≥ 2 and a full window to wait for", cfg.NStep, open.steps)
	}
	if got, want := gaugeValue(t, reg, "deepq_replay_size"), res.Steps-int64(min(open.steps, cfg.NStep-1)); got != float64(want) {
		t.Errorf("replay size %v, want %d steps less %d waiting for their %d-step windows", got, res.Steps, min(open.steps, cfg.NStep-1), cfg.NStep)
	}
	names := MetricNames()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if !slices.Contains(names, mf.GetName()) {
			t.Errorf("%s is not in MetricNames", mf.GetName())
		}
	}
	if len(mfs) != len(names) {
		t.Errorf("%d metric families after a run, MetricNames lists %d", len(mfs), len(names))
	}
}

// openEpisode counts the steps of the open training episode.
type openEpisode struct {
	agent.NopObserver
	steps int
}

func (o *openEpisode) OnStep(e *agent.StepEvent) {
	o.steps++
	if e.Terminated || e.Truncated {
		o.steps = 0
	}
}

// TestREADMETable: the README's metrics table lists exactly the metrics an
// Observer exports.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(deepq_[a-z0-9_]+)` \\|").FindAllStringSubmatch(string(b), -1) {
		listed = append(listed, m[1])
	}
	slices.Sort(listed)
	if want := MetricNames(); !slices.Equal(listed, want) {
		t.Errorf("README lists %v,\nthe exporter has %v", listed, want)
	}
}
