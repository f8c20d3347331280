package apex

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// startServer starts an embedded server on a free loopback port.
func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := StartServer(ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func connect(t *testing.T, url, name string) *nats.Conn {
	t.Helper()
	nc, err := Connect(ClientConfig{URL: url, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func makeCartPole() (env.Env, error) { return env.Make("cartpole") }

// smallConfig is CartPole's preset, shortened for plumbing tests.
func smallConfig(steps int64) agent.Config {
	cfg, err := agent.Preset("cartpole")
	if err != nil {
		panic(err)
	}
	cfg.TotalSteps = steps
	cfg.LearningStarts = 500
	cfg.BufferSize = 20_000
	cfg.Prioritized, cfg.PERAlpha, cfg.PERBeta0, cfg.PEREps = true, 0.6, 0.4, 1e-6
	cfg.NStep = 3
	return cfg
}

// runActors runs n actors until ctx is done and returns their results.
func runActors(ctx context.Context, t *testing.T, url string, run string, n int, steps int64) ([]ActorResult, []error) {
	var wg sync.WaitGroup
	res := make([]ActorResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc := connect(t, url, "actor")
			cfg := DefaultActorConfig(i, n)
			cfg.Run, cfg.Seed, cfg.Steps = run, 7, steps
			res[i], errs[i] = RunActor(ctx, nc, cfg, env.Make, nil)
			if ctx.Err() != nil {
				errs[i] = nil // stopped by the test
			}
		}()
	}
	wg.Wait()
	return res, errs
}

func TestEpsilon(t *testing.T) {
	for _, c := range []struct {
		i, n int
		want float64
	}{{0, 1, 0.4}, {0, 3, 0.4}, {1, 3, math.Pow(0.4, 4.5)}, {2, 3, math.Pow(0.4, 8)}, {7, 8, math.Pow(0.4, 8)}} {
		if got := Epsilon(c.i, c.n); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Epsilon(%d, %d) = %v, want %v", c.i, c.n, got, c.want)
		}
	}
}

// TestInProcess runs a learner and two actors in goroutines over the
// embedded server: every step the actors send arrives, the learner takes
// gradient steps at its replay ratio and the actors take newer parameters.
func TestInProcess(t *testing.T) {
	s := startServer(t)
	url := s.ClientURL()
	cfg := DefaultLearnerConfig(smallConfig(4000))
	cfg.Run, cfg.Streams, cfg.PublishEvery = "inproc", 2, 8
	cfg.Agent.Hidden = []int{32}
	l, err := NewLearner(makeCartPole, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The actors first: they wait for the learner's run info.
	actx, acancel := context.WithCancel(ctx)
	var ares []ActorResult
	var aerrs []error
	adone := make(chan struct{})
	go func() {
		defer close(adone)
		ares, aerrs = runActors(actx, t, url, "inproc", 2, 0)
	}()
	lres, lerr := l.Run(ctx, connect(t, url, "learner"))
	acancel()
	<-adone
	if lerr != nil {
		t.Fatal(lerr)
	}
	if err := errors.Join(aerrs...); err != nil {
		t.Fatal(err)
	}
	if lres.Ingested < 4000 {
		t.Errorf("ingested %d steps, want ≥ 4000", lres.Ingested)
	}
	want := int64(float64(lres.Ingested-500) * 0.5)
	if lres.Updates < want-64 || lres.Updates > want+1 {
		t.Errorf("%d updates for %d steps ingested, want about %d (ratio 0.5 after 500)", lres.Updates, lres.Ingested, want)
	}
	// Under load an actor's goroutine may start when the learner is nearly
	// done: every actor must send, and every actor that sent long enough to
	// see several versions published (one every few batches) must have
	// taken a newer one.
	took := 0
	for i, r := range ares {
		t.Logf("actor %d: %d steps, %d batches sent, %d dropped, %.1f B/step, version %d (%d updates taken, max staleness %d)",
			i, r.Steps, r.Sent, r.Dropped, r.BytesPerStep, r.Version, r.ParamUpdates, r.MaxStaleness)
		switch {
		case r.Sent == 0:
			t.Errorf("actor %d sent no batch", i)
		case r.ParamUpdates > 0:
			took++
		case r.Sent >= 20:
			t.Errorf("actor %d sent %d batches but never took newer parameters", i, r.Sent)
		}
	}
	if took == 0 {
		t.Errorf("no actor took newer parameters")
	}
	t.Logf("learner: %d ingested, %d updates in %v", lres.Ingested, lres.Updates, lres.Elapsed)
}
