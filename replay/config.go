package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
)

// Storage is how a buffer stores the elements of observation frames. The
// buffer takes and returns float32 observations; the storage decides how many
// bytes each element costs and which values it can hold exactly.
type Storage uint8

const (
	// Float32 stores any float32 value in 4 bytes (vector observations such
	// as CartPole's).
	Float32 Storage = iota
	// Uint8 stores the integers 0…255 in 1 byte (Atari-style grey frames).
	Uint8
	// Bits stores 0 and 1 in 1 bit, 8 to a byte (MinAtar's binary planes).
	Bits
	// Float16 stores any float32 value rounded to IEEE float16 in 2 bytes,
	// where memory is the limit: 11 significant bits, so a stored value is
	// within 2⁻¹¹ (0.049%) of the observation's for |x| ≥ 6.1·10⁻⁵ and within
	// 3·10⁻⁸ below; finite values of magnitude 65520 or more cannot be held.
	// Lossy: samples return the rounded observations.
	Float16
	// BF16 stores any float32 value rounded to bfloat16 in 2 bytes: 8
	// significant bits, within 2⁻⁸ (0.39%) relative at float32's whole range.
	// Lossy as Float16.
	BF16
)

var storageNames = [...]string{Float32: "float32", Uint8: "uint8", Bits: "bits", Float16: "float16", BF16: "bf16"}

// storageList names the storages for error messages.
const storageList = "float32, uint8, bits, float16 or bf16"

// String returns "float32", "uint8", "bits", "float16" or "bf16".
func (s Storage) String() string {
	if int(s) < len(storageNames) {
		return storageNames[s]
	}
	return fmt.Sprintf("Storage(%d)", uint8(s))
}

// MarshalText encodes s by name, for JSON configs.
func (s Storage) MarshalText() ([]byte, error) {
	if int(s) >= len(storageNames) {
		return nil, fmt.Errorf("replay: unknown storage %d", uint8(s))
	}
	return []byte(storageNames[s]), nil
}

// UnmarshalText decodes a storage name.
func (s *Storage) UnmarshalText(b []byte) error {
	for i, n := range storageNames {
		if string(b) == n {
			*s = Storage(i)
			return nil
		}
	}
	return fmt.Errorf("replay: unknown storage %q (want %s)", b, storageList)
}

// frameBytes returns the bytes one frame of n elements takes.
func (s Storage) frameBytes(n int) int64 {
	switch s {
	case Uint8:
		return int64(n)
	case Bits:
		return (int64(n) + 7) / 8
	case Float16, BF16:
		return 2 * int64(n)
	}
	return 4 * int64(n)
}

// Prioritized configures proportional prioritized replay (Schaul et al. 2016).
// Transition i is drawn with probability
//
//	P(i) = pᵢ^α / Σₖ pₖ^α,   pᵢ = |δᵢ| + Eps
//
// where δᵢ is its last TD error (new transitions get the largest p seen so
// far), and weighted in the loss by the importance-sampling weight
//
//	wᵢ = (N·P(i))^−β / maxⱼ wⱼ = (minₖ pₖ^α / pᵢ^α)^β
//
// over the N transitions in the buffer, with β annealed linearly from Beta0 to 1.
type Prioritized struct {
	// Alpha α ≥ 0 sets how strongly priorities skew sampling: 0 is uniform,
	// 1 fully proportional. Schaul et al. use 0.6.
	Alpha float64 `json:"alpha"`
	// Beta0 β₀ ∈ [0, 1] is the importance-sampling exponent at the start.
	// Schaul et al. use 0.4.
	Beta0 float64 `json:"beta0"`
	// BetaSteps is the number of transitions added (environment steps) over
	// which β rises linearly from Beta0 to 1: set it to the run's length.
	BetaSteps int64 `json:"beta_steps"`
	// Eps ε > 0 is added to |δ| so that no transition's priority is zero.
	Eps float64 `json:"eps"`
}

// DefaultPrioritized returns Schaul et al.'s proportional variant: α = 0.6,
// β₀ = 0.4 annealed to 1 over betaSteps steps, ε = 1e-6.
func DefaultPrioritized(betaSteps int64) *Prioritized {
	return &Prioritized{Alpha: 0.6, Beta0: 0.4, BetaSteps: betaSteps, Eps: 1e-6}
}

// Validate reports the first field that is out of range.
func (p *Prioritized) Validate() error {
	switch {
	case !(p.Alpha >= 0 && p.Alpha <= 10):
		return fmt.Errorf("replay: prioritized alpha must be in [0, 10], got %v", p.Alpha)
	case !(p.Beta0 >= 0 && p.Beta0 <= 1):
		return fmt.Errorf("replay: prioritized beta0 must be in [0, 1], got %v", p.Beta0)
	case p.BetaSteps < 1:
		return fmt.Errorf("replay: prioritized beta_steps must be at least 1, got %d", p.BetaSteps)
	case !(p.Eps > 0 && p.Eps < 1e6):
		return fmt.Errorf("replay: prioritized eps must be in (0, 1e6), got %v", p.Eps)
	}
	return nil
}

// Beta returns β after t transitions were added: β₀ + (1 − β₀)·min(1, t/BetaSteps).
func (p *Prioritized) Beta(t int64) float64 {
	return p.Beta0 + (1-p.Beta0)*math.Min(1, float64(t)/float64(p.BetaSteps))
}

// Config configures a Buffer. Start from DefaultConfig and change fields.
type Config struct {
	// Capacity is the number of observation slots, the unit of memory. Each
	// transition takes one slot, holding the observation it starts from; its
	// s′ is the next slot. Each episode takes one slot more, for its final
	// observation (which a truncated episode bootstraps from). A full buffer
	// thus holds Capacity − E transitions, E the number of episode ends in it:
	// 99.9% of Capacity with Atari's episodes of thousands of steps, 95% with
	// episodes of 20. When the buffer is full, the oldest slots are overwritten.
	Capacity int `json:"capacity"`
	// ObsSize is the number of float32 elements of one observation as the
	// agent sees it: FrameStack frames of ObsSize/FrameStack elements.
	ObsSize int `json:"obs_size"`
	// FrameStack K ≥ 1 is the number of frames an observation stacks, oldest
	// first (the layout of a frame-stack wrapper: K×C×H×W). With K > 1 the
	// buffer stores each frame once and rebuilds stacks when sampling, padding
	// the first K−1 steps of an episode with its first frame as the wrapper
	// does; an episode's first observation must be K copies of one frame.
	FrameStack int `json:"frame_stack"`
	// Storage is how frames are stored: Float32, Uint8 or Bits, which hold
	// the values they take exactly, or Float16 or BF16, which round them to
	// half the memory of Float32. Adding an observation that the storage
	// cannot hold (a non-integer in Uint8, a value above 65504 in Float16)
	// panics.
	Storage Storage `json:"storage"`
	// Gamma is the discount γ ∈ [0, 1].
	Gamma float64 `json:"gamma"`
	// NStep n ≥ 1 is the number of rewards in a sampled return,
	// R = Σₖ₌₀^{m−1} γᵏ r_{t+k} with m ≤ n, cut short at the episode's end.
	NStep int `json:"n_step"`
	// Streams is the number of environment copies adding steps (a vector
	// env's N), each with its own ring of Capacity/Streams slots; 1 for a
	// single env. Sampling draws from all of them.
	Streams int `json:"streams"`
	// Prioritized, if not nil, turns on prioritized replay; nil samples
	// uniformly.
	Prioritized *Prioritized `json:"prioritized,omitempty"`
	// Disk, if not nil, keeps the slots in files under Disk.Dir with a
	// bounded cache instead of memory; nil keeps them in memory.
	Disk *Disk `json:"disk,omitempty"`
	// Masks, if not nil, has the buffer store a bootstrap mask with each
	// transition (Bootstrapped DQN); nil stores none.
	Masks *Masks `json:"masks,omitempty"`
}

// Masks configures the bootstrap masks of Bootstrapped DQN (Osband et al.
// 2016): each transition gets a mask m ∈ {0, 1}^K, bit k set with
// probability P independently (m_k ~ Bernoulli(P)), and head k trains only on
// the transitions whose bit k is set. P = 1 gives every head every
// transition (the heads then differ only by their initialisation); P = 0.5 is
// the double-or-nothing bootstrap.
//
// The mask of the transition with index i (Batch.Indices) is drawn when it
// is added, from a PCG generator seeded with (Seed, i), and stored with it:
// it depends on nothing but the seed and the transition's place in the
// buffer's history, so a saved and reloaded buffer draws the same masks for
// the transitions still to come.
type Masks struct {
	// Heads is K ∈ [1, 64], the bits of a mask.
	Heads int `json:"heads"`
	// P ∈ (0, 1] is the probability of each bit.
	P float64 `json:"p"`
	// Seed seeds the masks' generator.
	Seed uint64 `json:"seed"`
}

// MaxHeads is the largest K a mask can hold (one bit per head in a uint64).
const MaxHeads = 64

// validate reports a field out of range.
func (m *Masks) validate(c Config) error {
	switch {
	case m.Heads < 1 || m.Heads > MaxHeads:
		return fmt.Errorf("replay: masks heads must be in [1, %d], got %d", MaxHeads, m.Heads)
	case !(m.P > 0 && m.P <= 1):
		return fmt.Errorf("replay: masks p must be in (0, 1], got %v", m.P)
	case c.Disk != nil:
		return fmt.Errorf("replay: bootstrap masks are kept in memory only; use them without disk storage")
	}
	return nil
}

// draw returns the mask of the transition with index i: bit k set with
// probability P, from a PCG generator seeded with (Seed, i). It allocates
// nothing.
func (m *Masks) draw(i int) uint64 {
	var src rand.PCG
	src.Seed(m.Seed, uint64(i))
	var mask uint64
	for k := range m.Heads {
		// A uniform float64 in [0, 1), as rand.Float64 makes it.
		if u := float64(src.Uint64()<<11>>11) / (1 << 53); u < m.P {
			mask |= 1 << k
		}
	}
	return mask
}

// DefaultConfig returns a uniform one-step buffer of 100,000 float32
// observations of obsSize elements from one env, with γ = 0.99.
func DefaultConfig(obsSize int) Config {
	return Config{Capacity: 100_000, ObsSize: obsSize, FrameStack: 1, Storage: Float32, Gamma: 0.99, NStep: 1, Streams: 1}
}

// maxBytes bounds the memory a buffer may take (1 TiB), to catch a
// misconfiguration before it tries to allocate.
const maxBytes = 1 << 40

// Validate reports the first field that is out of range.
func (c Config) Validate() error {
	switch {
	case c.ObsSize < 1:
		return fmt.Errorf("replay: obs_size must be at least 1, got %d", c.ObsSize)
	case c.FrameStack < 1 || c.FrameStack > 64:
		return fmt.Errorf("replay: frame_stack must be in [1, 64], got %d", c.FrameStack)
	case c.ObsSize%c.FrameStack != 0:
		return fmt.Errorf("replay: obs_size %d is not a multiple of frame_stack %d", c.ObsSize, c.FrameStack)
	case int(c.Storage) >= len(storageNames):
		return fmt.Errorf("replay: unknown storage %d", uint8(c.Storage))
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return fmt.Errorf("replay: gamma must be in [0, 1], got %v", c.Gamma)
	case c.NStep < 1 || c.NStep > 1000:
		return fmt.Errorf("replay: n_step must be in [1, 1000], got %d", c.NStep)
	case c.Streams < 1 || c.Streams > 1<<16:
		return fmt.Errorf("replay: streams must be in [1, 65536], got %d", c.Streams)
	case c.Capacity%c.Streams != 0:
		return fmt.Errorf("replay: capacity %d is not a multiple of streams %d", c.Capacity, c.Streams)
	case c.Capacity/c.Streams < c.FrameStack+c.NStep:
		return fmt.Errorf("replay: capacity %d is too small: each of the %d streams needs frame_stack + n_step = %d slots for one transition",
			c.Capacity, c.Streams, c.FrameStack+c.NStep)
	case max(dataBytes(c), MemoryBytes(c)) > maxBytes:
		return fmt.Errorf("replay: capacity %d of %d-element observations needs %d bytes, more than the 1 TiB limit",
			c.Capacity, c.ObsSize, dataBytes(c))
	}
	if c.Prioritized != nil {
		if err := c.Prioritized.Validate(); err != nil {
			return err
		}
	}
	if c.Masks != nil {
		if err := c.Masks.validate(c); err != nil {
			return err
		}
	}
	if c.Disk != nil {
		return c.Disk.validate(c)
	}
	return nil
}

// frameSize returns the number of elements of one frame.
func (c Config) frameSize() int { return c.ObsSize / max(c.FrameStack, 1) }

// slotMetaBytes is the storage of a slot besides its frame: action (int32),
// reward (float32), flags and position in the episode (one byte each).
const slotMetaBytes = 4 + 4 + 1 + 1

// MemoryBytes returns the bytes a buffer with configuration c allocates (all
// at once, in New): Capacity slots of one frame and the scalars, plus the sum
// and min trees when prioritized. With Disk, the frames are in files and the
// memory holds the scalars, the trees and the cache of segments instead (see
// Disk). It allocates nothing itself.
func MemoryBytes(c Config) int64 {
	if c.Capacity < 1 || c.ObsSize < 1 {
		return 0
	}
	n := int64(c.Capacity)
	fb := c.Storage.frameBytes(c.frameSize())
	per := fb + slotMetaBytes
	if n > math.MaxInt64/4/per {
		return math.MaxInt64 // does not fit any machine; Validate rejects it
	}
	total := n * per
	if c.Masks != nil {
		total += n * 8
	}
	if c.Disk != nil {
		// Scalars, the cached segments, and per segment its entry in the
		// current and two kept maps (32 bytes each), its cache index and its
		// owner (4 bytes each).
		segs := (n + int64(c.Disk.segmentSlots(c)) - 1) / int64(c.Disk.segmentSlots(c))
		total = n*slotMetaBytes + c.Disk.cacheSegments(c)*int64(c.Disk.segmentSlots(c))*fb + segs*(3*32+4+4)
	}
	if c.Prioritized != nil {
		total += 2 * 2 * int64(treeLeaves(c.Capacity)) * 8 // sum and min trees of float64
	}
	return total
}

// dataBytes returns the bytes of the slots' frames and scalars, in memory or on disk.
func dataBytes(c Config) int64 {
	if c.Capacity < 1 || c.ObsSize < 1 {
		return 0
	}
	per := c.Storage.frameBytes(c.frameSize()) + slotMetaBytes
	if int64(c.Capacity) > math.MaxInt64/4/per {
		return math.MaxInt64
	}
	return int64(c.Capacity) * per
}

// Disk keeps a buffer's slots in a file under Dir instead of memory, so that
// a buffer may be larger than memory. The file, Dir/frames.dat, holds the
// slots in segments of SegmentBytes (frames and their scalars); the process
// keeps a cache of CacheBytes of segments, the scalars (10 bytes a slot, read
// by every sample's n-step logic) and the priority trees. Its resident memory
// is thus MemoryBytes(cfg), whatever Capacity; the operating system's page
// cache may hold more of the file, as it holds any file read.
//
// The file is the buffer: Save writes a small position record (counters,
// episode bookkeeping, the segment map and the priorities), not the frames,
// and Load reopens the file at a record's state. Segments that a record
// refers to are never overwritten while it is one of the last two saved, so a
// killed run reopens at either of its last two records exactly. The file
// grows by the segments rewritten since the second-to-last Save (at most to
// three times the buffer's size).
//
// Disk storage samples exactly as memory storage does: the same adds and the
// same generator give the same batches and priorities, bit for bit. A read or
// write error of the file in Add or Sample (a full disk, a failing device),
// or frames whose checksum fails when read, panics naming the file: the
// buffer cannot go on without its data. Save and Load return errors.
type Disk struct {
	// Dir is the directory of the buffer's file (created if missing). One
	// buffer uses a directory at a time.
	Dir string `json:"dir"`
	// CacheBytes bounds the frames the process holds: whole segments, at
	// least 2.
	CacheBytes int64 `json:"cache_bytes"`
	// SegmentBytes is the target size of a segment, the unit of reading and
	// writing: as many slots as fit with a 64-byte header, the segment rounded
	// up to 4 KiB. 0 chooses 8 slots or 4 KiB, whichever is larger: 8 Atari
	// frames (56 KiB), or 67 slots of MinAtar's 10×10×4 bits. A sample that
	// misses the cache reads a whole segment, so small segments suit random
	// sampling; large ones keep the segment map (32 bytes a segment) small.
	SegmentBytes int64 `json:"segment_bytes,omitempty"`
}

// File returns the path of the buffer's file, Dir/frames.dat.
func (d *Disk) File() string { return filepath.Join(d.Dir, diskFileName) }

// DefaultCacheBytes is the cache of DefaultDisk: 256 MiB.
const DefaultCacheBytes = 256 << 20

// DefaultDisk returns a Disk in dir with a cache of 256 MiB and segments of
// 8 slots or 4 KiB, whichever is larger.
func DefaultDisk(dir string) *Disk {
	return &Disk{Dir: dir, CacheBytes: DefaultCacheBytes}
}

// segHeaderBytes is the header of each segment in the file.
const segHeaderBytes = 64

// segmentSlots returns the slots of one segment of c: as many as fit
// SegmentBytes with the header, at least 1.
func (d *Disk) segmentSlots(c Config) int {
	per := c.Storage.frameBytes(c.frameSize()) + slotMetaBytes
	target := d.SegmentBytes
	if target == 0 {
		target = max(4096, segHeaderBytes+8*per)
	}
	s := (target - segHeaderBytes) / per
	return int(max(1, min(s, int64(c.Capacity))))
}

// cacheSegments returns the number of segments the cache holds.
func (d *Disk) cacheSegments(c Config) int64 {
	s := int64(d.segmentSlots(c))
	seg := s * c.Storage.frameBytes(c.frameSize())
	all := (int64(c.Capacity) + s - 1) / s
	return min(all, d.CacheBytes/max(seg, 1))
}

func (d *Disk) validate(c Config) error {
	fb := c.Storage.frameBytes(c.frameSize())
	switch {
	case d.Dir == "":
		return fmt.Errorf("replay: disk storage needs a directory")
	case d.SegmentBytes != 0 && (d.SegmentBytes < 4096 || d.SegmentBytes > 1<<30):
		return fmt.Errorf("replay: disk segment_bytes must be 0 (automatic) or in [4096, 1 GiB], got %d", d.SegmentBytes)
	case d.CacheBytes < 2*int64(d.segmentSlots(c))*fb:
		return fmt.Errorf("replay: disk cache_bytes %d is less than 2 segments of %d slots of %d-byte frames (%d bytes)",
			d.CacheBytes, d.segmentSlots(c), fb, 2*int64(d.segmentSlots(c))*fb)
	}
	return nil
}
