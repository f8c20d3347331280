package replay

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The acceptance runs of disk storage write gigabytes; opt in with
// DEEPQ_LONG=1 and run them alone (-run TestDiskLarge, -bench BenchmarkDiskLarge):
//
//	atari-2M     2·10⁶ slots of 84×84 uint8 frames stacked 4 (14.1 GB on disk)
//	minatar-10M  10⁷ slots of 10×10×4 bit planes, prioritized (0.6 GB on disk)
//
// both with the default 256 MiB cache.
var largeSetups = []struct {
	name    string
	cfg     Config
	episode int
}{
	{"atari-2M", Config{Capacity: 2_000_000, ObsSize: 4 * 84 * 84, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 1, Streams: 1}, 2000},
	{"minatar-10M", Config{Capacity: 10_000_000, ObsSize: 4 * 100, FrameStack: 1, Storage: Bits, Gamma: 0.99, NStep: 1, Streams: 1,
		Prioritized: DefaultPrioritized(10_000_000)}, 500},
}

func skipUnlessLong(tb testing.TB) {
	if os.Getenv("DEEPQ_LONG") == "" {
		tb.Skip("set DEEPQ_LONG=1 to write the multi-gigabyte disk buffers")
	}
}

// procStatus returns the fields of /proc/self/status in bytes: VmRSS (resident
// now), VmHWM (the peak since the last resetPeak), RssFile (of it, mapped files).
func procStatus(tb testing.TB) map[string]int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if fs := strings.Fields(v); ok && len(fs) == 2 && fs[1] == "kB" {
			n, _ := strconv.ParseInt(fs[0], 10, 64)
			out[k] = n << 10
		}
	}
	return out
}

// resetPeak returns the heap's free pages to the system (a previous setup's
// buffer) and resets VmHWM to the current RSS.
func resetPeak(tb testing.TB) {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Logf("cannot reset the RSS peak: %v", err)
	}
}

// fileBytes returns the bytes the files in dir take on disk.
func fileBytes(tb testing.TB, dir string) int64 {
	var n int64
	fs, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range fs {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

// fillLarge fills a disk buffer of cfg in dir one and a half times over,
// sampling a batch every 1000 steps, and saves a record.
func fillLarge(tb testing.TB, cfg Config, episode int, dir string) *Buffer {
	cfg.Disk = DefaultDisk(dir)
	b, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s := newStreamer(cfg, episode)
	rng := rand.New(rand.NewPCG(1, 2))
	batch := NewBatch(32, cfg.ObsSize)
	start := time.Now()
	for i := range cfg.Capacity + cfg.Capacity/2 {
		s.add(b)
		if i%1000 == 999 {
			b.Sample(rng, batch)
		}
	}
	fill := time.Since(start)
	if err := b.Save(filepath.Join(dir, "position")); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("filled %d slots 1.5 times in %v (%.0f adds/s), saved in %v", cfg.Capacity, fill.Round(time.Second),
		1.5*float64(cfg.Capacity)/fill.Seconds(), (time.Since(start) - fill).Round(time.Millisecond))
	return b
}

// Sample latency modes: what a trainer sees sampling batch after batch
// (steady), a batch whose segments are in the kernel's page cache but not the
// buffer's (warm), and one whose segments are in neither (cold: the file's
// pages dropped with posix_fadvise DONTNEED, which needs no root and leaves
// other processes' pages alone, unlike writing to /proc/sys/vm/drop_caches).
const (
	steady = iota
	warm
	cold
)

var modeNames = []string{"steady", "warm", "cold"}

// sampleOnce times one batch of 32 in the mode, drawn with seed.
func sampleOnce(tb testing.TB, b *Buffer, batch *Batch, mode int, seed uint64) time.Duration {
	d := b.frames.disk
	switch mode {
	case warm:
		b.Sample(rand.New(rand.NewPCG(seed, 1)), batch) // its segments into the page cache
		if err := d.dropCache(false); err != nil {
			tb.Fatal(err)
		}
	case cold:
		if err := d.dropCache(true); err != nil {
			tb.Fatal(err)
		}
	}
	t0 := time.Now()
	b.Sample(rand.New(rand.NewPCG(seed, 1)), batch)
	return time.Since(t0)
}

// sampleLatencies returns the median and 90th percentile of n batches of 32.
func sampleLatencies(tb testing.TB, b *Buffer, n, mode int) (med, p90 time.Duration) {
	batch := NewBatch(32, b.cfg.ObsSize)
	var ts []time.Duration
	for i := range n {
		ts = append(ts, sampleOnce(tb, b, batch, mode, uint64(i)))
	}
	slices.Sort(ts)
	return ts[n/2], ts[n*9/10]
}

// TestDiskLarge fills each large setup and checks that the process's peak
// resident memory stays under 2 GB, reporting it with the file's size and
// the sample latencies.
func TestDiskLarge(t *testing.T) {
	skipUnlessLong(t)
	for _, s := range largeSetups {
		t.Run(s.name, func(t *testing.T) {
			resetPeak(t)
			dir := t.TempDir()
			b := fillLarge(t, s.cfg, s.episode, dir)
			defer b.Close()
			var lat []string
			for mode, n := range []int{1000, 200, 30} {
				med, p90 := sampleLatencies(t, b, n, mode)
				lat = append(lat, fmt.Sprintf("%s median %v (p90 %v)", modeNames[mode], med.Round(time.Microsecond), p90.Round(time.Microsecond)))
			}
			st := procStatus(t)
			t.Logf("%s: peak RSS %.0f MB (now %.0f MB, of it files %.0f MB; MemoryBytes %.0f MB); file %.2f GB; sample of 32: %s",
				s.name, float64(st["VmHWM"])/1e6, float64(st["VmRSS"])/1e6, float64(st["RssFile"])/1e6, float64(b.SizeBytes())/1e6,
				float64(fileBytes(t, dir))/1e9, strings.Join(lat, ", "))
			if st["VmHWM"] > 2e9 {
				t.Errorf("peak RSS %d bytes, want under 2 GB", st["VmHWM"])
			}
		})
	}
}

// BenchmarkDiskLarge reports the latency of a batch of 32 from each large
// setup, steady, warm and cold (see sampleOnce), with the process's peak RSS
// and the file's size.
func BenchmarkDiskLarge(b *testing.B) {
	skipUnlessLong(b)
	for _, s := range largeSetups {
		dir := b.TempDir()
		resetPeak(b)
		buf := fillLarge(b, s.cfg, s.episode, dir)
		for mode, name := range modeNames {
			b.Run(s.name+"/"+name, func(b *testing.B) {
				batch := NewBatch(32, s.cfg.ObsSize)
				var total time.Duration
				seed := uint64(0)
				for b.Loop() {
					seed++
					total += sampleOnce(b, buf, batch, mode, seed)
				}
				b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/batch")
				b.ReportMetric(float64(procStatus(b)["VmHWM"])/1e6, "peak-RSS-MB")
				b.ReportMetric(float64(fileBytes(b, dir))/1e9, "file-GB")
			})
		}
		buf.Close()
	}
}

// cpuTime returns the process's user and system CPU time so far: on a
// shared machine, the cost of a step in CPU time does not depend on how much
// of it the other processes take, as wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDiskAddSample measures the minatar preset's replay work per
// environment step, one Add and one Sample of 32, in memory and on disk:
// its 10⁵-slot buffer with the default cache (which holds it all), with a
// cache of a fifth of it, and 10⁶ slots with a 16 MiB cache (a third of it).
func BenchmarkDiskAddSample(b *testing.B) {
	minatar := Config{Capacity: 100_000, ObsSize: 4 * 100, FrameStack: 1, Storage: Bits, Gamma: 0.99, NStep: 1, Streams: 1}
	million := minatar
	million.Capacity = 1_000_000
	for _, c := range []struct {
		name  string
		cfg   Config
		cache int64 // 0: memory
	}{
		{"100k/memory", minatar, 0},
		{"100k/disk-256MiB", minatar, DefaultCacheBytes},
		{"100k/disk-1MiB", minatar, 1 << 20},
		{"1M/memory", million, 0},
		{"1M/disk-16MiB", million, 16 << 20},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := c.cfg
			if c.cache > 0 {
				cfg.Disk = DefaultDisk(b.TempDir())
				cfg.Disk.CacheBytes = c.cache
			}
			buf, st := benchBuffer(b, cfg, 500)
			defer buf.Close()
			rng := rand.New(rand.NewPCG(3, 4))
			batch := NewBatch(32, cfg.ObsSize)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				st.add(buf)
				buf.Sample(rng, batch)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/step")
		})
	}
}
