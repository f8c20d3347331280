package apex

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/deepq/deepq/replay"
)

func sampleBatch(s replay.Storage) *Batch {
	b := &Batch{Actor: 3, Incarnation: 99, Seq: 7, Version: 1234, Storage: s, FrameSize: 10,
		Flags:      []uint8{StepObs | StepEpisodeStart, StepTerminated, StepObs | StepEpisodeStart | StepTruncated, StepObs | StepEpisodeStart},
		Actions:    []int32{0, 5, 17, 2},
		Rewards:    []float32{1, -0.5, 0, 3},
		Priorities: []float32{0.1, 2, 0, 7.5},
	}
	for i := range 10 * numFrames(b.Flags) {
		switch s {
		case replay.Float32:
			b.Frames = append(b.Frames, float32(i)*0.37-1)
		case replay.Uint8:
			b.Frames = append(b.Frames, float32(i*37%256))
		case replay.Bits:
			b.Frames = append(b.Frames, float32(i*7%3%2))
		case replay.Float16, replay.BF16: // held exactly by both
			b.Frames = append(b.Frames, float32(i)*0.375-1)
		}
	}
	return b
}

// TestWireRoundTrip: a batch decodes to itself, in each storage, at the
// size Size and BytesPerTransition give (bits: 2 bytes per 10-element frame).
func TestWireRoundTrip(t *testing.T) {
	for _, s := range []replay.Storage{replay.Float32, replay.Uint8, replay.Bits, replay.Float16, replay.BF16} {
		b := sampleBatch(s)
		p, err := b.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		fb := map[replay.Storage]int{replay.Float32: 40, replay.Uint8: 10, replay.Bits: 2, replay.Float16: 20, replay.BF16: 20}[s]
		if want := headerSize + 4*StepBytes + 7*fb; len(p) != want || b.Size() != want {
			t.Errorf("%v: %d bytes, Size %d, want %d", s, len(p), b.Size(), want)
		}
		if got := BytesPerTransition(s, 10); got != StepBytes+fb {
			t.Errorf("%v: BytesPerTransition %d, want %d", s, got, StepBytes+fb)
		}
		var d Batch
		if err := d.UnmarshalBinary(p); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&d, b) {
			t.Errorf("%v: decoded %+v, want %+v", s, d, *b)
		}
	}
}

// TestWireRejects: malformed batches are errors naming what is wrong.
func TestWireRejects(t *testing.T) {
	good, _ := sampleBatch(replay.Float32).AppendBinary(nil)
	cases := []struct {
		name string
		edit func(p []byte) []byte
		want string
	}{
		{"short", func(p []byte) []byte { return p[:10] }, "shorter than"},
		{"magic", func(p []byte) []byte { p[0] = 'X'; return p }, "magic"},
		{"truncated frames", func(p []byte) []byte { return p[:len(p)-1] }, "bytes of frames"},
		{"storage", func(p []byte) []byte { p[30] = 9; return p }, "unknown storage"},
		{"NaN reward", func(p []byte) []byte {
			off := headerSize + 4 + 2*4
			copy(p[off:], []byte{0, 0, 0xc0, 0x7f})
			return p
		}, "not finite"},
		{"flags", func(p []byte) []byte { p[headerSize+1] = 0x80; return p }, "unknown flags"},
	}
	for _, c := range cases {
		var b Batch
		err := b.UnmarshalBinary(c.edit(bytes.Clone(good)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	b := sampleBatch(replay.Bits)
	b.Frames[3] = 0.5
	if _, err := b.AppendBinary(nil); err == nil || !strings.Contains(err.Error(), "not 0 or 1") {
		t.Errorf("a 0.5 in bits storage: error %v", err)
	}
	b = sampleBatch(replay.Float16)
	b.Frames[2] = 1e5
	if _, err := b.AppendBinary(nil); err == nil || !strings.Contains(err.Error(), "beyond float16's range") {
		t.Errorf("1e5 in float16 storage: error %v", err)
	}
	// Values the 16-bit storages cannot hold exactly arrive rounded.
	for _, s := range []replay.Storage{replay.Float16, replay.BF16} {
		b = sampleBatch(s)
		b.Frames[1] = 0.1
		p, err := b.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var d Batch
		if err := d.UnmarshalBinary(p); err != nil {
			t.Fatal(err)
		}
		want := map[replay.Storage]float32{replay.Float16: 0.0999755859375, replay.BF16: 0.10009765625}[s]
		if d.Frames[1] != want {
			t.Errorf("%v: 0.1 arrives as %v, want %v", s, d.Frames[1], want)
		}
	}
	b = sampleBatch(replay.Float32)
	b.Flags[0] = 0
	b.Frames = b.Frames[10:]
	if _, err := b.AppendBinary(nil); err == nil || !strings.Contains(err.Error(), "no observation") {
		t.Errorf("a first step without its observation: error %v", err)
	}
	b = sampleBatch(replay.Float32)
	b.Priorities[1] = float32(math.Inf(1))
	if _, err := b.AppendBinary(nil); err == nil {
		t.Error("an infinite priority encoded")
	}
}

// FuzzBatch: any bytes decode to an error or to a batch that encodes back
// to the same bytes.
func FuzzBatch(f *testing.F) {
	for _, s := range []replay.Storage{replay.Float32, replay.Uint8, replay.Bits, replay.Float16, replay.BF16} {
		p, _ := sampleBatch(s).AppendBinary(nil)
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var b Batch
		if err := b.UnmarshalBinary(p); err != nil {
			return
		}
		q, err := b.AppendBinary(nil)
		if err != nil {
			t.Fatalf("a decoded batch does not encode: %v", err)
		}
		var c Batch
		if err := c.UnmarshalBinary(q); err != nil || !reflect.DeepEqual(&b, &c) {
			t.Fatalf("re-encoded batch decodes to %+v (%v), want %+v", c, err, b)
		}
	})
}
