package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/replay"
)

// onDisk returns cfg with its replay in dir behind a cache of cache bytes
// (small, so that segments are evicted, written and read back).
func onDisk(cfg Config, dir string, cache int64) Config {
	cfg.ReplayStorage.Disk = &replay.Disk{Dir: dir, CacheBytes: cache}
	return cfg
}

// TestDiskReplaySameRun trains the same seeds with the replay in memory and
// on disk behind a cache of a few segments: weights, optimizer state,
// counters and every loss must agree bit for bit.
func TestDiskReplaySameRun(t *testing.T) {
	breakout := shortConfig(t, 13)
	breakout.Env, breakout.Network, breakout.Hidden, breakout.Head = "minatar-breakout:frame-stack=2", MinAtarNet, nil, 32
	breakout.ReplayStorage.Storage, breakout.ClipReward, breakout.TotalSteps, breakout.TrainFreq = replay.Bits, env.ClipSign, 2000, 32
	per := shortConfig(t, 12)
	per.NStep, per.Prioritized, per.PERAlpha, per.PERBeta0, per.PEREps = 3, true, 0.6, 0.4, 1e-6
	for _, c := range []struct {
		name  string
		cfg   Config
		cache int64
	}{
		// CartPole: 155 slots of 16 bytes a segment, 3 segments cached.
		{"cartpole-nstep-per", per, 8 << 10},
		// Breakout, frames of 100 bits stacked by 2: 294 slots a segment.
		{"breakout-framestack-bits", breakout, 2 * 294 * 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			memRec, diskRec := &recorder{}, &recorder{}
			mem, err := NewTrainer(c.cfg, memRec)
			if err != nil {
				t.Fatal(err)
			}
			runTo(t, mem)
			dir := t.TempDir()
			disk, err := NewTrainer(onDisk(c.cfg, dir, c.cache), diskRec)
			if err != nil {
				t.Fatal(err)
			}
			defer disk.Close()
			runTo(t, disk)
			sameWeights(t, mem, disk)
			if len(memRec.losses) == 0 || !slices.Equal(memRec.losses, diskRec.losses) {
				t.Fatalf("losses differ (%d in memory, %d on disk)", len(memRec.losses), len(diskRec.losses))
			}
			// The frames went to the file: more than the cache holds.
			st, err := os.Stat(filepath.Join(dir, "frames.dat"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() < 4*c.cache {
				t.Fatalf("frames.dat has %d bytes, want more than 4× the %d-byte cache", st.Size(), c.cache)
			}
		})
	}
}

// TestDiskReplayResume: a run with its replay on disk resumes bit-exactly
// from a checkpoint whose replay file is a position record (no copy of the
// frames), and checkpoints record the position without SaveReplay.
func TestDiskReplayResume(t *testing.T) {
	cfg := shortConfig(t, 14)
	cfg.TotalSteps = 4000
	checkResume(t, onDisk(cfg, t.TempDir(), 8<<10))

	// Without SaveReplay a disk buffer's checkpoint still names a record,
	// which holds no frames: a few dozen bytes a segment.
	dir := t.TempDir()
	tr, err := NewTrainer(onDisk(cfg, filepath.Join(dir, "replay"), 8<<10))
	if err != nil {
		t.Fatal(err)
	}
	tr.CheckpointDir, tr.CheckpointEvery = dir, 1000
	runTo(t, tr)
	tr.Close()
	c, err := LoadCheckpoint(filepath.Join(dir, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Replay == "" || c.Meta.SaveReplay {
		t.Fatalf("final.ckpt names replay %q with save_replay %v, want a record without the setting", c.Meta.Replay, c.Meta.SaveReplay)
	}
	rec, err := os.Stat(filepath.Join(dir, c.Meta.Replay))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := os.Stat(filepath.Join(dir, "replay", "frames.dat"))
	if err != nil {
		t.Fatal(err)
	}
	// 4000 CartPole frames are 64 KB; the record of 646 segments is 21 KB.
	if rec.Size() > 32<<10 || frames.Size() < 64_000 {
		t.Fatalf("record %d bytes, frames.dat %d bytes: want a record under 32 KiB beside the frames", rec.Size(), frames.Size())
	}
	r, err := Resume(filepath.Join(dir, "final.ckpt"), 4400)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Buffer.Added() != 4000 {
		t.Fatalf("resumed buffer has %d transitions, want 4000", r.Buffer.Added())
	}
	runTo(t, r)
}

// TestDiskReplayOldCheckpointRefused: a checkpoint whose record's segments
// were overwritten since (the run went on past two more records) is refused
// with an error naming the file, not read as garbage; the run's last
// checkpoint still resumes, and a trainer holding the directory keeps others
// out of it.
func TestDiskReplayOldCheckpointRefused(t *testing.T) {
	cfg := shortConfig(t, 15)
	cfg.TotalSteps, cfg.EvalEvery = 3000, 0
	dir := t.TempDir()
	replayDir := filepath.Join(dir, "replay")
	cfg = onDisk(cfg, replayDir, 8<<10)
	tr, err := NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrainer(cfg); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a second trainer on the same directory: %v, want an error saying it is in use", err)
	}
	// Keep latest.ckpt and its record as they are at step 1000.
	old := t.TempDir()
	tr.CheckpointDir, tr.CheckpointEvery = dir, 500
	tr.Observe(&copyAt{step: 1000, from: dir, to: old})
	runTo(t, tr)
	tr.Close()

	_, err = Resume(filepath.Join(old, "latest.ckpt"), 0)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(replayDir, "frames.dat")) || !strings.Contains(err.Error(), "overwritten") {
		t.Fatalf("resuming a checkpoint whose segments were overwritten: %v, want a refusal naming frames.dat", err)
	}
	t.Logf("refused: %v", err)
	// The refusal released the file: the last checkpoint resumes.
	r, err := Resume(filepath.Join(dir, "final.ckpt"), 3200)
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, r)
	r.Close()
}

// copyAt copies latest.ckpt and the replay record it names from one
// directory to another at the step after it is saved.
type copyAt struct {
	NopObserver
	step     int64
	from, to string
}

func (c *copyAt) OnStep(e *StepEvent) {
	if e.Step != c.step+1 {
		return
	}
	ck, err := LoadCheckpoint(filepath.Join(c.from, "latest.ckpt"))
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"latest.ckpt", ck.Meta.Replay} {
		b, err := os.ReadFile(filepath.Join(c.from, name))
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(c.to, name), b, 0o644); err != nil {
			panic(err)
		}
	}
}

// TestReplayStorageSpec: --set replay_storage parses memory and disk
// spellings onto the preset's encoding, and bad spellings are errors naming
// the key and what was wrong.
func TestReplayStorageSpec(t *testing.T) {
	minatar, err := Preset("minatar")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ set, want string }{
		{"replay_storage=disk:/data/r", "bits+disk:/data/r"},
		{"replay_storage=disk@1GiB:/data/r", "bits+disk@1GiB:/data/r"},
		{"replay_storage=uint8+disk:/d", "uint8+disk:/d"},
		{"replay_storage=memory", "bits"},
		{"replay_storage=float32", "float32"},
	} {
		cfg := minatar
		if err := SetFields(c.set, &cfg); err != nil {
			t.Fatalf("%s: %v", c.set, err)
		}
		if got := cfg.ReplayStorage.String(); got != c.want {
			t.Errorf("%s: got %s, want %s", c.set, got, c.want)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", c.set, err)
		}
		if minatar.ReplayStorage.Disk != nil {
			t.Fatal("SetFields changed the preset")
		}
	}
	for _, c := range []struct{ set, want string }{
		{"replay_storage=disk:", "want disk:DIR"},
		{"replay_storage=disk", "want disk:DIR"},
		{"replay_storage=tape:/d", `"tape:/d": want float32, uint8, bits, float16 or bf16, memory, disk:DIR`},
		{"replay_storage=disk@lots:/d", "bad cache size"},
		{"replay_storage=bits+cloud:/d", "want memory, disk:DIR"},
		{"replay_storage=", "empty"},
		{"replay_storage=3", "want a string"},
	} {
		cfg := minatar
		err := SetFields(c.set, &cfg)
		if err == nil || !strings.Contains(err.Error(), "replay_storage") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming replay_storage and saying %q", c.set, err, c.want)
		}
	}
	// A cache too small for two segments is refused when the buffer is made.
	cfg := shortConfig(t, 1)
	if err := SetFields("replay_storage=disk@100:"+t.TempDir(), &cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrainer(cfg); err == nil || !strings.Contains(err.Error(), "cache_bytes 100") {
		t.Fatalf("a 100-byte cache: %v", err)
	}
}

// TestDiskReplayConfigJSON: config.json spells the disk storage in full and
// reads back to the same storage.
func TestDiskReplayConfigJSON(t *testing.T) {
	cfg, _ := Preset("minatar")
	cfg.ReplayStorage.Disk = replay.DefaultDisk("/data/r")
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"replay_storage":"bits+disk:/data/r"`) {
		t.Fatalf("config JSON: %s", b)
	}
	back := DefaultConfig()
	if err := DecodeConfig(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ReplayStorage.String() != "bits+disk:/data/r" {
		t.Fatalf("read back %s", back.ReplayStorage)
	}
}
