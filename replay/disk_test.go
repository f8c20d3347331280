package replay

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
// several streams, with segments of a few dozen slots and caches of 2 or 3.
var diskConfigs = []struct {
	name string
	cfg  Config
	segs int64
}{
	{"uint8-stack4-nstep3-per", Config{Capacity: 500, ObsSize: 4 * 64, FrameStack: 4, Storage: Uint8, Gamma: 0.99, NStep: 3, Streams: 1, Prioritized: DefaultPrioritized(2000)}, 2},
	{"bits-stack2-streams2", Config{Capacity: 400, ObsSize: 2 * 100 * 8, FrameStack: 2, Storage: Bits, Gamma: 0.9, NStep: 1, Streams: 2}, 3},
	{"float32-nstep5-per-streams3", Config{Capacity: 600, ObsSize: 24, FrameStack: 1, Storage: Float32, Gamma: 0.97, NStep: 5, Streams: 3, Prioritized: DefaultPrioritized(3000)}, 2},
}

// TestDiskMatchesMemory: a disk buffer given the same steps as one in memory
// samples the same batches bit for bit (priorities included) and saves the
// same full file; reopened at its last and second-to-last records it equals
// the memory buffer at those points, and goes on equal to it.
func TestDiskMatchesMemory(t *testing.T) {
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
