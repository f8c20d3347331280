package replay

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deepq/deepq/internal/ckpt"
)

// onDisk returns cfg with its slots under dir in segments of 4 KiB and a
// cache of segs segments.
func onDisk(cfg Config, dir string, segs int64) Config {
	cfg.Disk = &Disk{Dir: dir, SegmentBytes: 4096}
	cfg.Disk.CacheBytes = segs * int64(cfg.Disk.segmentSlots(cfg)) * cfg.Storage.frameBytes(cfg.frameSize())
	return cfg
}

// twin feeds the same steps to several buffers (the first in memory), samples
// them with identically seeded generators, updates their priorities with the
// same TD errors, and checks that their batches are identical.
type twin struct {
	t       testing.TB
	ws      []*world // one per stream; each adds to bufs[0] and records
	bufs    []*Buffer
	rng     *rand.Rand // picks streams, sampling seeds, TD errors
	batches []*Batch
	steps   int
}

func newTwin(t testing.TB, cfg Config, seed uint64, bufs ...*Buffer) *twin {
	tw := &twin{t: t, bufs: bufs, rng: rand.New(rand.NewPCG(seed, 3))}
	for s := range cfg.Streams {
		w := newWorld(nil, cfg, seed*100+uint64(s), 0.05)
		w.stream = s
		tw.ws = append(tw.ws, w)
	}
	for range bufs {
		tw.batches = append(tw.batches, NewBatch(16, cfg.ObsSize))
	}
	return tw
}

// step plays one environment step into every buffer; every 5th step it
// samples and updates priorities, every 97th it abandons the open episodes.
func (tw *twin) step() {
	s := tw.rng.IntN(len(tw.ws))
	w := tw.ws[s]
	w.add(tw.bufs[0])
	st := w.steps[len(w.steps)-1]
	for _, b := range tw.bufs[1:] {
		b.AddStream(s, st.obs, st.action, st.reward, st.next, st.term, st.trunc)
	}
	tw.steps++
	if tw.steps%97 == 0 {
		abandon(tw.bufs[0], tw.ws)
		for _, b := range tw.bufs[1:] {
			b.EndEpisode()
		}
	}
	if tw.steps%5 != 0 || tw.bufs[0].Len() == 0 {
		return
	}
	seed := tw.rng.Uint64()
	td := make([]float32, tw.batches[0].Size())
	for i := range td {
		td[i] = float32(tw.rng.NormFloat64())
	}
	for k, b := range tw.bufs {
		b.Sample(rand.New(rand.NewPCG(seed, 1)), tw.batches[k])
		if err := b.UpdatePriorities(tw.batches[k].Indices, td); err != nil {
			tw.t.Fatal(err)
		}
		if k > 0 && !reflect.DeepEqual(tw.batches[0], tw.batches[k]) {
			tw.t.Fatalf("after %d steps, buffer %d samples differently from the one in memory", tw.steps, k)
		}
	}
}

// diskConfigs cover each storage, frame stacking, n-step, prioritized and
// several streams, with segments of a few dozen slots and caches of 2, 3 or 6.
var diskConfigs = []struct {
	name string
	cfg  Config
	segs int64
}{
	{"uint8-stack4-nstep3-per", Config{Capacity: 500, ObsSize: 4 * 64, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 3, Streams: 1, Prioritized: DefaultPrioritized(2000)}, 2},
	{"bits-stack2-streams2", Config{Capacity: 400, ObsSize: 2 * 100 * 8, FrameStack: 2, Storage: Bits, Gamma: 0.9, NStep: 1, Streams: 2}, 3},
	{"float32-nstep5-per-streams3", Config{Capacity: 600, ObsSize: 24, FrameStack: 1, Storage: Float32, Gamma: 0.97, NStep: 5, Streams: 3, Prioritized: DefaultPrioritized(3000)}, 2},
	{"float16-stack2-nstep3", Config{Capacity: 500, ObsSize: 2 * 48, FrameStack: 2, Storage: Float16, Gamma: 0.99, NStep: 3, Streams: 1}, 2},
	{"bf16-streams2", Config{Capacity: 400, ObsSize: 48, FrameStack: 1, Storage: BF16, Gamma: 0.99, NStep: 1, Streams: 2}, 3},
	// A cache of 6 segments of 10: samples read up to 3 in parallel.
	{"uint8-stack4-nstep3-per-cache6", Config{Capacity: 500, ObsSize: 4 * 64, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 3, Streams: 1, Prioritized: DefaultPrioritized(2000)}, 6},
}

// TestDiskMatchesMemory: a disk buffer given the same steps as one in memory
// samples the same batches bit for bit (priorities included) and saves the
// same full file; reopened at its last and second-to-last records it equals
// the memory buffer at those points, and goes on equal to it.
func TestDiskMatchesMemory(t *testing.T) {
	// Every read counts as slow: after a prefetch's first read the others
	// go to the reading goroutines, as when they wait on the device (from
	// the page cache the sampler reads them itself, as in the agent's tests).
	defer func(s time.Duration) { slowRead = s }(slowRead)
	slowRead = 0
	for _, c := range diskConfigs {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			mem, err := New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			dcfg := onDisk(c.cfg, dir, c.segs)
			dsk, err := New(dcfg)
			if err != nil {
				t.Fatal(err)
			}
			if segs := len(dsk.frames.disk.cur); segs < 8 {
				t.Fatalf("only %d segments: the test would not exercise the cache", segs)
			}
			tw := newTwin(t, c.cfg, 1, mem, dsk)
			var records []string
			var snapshots [][]byte
			for i := range 4 * c.cfg.Capacity {
				tw.step()
				if i%(c.cfg.Capacity/2) == c.cfg.Capacity/2-1 {
					path := filepath.Join(dir, fmt.Sprintf("rec-%d", len(records)))
					if err := dsk.Save(path); err != nil {
						t.Fatal(err)
					}
					records, snapshots = append(records, path), append(snapshots, encode(t, mem))
				}
			}
			if !bytes.Equal(encode(t, mem), encode(t, dsk)) {
				t.Fatal("the disk buffer's full file differs from the memory buffer's")
			}
			if err := dsk.Save(filepath.Join(dir, "last")); err != nil {
				t.Fatal(err)
			}
			if err := dsk.Close(); err != nil {
				t.Fatal(err)
			}
			re, err := New(dcfg)
			if err != nil {
				t.Fatal(err)
			}
			defer re.Close()
			// The last record but one, then the last: both reopen exactly.
			if err := re.Load(records[len(records)-1]); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(encode(t, re), snapshots[len(snapshots)-1]) {
				t.Fatal("reopened at the second-to-last record, the buffer differs from the memory buffer then")
			}
			if err := re.Load(filepath.Join(dir, "last")); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(encode(t, re), encode(t, mem)) {
				t.Fatal("reopened at the last record, the buffer differs from the memory buffer")
			}
			tw.bufs[1] = re
			for range 2 * c.cfg.Capacity {
				tw.step()
			}
			if !bytes.Equal(encode(t, mem), encode(t, re)) {
				t.Fatal("after more steps, the reopened buffer differs from the memory buffer")
			}
			// Older records reopen exactly, or are refused because their
			// segments were overwritten.
			refused := 0
			for k, path := range records[:len(records)-1] {
				err := re.Load(path)
				if err != nil {
					refused++
				}
				switch {
				case err == nil && !bytes.Equal(encode(t, re), snapshots[k]):
					t.Fatalf("%s loaded but differs from the memory buffer then", path)
				case err != nil && !strings.Contains(err.Error(), "overwritten after this record was saved"):
					t.Fatalf("%s: %v", path, err)
				}
			}
			d := re.frames.disk
			t.Logf("%d of %d older records refused; the file holds %d segments for %d logical ones", refused, len(records)-1, d.nphys, len(d.cur))
			if d.nphys > 3*int64(len(d.cur)) {
				t.Errorf("the file grew to %d segments for %d logical ones", d.nphys, len(d.cur))
			}
		})
	}
}

// killConfig is the buffer the killed child of TestDiskKill fills.
var killConfig = diskConfigs[0]

const killEvery = 150 // steps between the child's records

// TestDiskKill kills (SIGKILL) a child process filling a disk buffer and
// saving a record every 150 steps, at a different moment in each round, then
// reopens the directory: the last two records reopen exactly at the state a
// memory buffer fed the same steps had then, and go on equal to it; older
// ones reopen exactly or are refused with a message naming the file.
func TestDiskKill(t *testing.T) {
	if dir := os.Getenv("DEEPQ_REPLAY_KILL_CHILD"); dir != "" {
		killChild(dir)
		return
	}
	// Each round kills at another fraction of the time between two records:
	// early in the steps, late, or about when the next Save writes.
	for round, frac := range []float64{0.1, 0.5, 0.9, 0.97, 1.0, 1.03} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestDiskKill$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DEEPQ_REPLAY_KILL_CHILD="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var last, interval time.Duration
		start := time.Now()
		for saved := 0; saved < 4 && sc.Scan(); {
			if strings.HasPrefix(sc.Text(), "saved") {
				saved++
				now := time.Since(start)
				interval, last = now-last, now
			}
		}
		time.Sleep(time.Duration(frac * float64(interval)))
		cmd.Process.Kill()
		cmd.Wait()

		records, _ := filepath.Glob(filepath.Join(dir, "rec-*"))
		slices.Sort(records)
		if len(records) < 2 {
			t.Fatalf("round %d: the child left %d records", round, len(records))
		}
		// The memory buffer at each record's step.
		dcfg := onDisk(killConfig.cfg, dir, killConfig.segs)
		mem, _ := New(killConfig.cfg)
		tw := newTwin(t, killConfig.cfg, 5, mem)
		snapshots := map[string][]byte{}
		for k, path := range records {
			if path != filepath.Join(dir, fmt.Sprintf("rec-%04d", k)) {
				t.Fatalf("round %d: records %v", round, records)
			}
			for tw.steps < (k+1)*killEvery {
				tw.step()
			}
			snapshots[path] = encode(t, mem)
		}
		re, err := New(dcfg)
		if err != nil {
			t.Fatal(err)
		}
		refused := 0
		for k, path := range records {
			err := re.Load(path)
			switch {
			case err == nil && !bytes.Equal(encode(t, re), snapshots[path]):
				t.Fatalf("round %d: %s reopened, but differs from the memory buffer at its step", round, path)
			case err != nil && k >= len(records)-2:
				t.Fatalf("round %d: one of the last two records: %v", round, err)
			case err != nil && !(strings.Contains(err.Error(), "overwritten after this record was saved") && strings.Contains(err.Error(), "frames.dat")):
				t.Fatalf("round %d: %s: %v", round, path, err)
			case err != nil:
				refused++
			}
		}
		// Resume from the last record (loaded last) and go on.
		tw.bufs, tw.batches = append(tw.bufs, re), append(tw.batches, NewBatch(16, killConfig.cfg.ObsSize))
		for range 2 * killConfig.cfg.Capacity {
			tw.step()
		}
		if !bytes.Equal(encode(t, mem), encode(t, re)) {
			t.Fatalf("round %d: the resumed buffer went on differently", round)
		}
		t.Logf("round %d: killed %v after a record (%.2f of the interval): %d records (%d older refused), the file holding %d segments",
			round, time.Duration(frac*float64(interval)), frac, len(records), refused, re.frames.disk.nphys)
		re.Close()
	}
}

// killChild fills a disk buffer in dir, saving rec-0000, rec-0001, … every
// killEvery steps and printing "saved", until it is killed (or 60 s pass).
func killChild(dir string) {
	b, err := New(onDisk(killConfig.cfg, dir, killConfig.segs))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	tw := newTwin(panicTB{}, killConfig.cfg, 5, b)
	start := time.Now()
	for k := 0; time.Since(start) < time.Minute; k++ {
		for tw.steps < (k+1)*killEvery {
			tw.step()
		}
		if err := b.Save(filepath.Join(dir, fmt.Sprintf("rec-%04d", k))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("saved %d\n", k)
	}
	os.Exit(3)
}

// panicTB is the testing.TB of the child process, which has no test.
type panicTB struct{ testing.TB }

func (panicTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (panicTB) Helper()                           {}

// TestDiskErrors: what a user or a damaged file can get wrong is an error
// naming the file and the problem, and a failed Load leaves the buffer empty;
// frames damaged after a Load are a panic naming the file, never data.
func TestDiskErrors(t *testing.T) {
	cfg := diskConfigs[0].cfg
	dir := t.TempDir()
	dcfg := onDisk(cfg, dir, 2)
	b, err := New(dcfg)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := New(cfg)
	tw := newTwin(t, cfg, 9, mem, b)
	for range 3 * cfg.Capacity / 2 {
		tw.step()
	}
	rec, full := filepath.Join(dir, "rec"), filepath.Join(t.TempDir(), "full")
	if err := b.Save(rec); err != nil {
		t.Fatal(err)
	}
	if err := mem.Save(full); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, diskFileName)
	ref := b.frames.disk.cur[3]
	segOff := b.frames.disk.offset(ref.phys)
	scalars, frames := segOff+segHeaderBytes, segOff+segHeaderBytes+int64(b.frames.disk.S)*slotMetaBytes

	wantErr := func(what string, err error, parts ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		for _, p := range parts {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("%s: %v, want it to say %q", what, err, p)
			}
		}
		t.Logf("%s: %v", what, err)
	}
	// The directory is locked while b has it.
	_, err = New(dcfg)
	wantErr("a second buffer on the directory", err, data, "in use")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Capacity = 1000
	_, err = New(onDisk(other, dir, 2))
	wantErr("another layout", err, data, "capacity 500")
	// A record of another buffer's directory, and one into a memory buffer.
	elsewhere, _ := New(onDisk(cfg, t.TempDir(), 2))
	wantErr("a record of another directory", elsewhere.Load(rec), "another one", rec)
	elsewhere.Close()
	wantErr("a record into memory", mem.Load(rec), "position record", rec)

	// Damage to the file.
	damage := func(what string, edit func(f *os.File), parts ...string) {
		t.Helper()
		orig, err := os.ReadFile(data)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(data, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		edit(f)
		f.Close()
		re, err := New(dcfg)
		if err == nil {
			w := newWorld(t, cfg, 77, 0.1)
			for range 20 {
				w.add(re) // data a failed load must clear
			}
			err = re.Load(rec)
			if err != nil && (re.Len() != 0 || re.Added() != 0) {
				t.Fatalf("%s: the failed load left %d transitions", what, re.Len())
			}
			re.Close()
		}
		wantErr(what, err, parts...)
		if err := os.WriteFile(data, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(off int64) func(*os.File) {
		return func(f *os.File) {
			var c [1]byte
			f.ReadAt(c[:], off)
			c[0] ^= 0x20
			f.WriteAt(c[:], off)
		}
	}
	damage("a flipped scalar byte", flip(scalars+5), data, "segment 3", "checksum")
	damage("a flipped header byte", flip(segOff+20), data, "segment 3")
	damage("a flipped file header byte", flip(20), data, "corrupted")
	damage("a truncated file", func(f *os.File) { f.Truncate(segOff + 10) }, data, "truncated")
	damage("a foreign file", func(f *os.File) { f.WriteAt([]byte("not a replay"), 0) }, data, "not a deepq replay file")

	// The intact file reopens, and also imports the memory buffer's full file.
	re, err := New(dcfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := re.Load(rec); err != nil {
		t.Fatal(err)
	}
	fullBytes, _ := os.ReadFile(full) // mem is empty now: its Load of rec failed
	if err := re.Load(full); err != nil || !bytes.Equal(encode(t, re), fullBytes) {
		t.Fatalf("importing a full file: %v", err)
	}
	if err := re.Load(rec); err != nil {
		t.Fatal(err)
	}
	// Frames damaged after the load: the segment's checksum is checked when
	// it is read.
	f, _ := os.OpenFile(data, os.O_RDWR, 0)
	flip(frames + 3)(f)
	f.Close()
	func() {
		defer func() {
			msg := fmt.Sprint(recover())
			if !strings.Contains(msg, data) || !strings.Contains(msg, "checksum") {
				t.Fatalf("sampling damaged frames: %q", msg)
			}
		}()
		batch := NewBatch(64, cfg.ObsSize)
		for range 100 {
			re.Sample(rand.New(rand.NewPCG(1, 1)), batch)
		}
	}()
	re.Close()
}

func TestStorageSpecText(t *testing.T) {
	for _, c := range []struct {
		start StorageSpec
		text  string
		want  StorageSpec
		str   string
	}{
		{StorageSpec{}, "bits", StorageSpec{Storage: Bits}, "bits"},
		{StorageSpec{Storage: Bits}, "disk:/data/r", StorageSpec{Bits, DefaultDisk("/data/r")}, "bits+disk:/data/r"},
		{StorageSpec{Storage: Bits}, "uint8+disk@1GiB:/d", StorageSpec{Uint8, &Disk{"/d", 1 << 30, 0}}, "uint8+disk@1GiB:/d"},
		{StorageSpec{Uint8, DefaultDisk("/d")}, "memory", StorageSpec{Storage: Uint8}, "uint8"},
		{StorageSpec{Uint8, DefaultDisk("/d")}, "float32", StorageSpec{Float32, DefaultDisk("/d")}, "float32+disk:/d"},
		{StorageSpec{}, "disk@300000:/a:b", StorageSpec{Float32, &Disk{"/a:b", 300000, 0}}, "float32+disk@300000:/a:b"},
		{StorageSpec{Uint8, &Disk{"/d", 1 << 20, 8192}}, "disk:/e", StorageSpec{Uint8, &Disk{"/e", DefaultCacheBytes, 8192}}, "uint8+disk:/e"},
	} {
		got := c.start
		if err := got.UnmarshalText([]byte(c.text)); err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if !reflect.DeepEqual(got, c.want) || got.String() != c.str {
			t.Errorf("%q onto %v: got %+v %q, want %+v %q", c.text, c.start, got, got.String(), c.want, c.str)
		}
		var back StorageSpec
		if err := back.UnmarshalText([]byte(got.String())); err != nil || back.String() != got.String() || back.Storage != got.Storage {
			t.Errorf("%q does not round-trip: %v %v", got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "int4", "disk", "disk:", "disk@:/d", "disk@1TB:/d", "bits+", "bits+tape:/d", "int4+disk:/d"} {
		s := StorageSpec{Storage: Bits}
		if err := s.UnmarshalText([]byte(bad)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("%q: %v", bad, err)
		} else if s.Storage != Bits || s.Disk != nil {
			t.Errorf("%q: the failed parse changed the spec to %v", bad, s)
		}
	}
	// Config validation of the disk part.
	for _, c := range []struct {
		field string
		disk  Disk
	}{
		{"directory", Disk{CacheBytes: DefaultCacheBytes}},
		{"segment_bytes", Disk{Dir: "/d", CacheBytes: DefaultCacheBytes, SegmentBytes: 100}},
		{"cache_bytes", Disk{Dir: "/d", CacheBytes: 1000}},
	} {
		cfg := DefaultConfig(100)
		cfg.Disk = &c.disk
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: %v", c.disk, err)
		}
	}
}

// TestDiskMemoryBound: a disk buffer's memory is MemoryBytes, allocated in
// New: scalars, cache and segment maps, not the frames; filling it twice over
// and sampling allocate nothing more (the frames go to the file).
func TestDiskMemoryBound(t *testing.T) {
	cfg := Config{Capacity: 20_000, ObsSize: 4 * 16 * 16, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 3, Streams: 1}
	cfg.Disk = &Disk{Dir: t.TempDir(), CacheBytes: 512 << 10}
	var b *Buffer
	got := allocated(func() {
		var err error
		if b, err = New(cfg); err != nil {
			t.Fatal(err)
		}
	})
	defer b.Close()
	want := uint64(MemoryBytes(cfg))
	frames := uint64(cfg.Capacity) * 256
	t.Logf("New allocated %d bytes; MemoryBytes %d; the frames take %d", got, want, frames)
	if got < want*9/10 || got > want+64<<10 || want > frames/2 {
		t.Errorf("New allocated %d bytes, MemoryBytes says %d (frames: %d)", got, want, frames)
	}
	s := newStreamer(cfg, 300)
	batch := NewBatch(32, cfg.ObsSize)
	rng := rand.New(rand.NewPCG(1, 1))
	more := allocated(func() {
		for i := range 2 * cfg.Capacity {
			s.add(b)
			if i%100 == 99 {
				b.Sample(rng, batch)
			}
		}
	})
	if more > 64<<10 {
		t.Errorf("adding %d steps allocated %d bytes", 2*cfg.Capacity, more)
	}
	if n := fileBytes(t, cfg.Disk.Dir); n < int64(frames) {
		t.Errorf("the file holds %d bytes, less than the frames' %d", n, frames)
	}
}

// FuzzDiskSections wraps arbitrary section payloads in a well-formed position
// record with a valid checksum and loads it into a disk buffer whose file
// holds real segments: the record's JSON, segment map and priorities are
// checked against the file, never trusted; a failed load leaves the buffer
// empty, and a successful one a buffer that works.
func FuzzDiskSections(f *testing.F) {
	cfg := diskConfigs[0].cfg
	dcfg := onDisk(cfg, f.TempDir(), 2)
	b, err := New(dcfg)
	if err != nil {
		f.Fatal(err)
	}
	tw := newTwin(f, cfg, 4, b)
	for range 700 {
		tw.step()
	}
	rec := filepath.Join(dcfg.Disk.Dir, "rec")
	if err := b.Save(rec); err != nil {
		f.Fatal(err)
	}
	data, _ := os.ReadFile(rec)
	r, _ := ckpt.NewReader(bytes.NewReader(data), int64(len(data)))
	var s [3][]byte
	for i := 0; ; i++ {
		if _, _, err := r.Next(); err != nil {
			break
		}
		s[i], _ = r.ReadAll(1 << 20)
	}
	f.Add(s[0], s[1], s[2])
	f.Fuzz(func(t *testing.T, meta, segs, prio []byte) {
		var buf bytes.Buffer
		w := ckpt.NewWriter(&buf)
		w.Bytes("replay.disk", meta)
		w.Bytes("replay.segments", segs)
		w.Bytes("replay.priorities", prio)
		w.Close()
		if decode(b, buf.Bytes()) != nil {
			if b.Len() != 0 {
				t.Fatal("a failed load left data behind")
			}
			return
		}
		exercise(t, b)
	})
}
