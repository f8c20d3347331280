package agent

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/net"
)

// TestPrecisionSetting: precision=bf16 reaches the online and target
// networks, changes the run (so the setting is not ignored), is written to
// checkpoints by name and kept by Resume; precision=float32 is the preset
// default and gives the run of a config that never mentions precision.
func TestPrecisionSetting(t *testing.T) {
	for _, name := range PresetNames() {
		c, _ := Preset(name)
		if c.Precision != FP32 {
			t.Errorf("preset %s: precision %v, want float32", name, c.Precision)
		}
	}
	if c := DefaultConfig(); c.Precision != FP32 {
		t.Errorf("DefaultConfig: precision %v, want float32", c.Precision)
	}

	run := func(spec string) (*Trainer, *recorder) {
		t.Helper()
		cfg := shortConfig(t, 3)
		cfg.TotalSteps = 1500
		if err := SetFields(spec, &cfg); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		tr, err := NewTrainer(cfg, rec)
		if err != nil {
			t.Fatal(err)
		}
		tr.CheckpointDir = t.TempDir()
		runTo(t, tr)
		return tr, rec
	}
	f32, f32Rec := run("seed=3")
	f32Set, f32SetRec := run("precision=float32")
	b16, b16Rec := run("precision=bf16")
	for _, c := range []struct {
		tr   *Trainer
		want net.Precision
	}{{f32, net.Float32}, {f32Set, net.Float32}, {b16, net.BF16}} {
		if p, q := c.tr.Agent.Online.Precision(), c.tr.Agent.Target.Precision(); p != c.want || q != c.want {
			t.Errorf("config precision %v: online %v, target %v, want %v", c.tr.Config.Precision, p, q, c.want)
		}
	}
	if !slices.Equal(f32Rec.losses, f32SetRec.losses) {
		t.Error("precision=float32 changed the run")
	}
	if len(b16Rec.losses) != len(f32Rec.losses) || slices.Equal(b16Rec.losses, f32Rec.losses) {
		t.Errorf("precision=bf16 gave the float32 run's %d losses exactly", len(f32Rec.losses))
	}

	// The checkpoint names the precision, and a resumed run keeps it.
	path := filepath.Join(b16.CheckpointDir, "final.ckpt")
	sections, err := readSections(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sections["meta"]), `"precision":"bf16"`) {
		t.Errorf("checkpoint meta does not name precision bf16: %.200s…", sections["meta"])
	}
	r, err := Resume(path, 1800)
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.Precision != BF16 || r.Agent.Online.Precision() != net.BF16 || r.Agent.Target.Precision() != net.BF16 {
		t.Fatalf("resumed: config %v, online %v, target %v, want bf16", r.Config.Precision, r.Agent.Online.Precision(), r.Agent.Target.Precision())
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	// config.json round trip: the name, not a number.
	b, err := json.Marshal(b16.Config)
	if err != nil {
		t.Fatal(err)
	}
	got := DefaultConfig()
	if err := DecodeConfig(b, &got); err != nil || got.Precision != BF16 {
		t.Fatalf("config.json round trip: precision %v, %v", got.Precision, err)
	}
}

// TestHalfReplayStorage: replay_storage=float16 and bf16 train (the replay
// returns rounded observations, so the losses differ from float32's) and
// resume exactly.
func TestHalfReplayStorage(t *testing.T) {
	losses := func(spec string) []float64 {
		cfg := shortConfig(t, 4)
		cfg.TotalSteps = 1500
		if err := SetFields(spec, &cfg); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		tr, err := NewTrainer(cfg, rec)
		if err != nil {
			t.Fatal(err)
		}
		runTo(t, tr)
		return rec.losses
	}
	f32 := losses("replay_storage=float32")
	for _, s := range []string{"float16", "bf16"} {
		if got := losses("replay_storage=" + s); len(got) != len(f32) || slices.Equal(got, f32) {
			t.Errorf("replay_storage=%s: %d losses, equal to float32's: %v", s, len(got), slices.Equal(got, f32))
		}
	}
	cfg := shortConfig(t, 6)
	cfg.TotalSteps = 3000
	if err := SetFields("replay_storage=float16", &cfg); err != nil {
		t.Fatal(err)
	}
	checkResume(t, cfg)
	c := shortConfig(t, 1)
	if err := SetFields("replay_storage=half", &c); err == nil || !strings.Contains(err.Error(), "float16 or bf16") {
		t.Errorf("replay_storage=half: %v", err)
	}
}
