package apex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/deepq/deepq/replay"

	"github.com/deepq/deepq/internal/half"
)

// Step flags of a Batch.
const (
	// StepTerminated: the step's next observation is terminal (no bootstrap).
	StepTerminated uint8 = 1 << iota
	// StepTruncated: the episode was cut at the step's next observation (a
	// time limit); the learner still bootstraps from it.
	StepTruncated
	// StepObs: the step's observation frame is sent before its next frame:
	// the first step of a batch and the first of each episode.
	StepObs
	// StepEpisodeStart: the observation is its episode's first (with frame
	// stacking, K copies of the frame sent).
	StepEpisodeStart

	stepKnown = StepTerminated | StepTruncated | StepObs | StepEpisodeStart
)

// Batch is a run of consecutive steps of one actor's env, as it goes on the
// wire: the newest frame of each observation (as the replay stores it, in
// its Storage) and, per step, the action, the reward (clipped as the learner
// learns from it), flags and the initial priority |δ| of the n-step
// transition starting at the step, computed by the actor.
//
// Frames holds, for step k in order, its observation's frame if
// Flags[k]&StepObs, then its next observation's frame: FrameSize elements
// each, so len(Frames) = FrameSize·(len(Actions) + #StepObs).
type Batch struct {
	Actor       int    // actor index i ∈ [0, N)
	Incarnation uint64 // differs between two runs of the same actor
	Seq         uint64 // batch number within the incarnation, from 0
	Version     int64  // parameter version the actor acted with

	Storage   replay.Storage
	FrameSize int

	Flags      []uint8
	Actions    []int32
	Rewards    []float32
	Priorities []float32
	Frames     []float32
}

// Wire layout (integers and floats little-endian):
//
//	magic "DQX1" | actor u16 | incarnation u64 | seq u64 | version i64 |
//	storage u8 | frame size u32 | steps u32 |
//	flags [n]u8 | actions [n]u16 | rewards [n]f32 | priorities [n]f32 |
//	frames, each in the storage's bytes: 4·F (float32), F (uint8), ⌈F/8⌉ (bits)
const (
	wireMagic  = "DQX1"
	headerSize = 4 + 2 + 8 + 8 + 8 + 1 + 4 + 4
	// StepBytes is the wire size of a step besides its frames.
	StepBytes = 1 + 2 + 4 + 4
	// MaxActions bounds the actions an env may have: actions go as uint16.
	MaxActions = math.MaxUint16 + 1
	// maxWireSteps bounds a batch's steps, against absurd allocations.
	maxWireSteps = 1 << 20
	maxFrameSize = 1 << 24
)

// frameBytes is the wire size of one frame of f elements in storage s.
func frameBytes(s replay.Storage, f int) int {
	switch s {
	case replay.Uint8:
		return f
	case replay.Bits:
		return (f + 7) / 8
	case replay.Float16, replay.BF16:
		return 2 * f
	}
	return 4 * f
}

// maxStorage is the last storage the wire knows.
const maxStorage = replay.BF16

// BytesPerTransition returns the wire bytes of a step that sends one frame
// (its next observation's): StepBytes + one frame.
func BytesPerTransition(s replay.Storage, frameSize int) int {
	return StepBytes + frameBytes(s, frameSize)
}

// numFrames returns the frames a batch's flags call for.
func numFrames(flags []uint8) int {
	n := len(flags)
	for _, f := range flags {
		if f&StepObs != 0 {
			n++
		}
	}
	return n
}

// check reports the first inconsistency of b: lengths, flags, values that
// the replay cannot take.
func (b *Batch) check() error {
	n := len(b.Flags)
	switch {
	case b.Actor < 0 || b.Actor > math.MaxUint16:
		return fmt.Errorf("actor index %d outside [0, 65535]", b.Actor)
	case b.FrameSize < 1 || b.FrameSize > maxFrameSize:
		return fmt.Errorf("frame size %d outside [1, %d]", b.FrameSize, maxFrameSize)
	case b.Storage > maxStorage:
		return fmt.Errorf("unknown storage %d", b.Storage)
	case n > maxWireSteps:
		return fmt.Errorf("%d steps, more than %d", n, maxWireSteps)
	case len(b.Actions) != n || len(b.Rewards) != n || len(b.Priorities) != n:
		return fmt.Errorf("%d flags, %d actions, %d rewards, %d priorities", n, len(b.Actions), len(b.Rewards), len(b.Priorities))
	case n > 0 && b.Flags[0]&StepObs == 0:
		return errors.New("the first step has no observation frame")
	case len(b.Frames) != b.FrameSize*numFrames(b.Flags):
		return fmt.Errorf("%d frame elements, want %d", len(b.Frames), b.FrameSize*numFrames(b.Flags))
	}
	for k := range n {
		f := b.Flags[k]
		switch {
		case f&^stepKnown != 0:
			return fmt.Errorf("step %d: unknown flags %#x", k, f)
		case f&StepEpisodeStart != 0 && f&StepObs == 0:
			return fmt.Errorf("step %d starts an episode but sends no observation", k)
		case k > 0 && b.Flags[k-1]&(StepTerminated|StepTruncated) != 0 && f&StepEpisodeStart == 0:
			return fmt.Errorf("step %d follows the end of an episode but does not start one", k)
		case b.Actions[k] < 0 || b.Actions[k] >= MaxActions:
			return fmt.Errorf("step %d: action %d outside [0, %d)", k, b.Actions[k], MaxActions)
		case !finite(b.Rewards[k]):
			return fmt.Errorf("step %d: reward %v is not finite", k, b.Rewards[k])
		case !finite(b.Priorities[k]) || b.Priorities[k] < 0:
			return fmt.Errorf("step %d: priority %v is not a finite |δ| ≥ 0", k, b.Priorities[k])
		}
	}
	for i, v := range b.Frames {
		if !finite(v) {
			return fmt.Errorf("frame element %d is %v", i, v)
		}
	}
	return nil
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Size returns the bytes of b on the wire.
func (b *Batch) Size() int {
	return headerSize + StepBytes*len(b.Flags) + numFrames(b.Flags)*frameBytes(b.Storage, b.FrameSize)
}

// AppendBinary appends b's wire form to dst. It returns an error, appending
// nothing, if b is inconsistent or a frame element does not fit its storage.
func (b *Batch) AppendBinary(dst []byte) ([]byte, error) {
	if err := b.check(); err != nil {
		return dst, fmt.Errorf("apex: batch: %w", err)
	}
	start := len(dst)
	le := binary.LittleEndian
	dst = append(dst, wireMagic...)
	dst = le.AppendUint16(dst, uint16(b.Actor))
	dst = le.AppendUint64(dst, b.Incarnation)
	dst = le.AppendUint64(dst, b.Seq)
	dst = le.AppendUint64(dst, uint64(b.Version))
	dst = append(dst, uint8(b.Storage))
	dst = le.AppendUint32(dst, uint32(b.FrameSize))
	dst = le.AppendUint32(dst, uint32(len(b.Flags)))
	dst = append(dst, b.Flags...)
	for _, a := range b.Actions {
		dst = le.AppendUint16(dst, uint16(a))
	}
	for _, r := range b.Rewards {
		dst = le.AppendUint32(dst, math.Float32bits(r))
	}
	for _, p := range b.Priorities {
		dst = le.AppendUint32(dst, math.Float32bits(p))
	}
	F := b.FrameSize
	for i := 0; i < len(b.Frames); i += F {
		var err error
		if dst, err = appendFrame(dst, b.Storage, b.Frames[i:i+F]); err != nil {
			return dst[:start], fmt.Errorf("apex: batch frame %d: %w", i/F, err)
		}
	}
	return dst, nil
}

// appendFrame appends frame in storage s: float32 LE, one byte per element,
// bits (element j is bit j%8 of byte j/8, least significant first), or the
// 16-bit LE encodings of float16 or bfloat16, rounded to nearest even.
func appendFrame(dst []byte, s replay.Storage, frame []float32) ([]byte, error) {
	switch s {
	case replay.Float32:
		for _, v := range frame {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case replay.Uint8:
		for j, v := range frame {
			u := uint8(int32(v))
			if float32(u) != v {
				return dst, fmt.Errorf("element %d is %v, not an integer in 0…255 (uint8 storage)", j, v)
			}
			dst = append(dst, u)
		}
	case replay.Bits:
		for k := 0; k < len(frame); k += 8 {
			var by byte
			for j, v := range frame[k:min(k+8, len(frame))] {
				switch v {
				case 0:
				case 1:
					by |= 1 << j
				default:
					return dst, fmt.Errorf("element %d is %v, not 0 or 1 (bits storage)", k+j, v)
				}
			}
			dst = append(dst, by)
		}
	case replay.Float16:
		for j, v := range frame {
			if !half.F16Fits(v) {
				return dst, fmt.Errorf("element %d is %v, beyond float16's range (|x| ≤ 65504)", j, v)
			}
			dst = binary.LittleEndian.AppendUint16(dst, half.F16Bits(v))
		}
	case replay.BF16:
		for j, v := range frame {
			if !half.BF16Fits(v) {
				return dst, fmt.Errorf("element %d is %v, beyond bfloat16's range", j, v)
			}
			dst = binary.LittleEndian.AppendUint16(dst, half.BF16Bits(v))
		}
	}
	return dst, nil
}

// UnmarshalBinary decodes a batch from its wire form, checking every length
// against the bytes given and every value (flags, actions, finite rewards,
// priorities and frames), so that the learner can add it to its replay
// without a panic. It reuses b's slices.
func (b *Batch) UnmarshalBinary(p []byte) error {
	if err := b.unmarshal(p); err != nil {
		return fmt.Errorf("apex: not a valid experience batch: %w", err)
	}
	return nil
}

func (b *Batch) unmarshal(p []byte) error {
	if len(p) < headerSize {
		return fmt.Errorf("%d bytes, shorter than the %d-byte header", len(p), headerSize)
	}
	if string(p[:4]) != wireMagic {
		return fmt.Errorf("magic %q, want %q", p[:4], wireMagic)
	}
	le := binary.LittleEndian
	b.Actor = int(le.Uint16(p[4:]))
	b.Incarnation = le.Uint64(p[6:])
	b.Seq = le.Uint64(p[14:])
	b.Version = int64(le.Uint64(p[22:]))
	b.Storage = replay.Storage(p[30])
	fs, n := le.Uint32(p[31:]), le.Uint32(p[35:])
	if b.Storage > maxStorage {
		return fmt.Errorf("unknown storage %d", p[30])
	}
	if fs < 1 || fs > maxFrameSize {
		return fmt.Errorf("frame size %d outside [1, %d]", fs, maxFrameSize)
	}
	if n > maxWireSteps {
		return fmt.Errorf("%d steps, more than %d", n, maxWireSteps)
	}
	b.FrameSize = int(fs)
	p = p[headerSize:]
	N := int(n)
	if len(p) < StepBytes*N {
		return fmt.Errorf("%d bytes for %d steps, want at least %d", len(p), N, StepBytes*N)
	}
	b.Flags = append(b.Flags[:0], p[:N]...)
	p = p[N:]
	b.Actions, b.Rewards, b.Priorities = b.Actions[:0], b.Rewards[:0], b.Priorities[:0]
	for k := range N {
		b.Actions = append(b.Actions, int32(le.Uint16(p[2*k:])))
	}
	p = p[2*N:]
	for k := range N {
		b.Rewards = append(b.Rewards, math.Float32frombits(le.Uint32(p[4*k:])))
	}
	p = p[4*N:]
	for k := range N {
		b.Priorities = append(b.Priorities, math.Float32frombits(le.Uint32(p[4*k:])))
	}
	p = p[4*N:]
	F, fb := b.FrameSize, frameBytes(b.Storage, b.FrameSize)
	nf := numFrames(b.Flags)
	if len(p) != nf*fb {
		return fmt.Errorf("%d bytes of frames, want %d (%d frames of %d bytes)", len(p), nf*fb, nf, fb)
	}
	b.Frames = b.Frames[:0]
	for range nf {
		fr := p[:fb]
		p = p[fb:]
		switch b.Storage {
		case replay.Float32:
			for j := range F {
				b.Frames = append(b.Frames, math.Float32frombits(le.Uint32(fr[4*j:])))
			}
		case replay.Uint8:
			for _, u := range fr {
				b.Frames = append(b.Frames, float32(u))
			}
		case replay.Bits:
			for j := range F {
				b.Frames = append(b.Frames, float32(fr[j/8]>>(j%8)&1))
			}
		case replay.Float16:
			for j := range F {
				b.Frames = append(b.Frames, half.F16(le.Uint16(fr[2*j:])))
			}
		case replay.BF16:
			for j := range F {
				b.Frames = append(b.Frames, half.BF16(le.Uint16(fr[2*j:])))
			}
		}
	}
	return b.check()
}

// Reset empties b's steps, keeping its header fields and memory.
func (b *Batch) Reset() {
	b.Flags, b.Actions, b.Rewards, b.Priorities, b.Frames = b.Flags[:0], b.Actions[:0], b.Rewards[:0], b.Priorities[:0], b.Frames[:0]
}

// Len returns the number of steps.
func (b *Batch) Len() int { return len(b.Flags) }
