package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/deepq/deepq/internal/ckpt"
)

// A saved buffer is a ckpt container (versioned, CRC-32C over every byte,
// written atomically) with the sections, in this order, where the U slots
// are those ever used, stream after stream: the first min(head, n) of each
// stream's ring of n = Capacity/Streams:
//
//	replay.meta        JSON: format, version, the Config, each stream's head and open flag, added, max_priority
//	replay.frames      U frames, slot by slot, as stored (float32 little-endian, bytes or packed bits)
//	replay.slots       U actions (int32 LE), U rewards (float32 LE), U flags, U positions (bytes)
//	replay.priorities  U leaves pᵢ^α (float64 LE); only for a prioritized buffer
//	replay.masks       U bootstrap masks (uint64 LE); only with Config.Masks
//
// Sections are streamed from and into the buffer's own arrays, so saving and
// loading need no second copy of the buffer.

const (
	checkpointFormat  = "deepq-replay"
	checkpointVersion = 1
)

type checkpointMeta struct {
	Format      string  `json:"format"`
	Version     int     `json:"version"`
	Config      Config  `json:"config"`
	Heads       []int64 `json:"heads"`
	Open        []bool  `json:"open"`
	Added       int64   `json:"added"`
	MaxPriority float64 `json:"max_priority"`
}

// Save writes the buffer to path atomically: path holds either the old file
// or the complete new one. A buffer in memory writes all its slots; a disk
// buffer writes its changed segments to its own file and, at path, only a
// position record (see Disk), which Load reopens the file at.
func (b *Buffer) Save(path string) error {
	if b.frames.disk != nil {
		return b.savePosition(path)
	}
	if err := ckpt.WriteFile(path, b.Encode); err != nil {
		return fmt.Errorf("replay: saving %s: %w", path, err)
	}
	return nil
}

// Load replaces the buffer's contents with the buffer saved at path, reading
// into the buffer's own memory. The saved buffer must have the same Config
// (but for Disk). A disk buffer loads the position records its Save writes,
// reopening its file at their state without copying the frames, and also
// imports full files saved from memory; a buffer in memory refuses position
// records, whose frames are elsewhere. On
// any error (a missing, truncated, corrupted or foreign file, or another
// configuration) Load returns it, naming path, and leaves the buffer empty.
//
// If the saved buffer ended in an open episode, the next Add must continue
// it; a run that restarts its environment instead calls EndEpisode first.
func (b *Buffer) Load(path string) error {
	r, f, err := ckpt.Open(path)
	if err != nil {
		b.mu.Lock()
		b.reset()
		b.mu.Unlock()
		return fmt.Errorf("replay: loading %s: %w", path, err)
	}
	defer f.Close()
	if err := b.Decode(r); err != nil {
		return fmt.Errorf("replay: loading %s: %w", path, err)
	}
	return nil
}

// Encode writes the buffer's sections to w. The caller closes w.
func (b *Buffer) Encode(w *ckpt.Writer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := checkpointMeta{
		Format: checkpointFormat, Version: checkpointVersion, Config: b.cfg,
		Added: b.added, MaxPriority: b.maxP,
	}
	m.Config.Disk = nil // the same file whether the slots were in memory or on disk
	for _, st := range b.streams {
		m.Heads, m.Open = append(m.Heads, st.head), append(m.Open, st.open)
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := w.Bytes("replay.meta", meta); err != nil {
		return err
	}
	ranges, used := b.usedRanges()
	err = w.Section("replay.frames", int64(used)*b.frames.frameBytes(), func(x io.Writer) error {
		for _, r := range ranges {
			var err error
			if b.frames.disk != nil {
				for i := r.lo; i < r.hi && err == nil; i++ {
					_, err = x.Write(b.frames.bytes(i, false))
				}
			} else if b.frames.kind == Float32 {
				err = writeLE(x, b.frames.f32[r.lo*b.fsize:r.hi*b.fsize])
			} else {
				_, err = x.Write(b.frames.u8[r.lo*b.frames.stride : r.hi*b.frames.stride])
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.Section("replay.slots", int64(used)*slotMetaBytes, func(x io.Writer) error {
		var errs []error
		for _, r := range ranges {
			errs = append(errs, writeLE(x, b.actions[r.lo:r.hi]))
		}
		for _, r := range ranges {
			errs = append(errs, writeLE(x, b.rewards[r.lo:r.hi]))
		}
		for _, r := range ranges {
			errs = append(errs, writeLE(x, b.flags[r.lo:r.hi]))
		}
		for _, r := range ranges {
			errs = append(errs, writeLE(x, b.pos[r.lo:r.hi]))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return err
	}
	if err := b.writePriorities(w, ranges, used); err != nil {
		return err
	}
	if b.masks == nil {
		return nil
	}
	return w.Section("replay.masks", int64(used)*8, func(x io.Writer) error {
		var errs []error
		for _, r := range ranges {
			errs = append(errs, writeLE(x, b.masks[r.lo:r.hi]))
		}
		return errors.Join(errs...)
	})
}

// writePriorities writes the replay.priorities section of a prioritized
// buffer: the leaves of the used slots.
func (b *Buffer) writePriorities(w *ckpt.Writer, ranges []span, used int) error {
	if b.tree == nil {
		return nil
	}
	return w.Section("replay.priorities", int64(used)*8, func(x io.Writer) error {
		buf := make([]byte, 0, chunk)
		for _, r := range ranges {
			for _, nd := range b.tree.leaves()[r.lo:r.hi] {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(nd.sum))
				if len(buf) == chunk {
					if _, err := x.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
		}
		_, err := x.Write(buf)
		return err
	})
}

// span is the index range [lo, hi) of the slots a stream has used.
type span struct{ lo, hi int }

// usedRanges returns each stream's used slots and their total number.
func (b *Buffer) usedRanges() ([]span, int) {
	var r []span
	total := 0
	for _, st := range b.streams {
		u := int(min(st.head, b.n))
		r = append(r, span{st.base, st.base + u})
		total += u
	}
	return r, total
}

// chunk is the number of bytes converted at a time when streaming numbers.
const chunk = 1 << 16

// writeLE writes v little-endian in chunks.
func writeLE[T int32 | float32 | uint8 | uint64](w io.Writer, v []T) error {
	if len(v) == 0 {
		return nil
	}
	per := chunk / binary.Size(v[:1])
	buf := make([]byte, 0, chunk)
	for len(v) > 0 {
		n := min(per, len(v))
		var err error
		if buf, err = binary.Append(buf[:0], binary.LittleEndian, v[:n]); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// readLE fills v from r, little-endian, in chunks.
func readLE[T int32 | float32 | uint8 | uint64](r io.Reader, v []T) error {
	if len(v) == 0 {
		return nil
	}
	size := binary.Size(v[:1])
	per := chunk / size
	buf := make([]byte, chunk)
	for len(v) > 0 {
		n := min(per, len(v))
		if _, err := io.ReadFull(r, buf[:n*size]); err != nil {
			return err
		}
		if _, err := binary.Decode(buf[:n*size], binary.LittleEndian, v[:n]); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// Decode replaces the buffer's contents with the buffer in r, which must
// hold only the sections Encode writes, and verifies the container's checksum
// and the buffer's structure. On error the buffer is left empty.
func (b *Buffer) Decode(r *ckpt.Reader) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reset()
	if err := b.decode(r); err != nil {
		b.reset()
		return err
	}
	return nil
}

func (b *Buffer) decode(r *ckpt.Reader) error {
	first, _, err := r.Next()
	switch {
	case err == io.EOF:
		return errors.New("no replay.meta section: not a complete replay buffer file")
	case err != nil:
		return err
	case first == "replay.disk" && b.frames.disk == nil:
		return errors.New("a disk buffer's position record, whose frames are in that buffer's directory: load it into a buffer configured with that Disk")
	case first == "replay.disk":
		return b.decodePosition(r)
	}
	pending := true // the first section was read
	section := func(name string, size int64) error {
		got, n, err := first, int64(-1), error(nil)
		if !pending {
			got, n, err = r.Next()
		}
		pending = false
		switch {
		case err == io.EOF:
			return fmt.Errorf("no %s section: not a complete replay buffer file", name)
		case err != nil:
			return err
		case got != name:
			return fmt.Errorf("section %q where %s was expected: not a replay buffer file", got, name)
		case size >= 0 && n != size:
			return fmt.Errorf("section %s has %d bytes, want %d for this buffer", name, n, size)
		}
		return nil
	}
	if err := section("replay.meta", -1); err != nil {
		return err
	}
	raw, err := r.ReadAll(1 << 20)
	if err != nil {
		return fmt.Errorf("replay.meta: %w", err)
	}
	var m checkpointMeta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("replay.meta: %w", err)
	}
	switch {
	case m.Format != checkpointFormat:
		return fmt.Errorf("format %q, want %q", m.Format, checkpointFormat)
	case m.Version != checkpointVersion:
		return fmt.Errorf("replay format version %d, this build reads version %d", m.Version, checkpointVersion)
	}
	if d := configDiff(m.Config, b.cfg); d != "" {
		return fmt.Errorf("the saved buffer was made for another configuration: %s", d)
	}
	if err := b.setHeads("replay.meta", m.Heads, m.Open, m.Added, m.MaxPriority); err != nil {
		return err
	}
	ranges, used := b.usedRanges()

	if err := section("replay.frames", int64(used)*b.frames.frameBytes()); err != nil {
		return err
	}
	for _, rg := range ranges {
		if b.frames.disk != nil {
			for i := rg.lo; i < rg.hi && err == nil; i++ {
				_, err = io.ReadFull(r, b.frames.bytes(i, true))
			}
		} else if b.frames.kind == Float32 {
			err = readLE(r, b.frames.f32[rg.lo*b.fsize:rg.hi*b.fsize])
		} else {
			_, err = io.ReadFull(r, b.frames.u8[rg.lo*b.frames.stride:rg.hi*b.frames.stride])
		}
		if err != nil {
			return fmt.Errorf("replay.frames: %w", err)
		}
	}

	if err := section("replay.slots", int64(used)*slotMetaBytes); err != nil {
		return err
	}
	var errs []error
	for _, rg := range ranges {
		errs = append(errs, readLE(r, b.actions[rg.lo:rg.hi]))
	}
	for _, rg := range ranges {
		errs = append(errs, readLE(r, b.rewards[rg.lo:rg.hi]))
	}
	for _, rg := range ranges {
		errs = append(errs, readLE(r, b.flags[rg.lo:rg.hi]))
	}
	for _, rg := range ranges {
		errs = append(errs, readLE(r, b.pos[rg.lo:rg.hi]))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("replay.slots: %w", err)
	}
	if b.tree != nil {
		if err := section("replay.priorities", int64(used)*8); err != nil {
			return err
		}
		if err := b.readPriorities(r, ranges); err != nil {
			return err
		}
	}
	if b.masks != nil {
		if err := section("replay.masks", int64(used)*8); err != nil {
			return err
		}
		for _, rg := range ranges {
			if err := readLE(r, b.masks[rg.lo:rg.hi]); err != nil {
				return fmt.Errorf("replay.masks: %w", err)
			}
			for i, m := range b.masks[rg.lo:rg.hi] {
				if K := b.cfg.Masks.Heads; K < MaxHeads && m>>K != 0 {
					return fmt.Errorf("replay.masks: slot %d has mask %#x, more than %d heads", rg.lo+i, m, K)
				}
			}
		}
	}
	if err := endOfSections(r); err != nil {
		return err
	}
	// The checksum is verified: now check what the sections say.
	for s, o := range m.Open {
		b.streams[s].open = o
	}
	b.added, b.maxP = m.Added, m.MaxPriority
	if err := b.verify(); err != nil {
		return fmt.Errorf("inconsistent replay buffer: %w", err)
	}
	return nil
}

// readPriorities reads the payload of a replay.priorities section into the
// tree's leaves (provisionally: verify checks and rebuilds them).
func (b *Buffer) readPriorities(r io.Reader, ranges []span) error {
	buf := make([]byte, 8)
	for _, rg := range ranges {
		for k := range b.tree.leaves()[rg.lo:rg.hi] {
			if _, err := io.ReadFull(r, buf); err != nil {
				return fmt.Errorf("replay.priorities: %w", err)
			}
			b.tree.leaves()[rg.lo+k].sum = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		}
	}
	return nil
}

// endOfSections checks that r holds no more sections, and its checksum.
func endOfSections(r *ckpt.Reader) error {
	if name, _, err := r.Next(); err == nil {
		return fmt.Errorf("unexpected section %q after the replay buffer", name)
	} else if err != io.EOF {
		return err
	}
	return nil
}

// setHeads checks the counters of a saved buffer (from section sec) and sets
// the streams' heads, provisionally: they size the sections that follow.
func (b *Buffer) setHeads(sec string, heads []int64, open []bool, added int64, maxP float64) error {
	switch {
	case len(heads) != len(b.streams) || len(open) != len(b.streams):
		return fmt.Errorf("%s: %d heads and %d open flags for %d streams", sec, len(heads), len(open), len(b.streams))
	case added < 0:
		return fmt.Errorf("%s: added %d is negative", sec, added)
	case !(maxP >= 1 && maxP <= math.MaxFloat64):
		return fmt.Errorf("%s: max_priority %v, want a finite number ≥ 1", sec, maxP)
	}
	for s, h := range heads {
		switch {
		case h < 0:
			return fmt.Errorf("%s: stream %d's head %d is negative", sec, s, h)
		case h > math.MaxInt64/4/int64(len(b.streams)):
			return fmt.Errorf("%s: stream %d's head %d is beyond any run", sec, s, h)
		case open[s] && h == 0:
			return fmt.Errorf("%s: stream %d has an open episode but no slots", sec, s)
		}
		b.streams[s].head = h
	}
	return nil
}

// verify checks the structure of the live slots after a load, recomputes
// which transitions can be sampled, and rebuilds the priority trees.
func (b *Buffer) verify() error {
	b.valid = 0
	for s := range b.streams {
		if err := b.verifyStream(&b.streams[s]); err != nil {
			return fmt.Errorf("stream %d: %w", s, err)
		}
	}
	if b.tree == nil {
		return nil
	}
	p := b.cfg.Prioritized
	b.maxPAlpha = math.Pow(b.maxP, p.Alpha)
	for i := range b.tree.p {
		leaf := &b.tree.leaves()[i].sum
		switch {
		case i >= b.cfg.Capacity || b.flags[i]&fValid == 0:
			*leaf = 0
		case !(*leaf > 0 && *leaf <= math.MaxFloat64):
			return fmt.Errorf("slot index %d: priority %v, want a finite number > 0", i, *leaf)
		}
	}
	b.tree.rebuild()
	if math.IsInf(b.tree.total(), 0) {
		return errors.New("priorities sum to infinity")
	}
	return nil
}

// verifyStream checks one stream's slots, recomputes which of its
// transitions can be sampled and counts them.
func (b *Buffer) verifyStream(st *stream) error {
	tail := b.tail(st)
	for g := tail; g < st.head; g++ {
		i := b.slot(st, g)
		f := b.flags[i] &^ fValid
		b.flags[i] = f
		switch {
		case f&^fKnown != 0:
			return fmt.Errorf("slot %d: unknown flags %#x", g, f)
		case f != 0 && f&fStep == 0:
			return fmt.Errorf("slot %d: an episode end without a step", g)
		case f&fStep != 0 && g == st.head-1:
			return fmt.Errorf("slot %d: the newest slot holds a step without s′", g)
		case b.actions[i] < 0:
			return fmt.Errorf("slot %d: negative action %d", g, b.actions[i])
		case math.IsNaN(float64(b.rewards[i])) || math.IsInf(float64(b.rewards[i]), 0):
			return fmt.Errorf("slot %d: reward %v", g, b.rewards[i])
		}
		if g == tail {
			continue // its predecessor is gone
		}
		p := b.slot(st, g-1)
		if b.flags[p]&fStep != 0 {
			// g is the s′ of the step at g−1: the same episode, one step on.
			if want := min(b.pos[p], maxPos-1) + 1; b.pos[i] != want {
				return fmt.Errorf("slot %d: position %d in its episode, want %d", g, b.pos[i], want)
			}
			if b.flags[p]&fEnd != 0 && f != 0 {
				return fmt.Errorf("slot %d: a step after its episode's end", g)
			}
		} else if b.pos[i] != 0 {
			return fmt.Errorf("slot %d: an episode starts at position %d", g, b.pos[i])
		}
	}
	if st.head-2 >= tail {
		f := b.flags[b.slot(st, st.head-2)]
		if st.open && f&fEnd != 0 {
			return errors.New("the open episode's newest observation is a final one")
		}
		if !st.open && f&(fStep|fEnd) == fStep {
			return errors.New("no open episode, but the newest observation continues one")
		}
	}
	for g := tail; g < st.head; g++ {
		if b.isValid(st, g, tail, st.head) {
			b.flags[b.slot(st, g)] |= fValid
			b.valid++
		}
	}
	return nil
}

// configDiff names the first field in which the configurations a (saved) and
// b (the buffer's) differ, or returns "".
func configDiff(a, b Config) string {
	type field struct {
		name string
		a, b any
	}
	ma, mb := "none", "none"
	if a.Masks != nil {
		ma = fmt.Sprintf("%+v", *a.Masks)
	}
	if b.Masks != nil {
		mb = fmt.Sprintf("%+v", *b.Masks)
	}
	pa, pb := "uniform", "uniform"
	if a.Prioritized != nil {
		pa = fmt.Sprintf("%+v", *a.Prioritized)
	}
	if b.Prioritized != nil {
		pb = fmt.Sprintf("%+v", *b.Prioritized)
	}
	for _, f := range []field{
		{"obs_size", a.ObsSize, b.ObsSize},
		{"frame_stack", a.FrameStack, b.FrameStack},
		{"storage", a.Storage, b.Storage},
		{"capacity", a.Capacity, b.Capacity},
		{"gamma", a.Gamma, b.Gamma},
		{"n_step", a.NStep, b.NStep},
		{"streams", a.Streams, b.Streams},
		{"prioritized", pa, pb},
		{"masks", ma, mb},
	} {
		if f.a != f.b {
			return fmt.Sprintf("%s is %v in the file, %v in this buffer", f.name, f.a, f.b)
		}
	}
	return ""
}
