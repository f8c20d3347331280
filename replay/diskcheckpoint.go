package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/deepq/deepq/internal/ckpt"
)

// A disk buffer's position record is a ckpt container with the sections
//
//	replay.disk        JSON: format, version, the Config, the file's path and id,
//	                   the segment layout, each stream's head and open flag,
//	                   added, max_priority
//	replay.segments    per logical segment (Capacity/S rounded up), 32 bytes:
//	                   physical segment i64 (−1: none), session u64, stamp u64,
//	                   CRC-32C of its scalars u32 and of its frames u32
//	replay.priorities  as in a full file; only for a prioritized buffer
//
// Its size is about 32 bytes per segment and 8 per slot when prioritized,
// never the frames: those stay in the buffer's file, where the record names
// them.

const (
	positionFormat  = "deepq-replay-disk"
	positionVersion = 1
	segRefBytes     = 32
)

type positionMeta struct {
	Format       string  `json:"format"`
	Version      int     `json:"version"`
	Config       Config  `json:"config"`
	File         string  `json:"file"`
	FileID       string  `json:"file_id"`
	SegmentSlots int     `json:"segment_slots"`
	SegmentBytes int64   `json:"segment_bytes"`
	Heads        []int64 `json:"heads"`
	Open         []bool  `json:"open"`
	Added        int64   `json:"added"`
	MaxPriority  float64 `json:"max_priority"`
}

// savePosition writes the changed segments to the buffer's file, syncs it,
// and writes the position record to path atomically. The record's segments
// are kept from then on (see Disk).
func (b *Buffer) savePosition(path string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.frames.disk
	if err := d.sync(); err != nil {
		return fmt.Errorf("replay: saving %s: %w", path, err)
	}
	m := append([]segRef(nil), d.cur...)
	meta := positionMeta{
		Format: positionFormat, Version: positionVersion, Config: b.cfg, File: d.path,
		FileID: fmt.Sprintf("%016x", d.id), SegmentSlots: d.S, SegmentBytes: d.segBytes,
		Added: b.added, MaxPriority: b.maxP,
	}
	for _, st := range b.streams {
		meta.Heads, meta.Open = append(meta.Heads, st.head), append(meta.Open, st.open)
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	err = ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		if err := w.Bytes("replay.disk", raw); err != nil {
			return err
		}
		err := w.Section("replay.segments", int64(len(m))*segRefBytes, func(x io.Writer) error {
			buf := make([]byte, 0, chunk)
			for _, r := range m {
				buf = binary.LittleEndian.AppendUint64(buf, uint64(r.phys))
				buf = binary.LittleEndian.AppendUint64(buf, r.session)
				buf = binary.LittleEndian.AppendUint64(buf, r.stamp)
				buf = binary.LittleEndian.AppendUint32(buf, r.crcScal)
				buf = binary.LittleEndian.AppendUint32(buf, r.crcFrm)
				if len(buf)+segRefBytes > chunk {
					if _, err := x.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
			_, err := x.Write(buf)
			return err
		})
		if err != nil {
			return err
		}
		ranges, used := b.usedRanges()
		return b.writePriorities(w, ranges, used)
	})
	if err != nil {
		return fmt.Errorf("replay: saving %s: %w", path, err)
	}
	d.keep(m, false)
	return nil
}

// decodePosition reopens the buffer's file at the position record in r,
// whose replay.disk section r has just entered. The buffer is empty.
func (b *Buffer) decodePosition(r *ckpt.Reader) error {
	d := b.frames.disk
	if d.file == nil {
		return errors.New("the buffer is closed")
	}
	raw, err := r.ReadAll(64 << 20)
	if err != nil {
		return fmt.Errorf("replay.disk: %w", err)
	}
	var m positionMeta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("replay.disk: %w", err)
	}
	switch {
	case m.Format != positionFormat:
		return fmt.Errorf("format %q, want %q", m.Format, positionFormat)
	case m.Version != positionVersion:
		return fmt.Errorf("replay position format version %d, this build reads version %d", m.Version, positionVersion)
	}
	if diff := configDiff(m.Config, b.cfg); diff != "" {
		return fmt.Errorf("the saved buffer was made for another configuration: %s", diff)
	}
	switch {
	case m.FileID != fmt.Sprintf("%016x", d.id):
		return fmt.Errorf("the record is of the replay file %s (id %s), but %s is another one (id %016x): configure the buffer with the directory the record was saved from",
			m.File, m.FileID, d.path, d.id)
	case m.SegmentSlots != d.S || m.SegmentBytes != d.segBytes:
		return fmt.Errorf("the record has segments of %d slots (%d bytes), this buffer %d (%d bytes)", m.SegmentSlots, m.SegmentBytes, d.S, d.segBytes)
	}
	if err := b.setHeads("replay.disk", m.Heads, m.Open, m.Added, m.MaxPriority); err != nil {
		return err
	}
	ranges, used := b.usedRanges()

	name, size, err := r.Next()
	switch want := int64(len(d.cur)) * segRefBytes; {
	case err == io.EOF:
		return errors.New("no replay.segments section: not a complete position record")
	case err != nil:
		return err
	case name != "replay.segments" || size != want:
		return fmt.Errorf("section %q of %d bytes where replay.segments of %d was expected", name, size, want)
	}
	refs := make([]segRef, len(d.cur))
	buf := make([]byte, segRefBytes)
	for L := range refs {
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("replay.segments: %w", err)
		}
		refs[L] = segRef{phys: int64(binary.LittleEndian.Uint64(buf)), session: binary.LittleEndian.Uint64(buf[8:]),
			stamp: binary.LittleEndian.Uint64(buf[16:]), crcScal: binary.LittleEndian.Uint32(buf[24:]), crcFrm: binary.LittleEndian.Uint32(buf[28:])}
	}
	if b.tree != nil {
		name, size, err := r.Next()
		switch {
		case err == io.EOF:
			return errors.New("no replay.priorities section: not a complete position record")
		case err != nil:
			return err
		case name != "replay.priorities" || size != int64(used)*8:
			return fmt.Errorf("section %q of %d bytes where replay.priorities of %d was expected", name, size, int64(used)*8)
		}
		if err := b.readPriorities(r, ranges); err != nil {
			return err
		}
	}
	if err := endOfSections(r); err != nil {
		return err
	}
	// The record is intact: now read the slots' scalars from the segments it
	// names, checking that each is the copy it saved.
	for L, ref := range refs {
		if ref.phys < -1 {
			return fmt.Errorf("replay.segments: segment %d at physical segment %d", L, ref.phys)
		}
		if ref.phys >= 0 {
			if err := d.readSegment(L, ref); err != nil {
				return err
			}
		}
	}
	for _, rg := range ranges {
		for L := rg.lo / d.S; L*d.S < rg.hi; L++ {
			if refs[L].phys < 0 {
				return fmt.Errorf("replay.segments: slots %d–%d are in use but the record names no segment for them", L*d.S, L*d.S+d.slotsIn(L)-1)
			}
		}
	}
	for s, o := range m.Open {
		b.streams[s].open = o
	}
	b.added, b.maxP = m.Added, m.MaxPriority
	copy(d.cur, refs)
	if err := b.verify(); err != nil {
		return fmt.Errorf("inconsistent replay buffer in %s: %w", d.path, err)
	}
	d.keep(refs, true)
	return nil
}
