package replay

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmark setups: CartPole's 4 float32s; MinAtar Breakout's 4×10×10 binary
// planes; Atari's 84×84 grey frames stacked 4, in uint8.
var benchSetups = []struct {
	name    string
	cfg     Config
	episode int // steps per episode in the benchmark stream
}{
	{"cartpole", Config{Capacity: 100_000, ObsSize: 4, FrameStack: 1, Storage: Float32, Gamma: 0.99, NStep: 1, Streams: 1}, 200},
	{"minatar", Config{Capacity: 100_000, ObsSize: 4 * 100, FrameStack: 1, Storage: Bits, Gamma: 0.99, NStep: 1, Streams: 1}, 500},
	{"atari", Config{Capacity: 20_000, ObsSize: 4 * 84 * 84, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 1, Streams: 1}, 1000},
}

// streamer replays a fixed cycle of frames as a frame-stack wrapper would
// deliver them, so that a benchmark measures the buffer, not the stream.
type streamer struct {
	stacks  [][]float32 // stacks[j] ends with frame j and continues stacks[j−1]
	reset   []float32   // K copies of one frame
	j, t    int
	episode int
}

func newStreamer(cfg Config, episode int) *streamer {
	const cycle = 64
	rng := rand.New(rand.NewPCG(1, 2))
	f := cfg.ObsSize / cfg.FrameStack
	frames := make([][]float32, cycle+1)
	for i := range frames {
		frames[i] = make([]float32, f)
		for e := range frames[i] {
			switch cfg.Storage {
			case Float32:
				frames[i][e] = float32(rng.NormFloat64())
			case Uint8:
				frames[i][e] = float32(rng.IntN(256))
			case Bits:
				frames[i][e] = float32(rng.IntN(2))
			}
		}
	}
	s := &streamer{episode: episode}
	for j := range cycle {
		var st []float32
		for k := cfg.FrameStack - 1; k >= 0; k-- {
			st = append(st, frames[(j-k+cycle)%cycle]...)
		}
		s.stacks = append(s.stacks, st)
	}
	for range cfg.FrameStack {
		s.reset = append(s.reset, frames[cycle]...)
	}
	return s
}

// add adds one step; every episode-th step truncates the episode.
func (s *streamer) add(b *Buffer) {
	obs := s.stacks[s.j]
	if s.t == 0 {
		obs = s.reset
	}
	s.j = (s.j + 1) % len(s.stacks)
	s.t++
	end := s.t == s.episode
	b.Add(obs, s.t%4, 1, s.stacks[s.j], false, end)
	if end {
		s.t = 0
	}
}

func benchBuffer(b *testing.B, cfg Config, episode int) (*Buffer, *streamer) {
	buf, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s := newStreamer(cfg, episode)
	for range cfg.Capacity + 10 {
		s.add(buf)
	}
	return buf, s
}

func withPER(c Config) Config {
	c.Prioritized = DefaultPrioritized(1_000_000)
	return c
}

// bytesPerTransition reports the buffer's memory over the transitions it
// holds when full, with the stream's episode length.
func bytesPerTransition(buf *Buffer) float64 { return float64(buf.SizeBytes()) / float64(buf.Len()) }

// BenchmarkAdd measures one Add into a full buffer (overwriting the oldest
// slot), uniform and prioritized.
func BenchmarkAdd(b *testing.B) {
	for _, s := range benchSetups {
		for _, per := range []bool{false, true} {
			cfg := s.cfg
			name := s.name + "/uniform"
			if per {
				cfg, name = withPER(cfg), s.name+"/prioritized"
			}
			b.Run(name, func(b *testing.B) {
				buf, st := benchBuffer(b, cfg, s.episode)
				b.ReportAllocs()
				for b.Loop() {
					st.add(buf)
				}
				b.ReportMetric(bytesPerTransition(buf), "bytes/transition")
			})
		}
	}
}

// BenchmarkSample measures one sampled batch of 32 and of 256, uniform and
// prioritized (the priority update after it is BenchmarkUpdatePriorities).
func BenchmarkSample(b *testing.B) {
	for _, s := range benchSetups {
		for _, per := range []bool{false, true} {
			cfg := s.cfg
			kind := "uniform"
			if per {
				cfg, kind = withPER(cfg), "prioritized"
			}
			for _, size := range []int{32, 256} {
				b.Run(fmt.Sprintf("%s/%s/B=%d", s.name, kind, size), func(b *testing.B) {
					buf, _ := benchBuffer(b, cfg, s.episode)
					rng := rand.New(rand.NewPCG(3, 4))
					batch := NewBatch(size, cfg.ObsSize)
					b.ReportAllocs()
					for b.Loop() {
						buf.Sample(rng, batch)
					}
					b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
				})
			}
		}
	}
}

// BenchmarkUpdatePriorities measures feeding back the TD errors of a batch.
func BenchmarkUpdatePriorities(b *testing.B) {
	for _, size := range []int{32, 256} {
		b.Run(fmt.Sprintf("cartpole/B=%d", size), func(b *testing.B) {
			buf, _ := benchBuffer(b, withPER(benchSetups[0].cfg), benchSetups[0].episode)
			rng := rand.New(rand.NewPCG(3, 4))
			batch := NewBatch(size, 4)
			td := make([]float32, size)
			for i := range td {
				td[i] = float32(rng.NormFloat64())
			}
			buf.Sample(rng, batch)
			b.ReportAllocs()
			for b.Loop() {
				buf.UpdatePriorities(batch.Indices, td)
			}
		})
	}
}
