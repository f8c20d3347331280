package apex

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/deepq/deepq/env"
)

// learnerRun runs l in a goroutine; wait returns its result.
func learnerRun(ctx context.Context, t *testing.T, l *Learner, url string) (wait func() (Result, error)) {
	var res Result
	var err error
	done := make(chan struct{})
	nc := connect(t, url, "learner")
	go func() {
		defer close(done)
		res, err = l.Run(ctx, nc)
	}()
	return func() (Result, error) { <-done; return res, err }
}

// actorsRun runs n actors with metrics in goroutines until ctx is done.
func actorsRun(ctx context.Context, t *testing.T, url, run string, n int) ([]*ActorMetrics, func() error) {
	ms := make([]*ActorMetrics, n)
	errs := make([]error, n)
	done := make(chan struct{}, n)
	for i := range n {
		ms[i], _ = NewActorMetrics(nil, run, i)
		nc := connect(t, url, "actor")
		go func() {
			defer func() { done <- struct{}{} }()
			cfg := DefaultActorConfig(i, n)
			cfg.Run, cfg.Seed = run, 3
			_, err := RunActor(ctx, nc, cfg, env.Make, ms[i])
			if ctx.Err() == nil {
				errs[i] = err
			}
		}()
	}
	return ms, func() error {
		for range n {
			<-done
		}
		return errors.Join(errs...)
	}
}

// TestServerRestart: the NATS server (memory storage: its stream and buckets
// are lost) stops and starts again on the same port while a learner and two
// actors run. The actors count the batches refused meanwhile as dropped and
// go on; the learner sets the stream and buckets up again, publishes its run
// info and parameters, and ingests until its total.
func TestServerRestart(t *testing.T) {
	s, err := StartServer(ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	port := s.Port()
	url := s.ClientURL()
	cfg := DefaultLearnerConfig(smallConfig(8000))
	cfg.Run, cfg.Streams = "restart", 2
	cfg.Agent.Hidden = []int{32}
	lm, _ := NewLearnerMetrics(nil, cfg.Run)
	l, err := NewLearner(makeCartPole, cfg, lm)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wait := learnerRun(ctx, t, l, url)
	actx, acancel := context.WithCancel(ctx)
	am, awaitActors := actorsRun(actx, t, url, cfg.Run, 2)
	waitFor(t, time.Minute, "2,000 steps ingested", func() bool { return testutil.ToFloat64(lm.Ingested) >= 2000 })
	s.Stop()
	before := testutil.ToFloat64(lm.Ingested)
	time.Sleep(2 * time.Second)
	s2, err := StartServer(ServerConfig{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	res, err := wait()
	acancel()
	if aerr := awaitActors(); aerr != nil {
		t.Fatal(aerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	dropped := testutil.ToFloat64(am[0].Dropped) + testutil.ToFloat64(am[1].Dropped)
	t.Logf("ingested %.0f before the restart, %d in all; %d updates; actors dropped %.0f batches, learner counted %.0f lost",
		before, res.Ingested, res.Updates, dropped, testutil.ToFloat64(lm.Lost))
	if res.Ingested < 8000 || float64(res.Ingested) <= before {
		t.Errorf("ingested %d steps, %.0f before the restart: the learner did not go on", res.Ingested, before)
	}
	// What the restart loses is counted: batches the actors could not send
	// (dropped), or batches the memory stream lost with it (the learner sees
	// gaps in the actors' sequence numbers). Whether anything is lost at all
	// depends on timing: when the learner had drained the stream and the
	// actors waited on its replay ratio for the whole downtime, nothing was
	// (CI saw that once), so this test only reports the counts; the counting
	// itself is asserted by TestSlowLearner (batches the actors dropped and
	// the gaps the learner counted).
}

// TestSlowLearner: a learner that takes 8 gradient steps per step ingested
// falls behind two actors. The stream never holds more than its bound of 8
// batches, the actors count the refused batches as dropped and back off,
// and the learner keeps its replay ratio and counts the gaps.
func TestSlowLearner(t *testing.T) {
	s := startServer(t)
	url := s.ClientURL()
	cfg := DefaultLearnerConfig(smallConfig(3000))
	cfg.Run, cfg.Streams, cfg.ReplayRatio = "slow", 2, 8
	cfg.Agent.Hidden = []int{32}
	cfg.Backlog = Backlog{MaxMsgs: 8, MaxBytes: 1 << 20, Memory: true}
	lm, _ := NewLearnerMetrics(nil, cfg.Run)
	l, err := NewLearner(makeCartPole, cfg, lm)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wait := learnerRun(ctx, t, l, url)
	actx, acancel := context.WithCancel(ctx)
	am, awaitActors := actorsRun(actx, t, url, cfg.Run, 2)
	// Watch the stream's size while the learner works.
	js, _ := jetstream.New(connect(t, url, "watcher"))
	var most uint64
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if st, err := js.Stream(ctx, "DEEPQ_slow"); err == nil {
				if info, err := st.Info(ctx); err == nil {
					most = max(most, info.State.Msgs)
				}
			}
		}
	}()
	res, err := wait()
	close(stop)
	<-watched
	acancel()
	if aerr := awaitActors(); aerr != nil {
		t.Fatal(aerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	dropped := testutil.ToFloat64(am[0].Dropped) + testutil.ToFloat64(am[1].Dropped)
	sent := testutil.ToFloat64(am[0].Sent) + testutil.ToFloat64(am[1].Sent)
	t.Logf("%d ingested, %d updates; actors sent %.0f and dropped %.0f batches; the stream held at most %d; learner counted %.0f lost",
		res.Ingested, res.Updates, sent, dropped, most, testutil.ToFloat64(lm.Lost))
	if most > 8 {
		t.Errorf("the stream held %d batches, more than its bound of 8", most)
	}
	if dropped == 0 || testutil.ToFloat64(lm.Lost) == 0 {
		t.Errorf("actors dropped %.0f batches, the learner counted %.0f lost: want both > 0", dropped, testutil.ToFloat64(lm.Lost))
	}
	if want := int64(8 * float64(res.Ingested-500)); res.Updates < want-16 || res.Updates > want+1 {
		t.Errorf("%d updates for %d steps ingested, want %d (ratio 8 after 500)", res.Updates, res.Ingested, want)
	}
}
