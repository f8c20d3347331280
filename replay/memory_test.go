package replay

import (
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
)

// atari is the Nature-DQN replay: 84×84 grey frames stacked 4, 10⁶ slots.
var atari = Config{Capacity: 1_000_000, ObsSize: 4 * 84 * 84, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 1, Streams: 1}

// TestMemoryBytes checks the reported sizes without allocating them: the
// 10⁶-transition Atari buffer fits in 7.5 GB, and one transition costs one
// frame plus its scalars, within 5%, even counting the final observation of
// each (here 1,000-step) episode; CartPole's costs 4 float32s and the scalars.
func TestMemoryBytes(t *testing.T) {
	const frame, limit = 84 * 84, 7.5e9
	for _, per := range []bool{false, true} {
		cfg := atari
		scalars := float64(slotMetaBytes) // action, reward, flags, position
		if per {
			cfg = withPER(cfg)
			scalars += 2 * 2 * 8 * float64(treeLeaves(cfg.Capacity)) / float64(cfg.Capacity) // sum and min trees
		}
		size := MemoryBytes(cfg)
		if size > limit {
			t.Errorf("per=%v: %d bytes for 10⁶ Atari transitions, more than 7.5 GB", per, size)
		}
		transitions := float64(cfg.Capacity) * 1000 / 1001
		perTransition := float64(size) / transitions
		want := frame + scalars
		t.Logf("per=%v: %.2f GB, %.1f bytes/transition (one frame + scalars: %.1f)", per, float64(size)/1e9, perTransition, want)
		if perTransition > 1.05*want || perTransition < frame {
			t.Errorf("per=%v: %.1f bytes/transition, want within 5%% of %.1f", per, perTransition, want)
		}
	}
	cartpole := Config{Capacity: 100_000, ObsSize: 4, FrameStack: 1, Storage: Float32, Gamma: 0.99, NStep: 1, Streams: 1}
	if got, want := MemoryBytes(cartpole), int64(100_000*(16+slotMetaBytes)); got != want {
		t.Errorf("CartPole: %d bytes, want %d", got, want)
	}
	minatar := Config{Capacity: 100_000, ObsSize: 4 * 100, FrameStack: 1, Storage: Bits, Gamma: 0.99, NStep: 1, Streams: 1}
	if got, want := MemoryBytes(minatar), int64(100_000*(50+slotMetaBytes)); got != want {
		t.Errorf("MinAtar: %d bytes, want %d", got, want)
	}
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// checkAllocatedOnce builds a buffer of cfg, checks that New allocates what
// MemoryBytes says, and that filling it twice over, sampling and updating
// priorities allocate nothing more.
func checkAllocatedOnce(t *testing.T, cfg Config, episode int) {
	var b *Buffer
	got := allocated(func() {
		var err error
		if b, err = New(cfg); err != nil {
			t.Fatal(err)
		}
	})
	want := uint64(MemoryBytes(cfg))
	t.Logf("New allocated %d bytes; MemoryBytes %d", got, want)
	if got < want || got > want+want/100+64<<10 {
		t.Errorf("New allocated %d bytes, MemoryBytes says %d", got, want)
	}
	s := newStreamer(cfg, episode)
	batch := NewBatch(32, cfg.ObsSize)
	rng := rand.New(rand.NewPCG(1, 1))
	td := make([]float32, 32)
	more := allocated(func() {
		for i := range 2*cfg.Capacity + 7 {
			s.add(b)
			if i%1000 == 999 {
				b.Sample(rng, batch)
				b.UpdatePriorities(batch.Indices, td)
			}
		}
	})
	if more > 64<<10 {
		t.Errorf("adding %d steps allocated %d bytes", 2*cfg.Capacity+7, more)
	}
	if b.Len() > cfg.Capacity {
		t.Errorf("Len %d exceeds the capacity %d", b.Len(), cfg.Capacity)
	}
	// Every slot is used: Capacity minus the final observations of the
	// episodes that end in the ring, minus those whose stacks or windows are
	// cut at its ends (at most K−1 + n−1).
	ends := cfg.Capacity/(episode+1) + 1
	if lo := cfg.Capacity - ends - cfg.FrameStack - cfg.NStep; b.Len() < lo {
		t.Errorf("Len %d, want at least %d of %d", b.Len(), lo, cfg.Capacity)
	}
}

func TestAllocatedOnce(t *testing.T) {
	small := atari
	small.Capacity = 5000
	checkAllocatedOnce(t, withPER(small), 1000)
	checkAllocatedOnce(t, Config{Capacity: 50_000, ObsSize: 4, FrameStack: 1, Gamma: 0.99, NStep: 3, Streams: 1}, 200)
}

// TestAtariMillion allocates and fills the real 10⁶-transition Atari buffer
// (7 GB, about a minute). Opt in with DEEPQ_REPLAY_BIG=1.
func TestAtariMillion(t *testing.T) {
	if os.Getenv("DEEPQ_REPLAY_BIG") == "" {
		t.Skip("set DEEPQ_REPLAY_BIG=1 to allocate the 7 GB Atari buffer")
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	checkAllocatedOnce(t, atari, 2000)
	runtime.ReadMemStats(&m1)
	grew := m1.Sys - m0.Sys
	t.Logf("memory obtained from the OS: %.2f GB", float64(grew)/1e9)
	if grew > 7.5e9 {
		t.Errorf("the process grew by %d bytes, more than 7.5 GB", grew)
	}
}
