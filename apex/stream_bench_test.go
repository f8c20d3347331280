package apex

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// BenchmarkStream measures the experience stream alone, without envs or
// learning: P publishers (actors) publish batches of 64 steps of CartPole
// (29 bytes a step) or MinAtar (61) to the embedded server's JetStream
// stream with a synchronous acknowledgement each, as RunActor does, and one
// consumer takes them 4 at a time and acknowledges each, as the learner
// does. The backlog is large enough that nothing is dropped. It reports
// batches/s, steps/s and MB/s through the whole path, from publish to ack.
func BenchmarkStream(b *testing.B) {
	for _, size := range []struct {
		name string
		step int
	}{{"cartpole", 29}, {"minatar", 61}} {
		for _, pubs := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/publishers=%d", size.name, pubs), func(b *testing.B) {
				benchStream(b, pubs, headerSize+64*size.step)
			})
		}
	}
}

func benchStream(b *testing.B, pubs, payload int) {
	s, err := StartServer(ServerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	names, _ := NamesFor("bench")
	cnc, err := Connect(ClientConfig{URL: s.ClientURL(), Name: "consumer"})
	if err != nil {
		b.Fatal(err)
	}
	defer cnc.Close()
	cjs, _ := jetstream.New(cnc)
	cons, _, _, err := setup(ctx, cjs, names, Backlog{MaxMsgs: 1 << 20, MaxBytes: 1 << 32, Memory: true})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, payload)
	for i := range data {
		data[i] = byte(i * 7)
	}
	total := int64(b.N) * int64(pubs)
	var published atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(payload) * int64(pubs))
	b.ResetTimer()
	start := time.Now()
	for p := range pubs {
		nc, err := Connect(ClientConfig{URL: s.ClientURL(), Name: fmt.Sprintf("pub-%d", p)})
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		wg.Go(func() {
			for range b.N {
				if _, err := js.Publish(ctx, names.subject(p), data); err != nil {
					b.Error(err)
					return
				}
				published.Add(1)
			}
		})
	}
	got := int64(0)
	for got < total && !b.Failed() {
		batch, err := cons.Fetch(fetchBatches, jetstream.FetchMaxWait(250*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		for msg := range batch.Messages() {
			msg.Ack()
			got++
		}
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(got)/el, "batches/s")
	b.ReportMetric(float64(got)*64/el, "steps/s")
}

// wireSeqOffset is where a batch's sequence number sits in its header.
const wireSeqOffset = 4 + 2 + 8

// BenchmarkIngest measures the learner's side of ingesting alone, without
// NATS or learning: decoding a 64-step batch and adding its steps, with
// their priorities, to the prioritized 3-step replay (CartPole: float32
// frames of 4; MinAtar Breakout: 4×10×10 bits). steps/s is the most one
// learner core could ingest if it did nothing else.
func BenchmarkIngest(b *testing.B) {
	for _, c := range []struct{ name, env, preset string }{{"cartpole", "cartpole", "cartpole"}, {"minatar", "minatar-breakout", "minatar"}} {
		b.Run(c.name, func(b *testing.B) {
			a, err := agent.Preset(c.preset)
			if err != nil {
				b.Fatal(err)
			}
			a.Env = c.env
			a.Prioritized, a.PERAlpha, a.PERBeta0, a.PEREps, a.NStep = true, 0.6, 0.4, 1e-6, 3
			cfg := DefaultLearnerConfig(a)
			l, err := NewLearner(func() (env.Env, error) { return env.Make(c.env) }, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			info := l.Info()
			const n = 64
			batch := &Batch{Actor: 0, Incarnation: 1, Storage: info.Storage, FrameSize: info.FrameSize,
				Flags: make([]uint8, n), Actions: make([]int32, n), Rewards: make([]float32, n), Priorities: make([]float32, n)}
			rng := newRand(1, 1)
			// Episodes of 32 steps: a start (with its first frame) and an end in each half.
			for k := range n {
				batch.Actions[k] = int32(rng.IntN(info.NumActions))
				batch.Priorities[k] = rng.Float32()
				switch k % 32 {
				case 0:
					batch.Flags[k] = StepObs | StepEpisodeStart
				case 31:
					batch.Flags[k] = StepTerminated
				}
			}
			batch.Frames = make([]float32, info.FrameSize*numFrames(batch.Flags))
			for i := range batch.Frames {
				batch.Frames[i] = float32(rng.IntN(2))
			}
			// Encoded once (the actor's work); each iteration only writes
			// the next sequence number into the header.
			wire, err := batch.AppendBinary(nil)
			if err != nil {
				b.Fatal(err)
			}
			seq := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				binary.LittleEndian.PutUint64(wire[wireSeqOffset:], seq)
				l.ingest(wire)
				seq++
			}
			if l.Ingested() != int64(b.N)*n {
				b.Fatalf("ingested %d steps of %d", l.Ingested(), b.N*n)
			}
			b.ReportMetric(float64(l.Ingested())/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(len(wire))/n, "bytes/step")
		})
	}
}
