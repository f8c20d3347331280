package apex

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/deepq/deepq/env"
)

// BenchmarkThroughput runs a CartPole learner (the preset's MLP 256-256,
// prioritized, 3-step, replay ratio 0.5) and 1, 2 or 4 actors in goroutines
// over the embedded server until the learner has ingested 20,000 steps per
// iteration, and reports the actors' env frames/s, the learner's updates/s,
// the steps ingested per second and the wire bytes per transition.
func BenchmarkThroughput(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("actors=%d", n), func(b *testing.B) {
			s, err := StartServer(ServerConfig{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Stop()
			var frames, updates, ingested, bytes, secs float64
			for i := range b.N {
				cfg := DefaultLearnerConfig(smallConfig(20_000))
				cfg.Run, cfg.Streams = fmt.Sprintf("bench%d_%d", n, i), n
				lm, _ := NewLearnerMetrics(nil, cfg.Run)
				l, err := NewLearner(makeCartPole, cfg, lm)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				nc, err := Connect(ClientConfig{URL: s.ClientURL()})
				if err != nil {
					b.Fatal(err)
				}
				ams := make([]*ActorMetrics, n)
				actx, acancel := context.WithCancel(ctx)
				done := make(chan struct{}, n)
				for a := range n {
					ams[a], _ = NewActorMetrics(nil, cfg.Run, a)
					anc, err := Connect(ClientConfig{URL: s.ClientURL()})
					if err != nil {
						b.Fatal(err)
					}
					go func() {
						defer func() { anc.Close(); done <- struct{}{} }()
						ac := DefaultActorConfig(a, n)
						ac.Run = cfg.Run
						RunActor(actx, anc, ac, env.Make, ams[a])
					}()
				}
				start := time.Now()
				res, err := l.Run(ctx, nc)
				el := time.Since(start).Seconds()
				var f float64
				for _, m := range ams {
					f += testutil.ToFloat64(m.Frames)
				}
				acancel()
				for range n {
					<-done
				}
				cancel()
				nc.Close()
				if err != nil {
					b.Fatal(err)
				}
				frames += f
				updates += float64(res.Updates)
				ingested += float64(res.Ingested)
				bytes += testutil.ToFloat64(lm.Bytes)
				secs += el
			}
			b.ReportMetric(frames/secs, "frames/s")
			b.ReportMetric(updates/secs, "updates/s")
			b.ReportMetric(ingested/secs, "ingested-steps/s")
			b.ReportMetric(bytes/ingested, "bytes/transition")
		})
	}
}
