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

// A saved SequenceBuffer is a ckpt container (versioned, CRC-32C over every
// byte, written atomically) with the sections, in this order, where U =
// min(added, Capacity) is the number of slots in use (always slots 0…U−1):
//
//	seqreplay.meta       JSON: format, version, the SequenceConfig, added, max_priority, and per stream its pending episode's first step, steps and next sequence
//	seqreplay.sequences  U·(T+1)·ObsSize observations (float32 LE), U·T actions (int32 LE), U·T rewards (float32 LE),
//	                     U·T terminal flags, U·T valid flags (bytes), U burn-ins (int32 LE), U·H of h then of c (float32 LE),
//	                     U priorities pᵢ^α (float64 LE)
//	seqreplay.pending    per stream with pending steps: its steps+1 observations, steps·H of h then of c, steps actions, steps rewards
//
// The pending steps are saved so that a resumed run cuts its open episodes
// into the same sequences as the uninterrupted run would.

const (
	seqCheckpointFormat  = "deepq-sequence-replay"
	seqCheckpointVersion = 1
)

type seqStreamMeta struct {
	First int `json:"first"`
	Steps int `json:"steps"`
	Next  int `json:"next"`
}

type seqCheckpointMeta struct {
	Format      string          `json:"format"`
	Version     int             `json:"version"`
	Config      SequenceConfig  `json:"config"`
	Added       int64           `json:"added"`
	MaxPriority float64         `json:"max_priority"`
	Streams     []seqStreamMeta `json:"streams"`
}

// Save writes the buffer to path atomically.
func (b *SequenceBuffer) Save(path string) error {
	if err := ckpt.WriteFile(path, b.Encode); err != nil {
		return fmt.Errorf("replay: saving %s: %w", path, err)
	}
	return nil
}

// Load replaces the buffer's contents with the buffer saved at path, which
// must have the same SequenceConfig. On any error (a missing, truncated,
// corrupted or foreign file, another configuration) Load returns it, naming
// path, and leaves the buffer empty.
//
// Streams saved mid-episode continue it with the next Add; a run that
// restarts its environments instead calls EndEpisode for each stream first.
func (b *SequenceBuffer) Load(path string) error {
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

// reset empties the buffer.
func (b *SequenceBuffer) reset() {
	b.added, b.maxP = 0, 1
	for s := range b.streams {
		b.streams[s] = pending{}
	}
	b.tree.clear()
}

// sizes returns the byte sizes of the sequences section for u slots and of
// the pending section.
func (b *SequenceBuffer) sizes(u int64) (seqs, pend int64) {
	T, d, H := int64(b.T), int64(b.cfg.ObsSize), int64(b.cfg.Hidden)
	seqs = u * ((T+1)*d*4 + T*(4+4+1+1) + 4 + 2*H*4 + 8)
	for _, p := range b.streams {
		if n := int64(p.steps); n > 0 {
			pend += (n+1)*d*4 + n*(2*H*4+4+4)
		}
	}
	return seqs, pend
}

// Encode writes the buffer's sections to w. The caller closes w.
func (b *SequenceBuffer) Encode(w *ckpt.Writer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := seqCheckpointMeta{Format: seqCheckpointFormat, Version: seqCheckpointVersion, Config: b.cfg, Added: b.added, MaxPriority: b.maxP}
	for _, p := range b.streams {
		m.Streams = append(m.Streams, seqStreamMeta{First: p.first, Steps: p.steps, Next: p.next})
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := w.Bytes("seqreplay.meta", meta); err != nil {
		return err
	}
	u := int(min(b.added, int64(b.cfg.Capacity)))
	T, d, H := b.T, b.cfg.ObsSize, b.cfg.Hidden
	seqs, pend := b.sizes(int64(u))
	err = w.Section("seqreplay.sequences", seqs, func(x io.Writer) error {
		prio := make([]byte, 0, 8*u)
		for _, nd := range b.tree.leaves()[:u] {
			prio = binary.LittleEndian.AppendUint64(prio, math.Float64bits(nd.sum))
		}
		err := errors.Join(
			writeLE(x, b.obs[:u*(T+1)*d]), writeLE(x, b.actions[:u*T]), writeLE(x, b.rewards[:u*T]),
			writeLE(x, b.terminated[:u*T]), writeLE(x, b.valid[:u*T]), writeLE(x, b.burnIn[:u]),
			writeLE(x, b.h[:u*H]), writeLE(x, b.c[:u*H]))
		if err != nil {
			return err
		}
		_, err = x.Write(prio)
		return err
	})
	if err != nil {
		return err
	}
	return w.Section("seqreplay.pending", pend, func(x io.Writer) error {
		var errs []error
		for _, p := range b.streams {
			if p.steps == 0 {
				continue
			}
			n := p.steps
			errs = append(errs, writeLE(x, p.obs[:(n+1)*d]), writeLE(x, p.h[:n*H]), writeLE(x, p.c[:n*H]),
				writeLE(x, p.acts[:n]), writeLE(x, p.rews[:n]))
		}
		return errors.Join(errs...)
	})
}

// Decode replaces the buffer's contents with the buffer in r, which must
// hold only the sections Encode writes, and verifies the checksum and the
// sequences' structure. On error the buffer is left empty.
func (b *SequenceBuffer) Decode(r *ckpt.Reader) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reset()
	if err := b.decode(r); err != nil {
		b.reset()
		return err
	}
	return nil
}

func (b *SequenceBuffer) decode(r *ckpt.Reader) error {
	section := func(name string, size int64) error {
		got, n, err := r.Next()
		switch {
		case err == io.EOF:
			return fmt.Errorf("no %s section: not a complete sequence replay file", name)
		case err != nil:
			return err
		case got != name:
			return fmt.Errorf("section %q where %s was expected: not a sequence replay file", got, name)
		case size >= 0 && n != size:
			return fmt.Errorf("section %s has %d bytes, want %d for this buffer", name, n, size)
		}
		return nil
	}
	if err := section("seqreplay.meta", -1); err != nil {
		return err
	}
	raw, err := r.ReadAll(1 << 20)
	if err != nil {
		return fmt.Errorf("seqreplay.meta: %w", err)
	}
	var m seqCheckpointMeta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("seqreplay.meta: %w", err)
	}
	cfg := b.cfg
	switch {
	case m.Format != seqCheckpointFormat:
		return fmt.Errorf("format %q, want %q", m.Format, seqCheckpointFormat)
	case m.Version != seqCheckpointVersion:
		return fmt.Errorf("sequence replay format version %d, this build reads version %d", m.Version, seqCheckpointVersion)
	case m.Config != cfg:
		return fmt.Errorf("the saved buffer was made for another configuration: %+v, this buffer has %+v", m.Config, cfg)
	case len(m.Streams) != len(b.streams):
		return fmt.Errorf("seqreplay.meta: %d streams, the buffer has %d", len(m.Streams), len(b.streams))
	case m.Added < 0 || m.Added > 1<<50:
		return fmt.Errorf("seqreplay.meta: added %d out of range", m.Added)
	case !(m.MaxPriority >= 1 && m.MaxPriority <= math.MaxFloat64):
		return fmt.Errorf("seqreplay.meta: max_priority %v, want a finite number ≥ 1", m.MaxPriority)
	}
	P, L := cfg.Period, cfg.Length
	for s, st := range m.Streams {
		// What Add leaves: the steps from the next sequence's burn-in on,
		// fewer than it needs to be stored.
		if st.Next < 0 || st.Next > 1<<40 || st.Steps < 0 || st.First != max(0, st.Next*P-cfg.BurnIn) || st.First+st.Steps >= st.Next*P+L {
			return fmt.Errorf("seqreplay.meta: stream %d's pending episode (first %d, steps %d, next %d) is not one Add leaves", s, st.First, st.Steps, st.Next)
		}
		b.streams[s].first, b.streams[s].steps, b.streams[s].next = st.First, st.Steps, st.Next
	}
	u := int(min(m.Added, int64(cfg.Capacity)))
	T, d, H := b.T, cfg.ObsSize, cfg.Hidden
	seqs, pend := b.sizes(int64(u))
	if err := section("seqreplay.sequences", seqs); err != nil {
		return err
	}
	err = errors.Join(
		readLE(r, b.obs[:u*(T+1)*d]), readLE(r, b.actions[:u*T]), readLE(r, b.rewards[:u*T]),
		readLE(r, b.terminated[:u*T]), readLE(r, b.valid[:u*T]), readLE(r, b.burnIn[:u]),
		readLE(r, b.h[:u*H]), readLE(r, b.c[:u*H]))
	if err != nil {
		return fmt.Errorf("seqreplay.sequences: %w", err)
	}
	buf := make([]byte, 8)
	for i := range u {
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("seqreplay.sequences: %w", err)
		}
		b.tree.leaves()[i].sum = math.Float64frombits(binary.LittleEndian.Uint64(buf))
	}
	if err := section("seqreplay.pending", pend); err != nil {
		return err
	}
	for s := range b.streams {
		p := &b.streams[s]
		n := p.steps
		if n == 0 {
			continue
		}
		p.obs, p.h, p.c = make([]float32, (n+1)*d), make([]float32, n*H), make([]float32, n*H)
		p.acts, p.rews = make([]int32, n), make([]float32, n)
		if err := errors.Join(readLE(r, p.obs), readLE(r, p.h), readLE(r, p.c), readLE(r, p.acts), readLE(r, p.rews)); err != nil {
			return fmt.Errorf("seqreplay.pending: %w", err)
		}
	}
	if name, _, err := r.Next(); err == nil {
		return fmt.Errorf("unexpected section %q after the sequence replay buffer", name)
	} else if err != io.EOF {
		return err
	}
	b.added, b.maxP = m.Added, m.MaxPriority
	if err := b.verify(u); err != nil {
		return fmt.Errorf("inconsistent sequence replay buffer: %w", err)
	}
	b.tree.rebuild()
	return nil
}

// verify checks the structure of the u stored sequences after a load: real
// rows first, at least one trained step, a terminal flag only on the last real
// row, non-negative actions, and positive finite priorities.
func (b *SequenceBuffer) verify(u int) error {
	T := b.T
	for i := range u {
		valid, term := b.valid[i*T:(i+1)*T], b.terminated[i*T:(i+1)*T]
		n := 0
		for n < T && valid[n] == 1 {
			n++
		}
		burn := int(b.burnIn[i])
		if burn < 0 || burn > b.cfg.BurnIn || n <= burn {
			return fmt.Errorf("sequence slot %d: burn-in %d with %d real steps", i, burn, n)
		}
		for t := range T {
			if (t >= n && (valid[t] != 0 || b.actions[i*T+t] != 0)) || term[t] > 1 || (term[t] == 1 && t != n-1) || b.actions[i*T+t] < 0 {
				return fmt.Errorf("sequence slot %d: step %d is malformed (valid %d, terminal %d, action %d)", i, t, valid[t], term[t], b.actions[i*T+t])
			}
		}
		if p := b.tree.leaves()[i].sum; !(p > 0 && p <= math.MaxFloat64) {
			return fmt.Errorf("sequence slot %d: priority %v, want a positive finite number", i, p)
		}
	}
	for s := range b.streams {
		for _, a := range b.streams[s].acts {
			if a < 0 {
				return fmt.Errorf("stream %d: pending action %d", s, a)
			}
		}
	}
	return nil
}
