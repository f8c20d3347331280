package replay

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sync"
	"syscall"
	"time"
)

// The file of a disk buffer, Dir/frames.dat (integers little-endian):
//
//	header      4096 bytes: magic "DQRDISK\x00", version u32, id u64 (random,
//	            names this file), frame bytes u32, segment slots S u32,
//	            segment bytes u64, capacity u64, CRC-32C u32 of the 44 bytes before
//	segment p   at 4096 + p·(segment bytes), p = 0, 1, …: a copy of logical
//	            segment L (slots L·S … L·S+S−1 of the buffer's arrays) as it
//	            was when written:
//	  header    64 bytes: magic "DQRSEG\x00\x00", file id u64, L u64,
//	            session u64, stamp u64, CRC-32C of the scalars u32, of the
//	            frames u32, slots u32, CRC-32C u32 of the header bytes before
//	  scalars   m actions (int32), m rewards (float32), m flags, m positions
//	            (m ≤ S slots in the segment; fValid is not stored)
//	  frames    at 64 + 10·S: m frames as stored
//
// Physical segments are written copy-on-write: a logical segment's copy that
// a saved record refers to is never overwritten while that record is one of
// the last two; its next version goes to a free physical segment. (session,
// stamp) names each write uniquely, so a record can tell its copy from a
// later one in the same place.

const (
	diskFileName    = "frames.dat"
	diskFileVersion = 1
	diskHeaderBytes = 4096
)

var (
	diskMagic = [8]byte{'D', 'Q', 'R', 'D', 'I', 'S', 'K', 0}
	segMagic  = [8]byte{'D', 'Q', 'R', 'S', 'E', 'G', 0, 0}
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// segRef names the copy of a logical segment in the file: its physical
// segment (−1: never written), the write that made it and its checksums.
type segRef struct {
	phys            int64
	session, stamp  uint64
	crcScal, crcFrm uint32
}

var noSeg = segRef{phys: -1}

// diskStore keeps a buffer's frames in segments of frames.dat behind a cache
// of whole segments (CLOCK replacement, write-back), and writes each segment
// with its slots' scalars, which the buffer keeps in memory too.
type diskStore struct {
	path     string
	file     *os.File
	id       uint64
	session  uint64
	stamp    uint64
	fb       int   // bytes per frame
	S        int   // slots per segment
	segBytes int64 // bytes per physical segment
	capacity int

	// The buffer's scalar arrays, written with each segment.
	actions []int32
	rewards []float32
	flags   []uint8
	pos     []uint8

	cur   []segRef   // logical segment → its newest copy in the file
	kept  [][]segRef // the segment maps of the last records saved or loaded, oldest first (at most 2)
	owner []int32    // physical segment → the logical segment whose copy cur or kept names there, or −1 (free)
	free  []int64    // free physical segments
	nphys int64      // physical segments in the file

	cache   []cacheEntry
	where   []int32 // logical segment → cache entry, or −1
	hand    int     // CLOCK hand
	scratch []byte  // segment header and scalars being written or read

	claimed []int32    // prefetch's scratch: the entries it reads
	errs    []string   // prefetch's errors by entry
	jobs    chan int32 // prefetch's entries to read, to its reader goroutines
	wg      sync.WaitGroup

	// The entry of the last frame access, if it still holds segment lastSeg,
	// whose first slot is lastLo.
	last    *cacheEntry
	lastSeg int32
	lastLo  int
}

type cacheEntry struct {
	seg    int32 // logical segment held, −1 none
	data   []byte
	dirty  bool
	used   bool // CLOCK reference bit
	pinned bool // being read by prefetch: not to be evicted
}

// openDisk opens (creating if needed) the file of a disk buffer of cfg and
// locks it. An existing file must have the same layout; its segments are free
// until Load reopens them at a record's state.
func openDisk(cfg Config, b *Buffer) (*diskStore, error) {
	dc := cfg.Disk
	if err := os.MkdirAll(dc.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("replay: disk storage: %w", err)
	}
	d := &diskStore{
		path:     dc.File(),
		fb:       int(cfg.Storage.frameBytes(cfg.frameSize())),
		S:        dc.segmentSlots(cfg),
		capacity: cfg.Capacity,
		actions:  b.actions, rewards: b.rewards, flags: b.flags, pos: b.pos,
	}
	d.segBytes = (segHeaderBytes + int64(d.S)*(int64(d.fb)+slotMetaBytes) + 4095) / 4096 * 4096
	nseg := (cfg.Capacity + d.S - 1) / d.S
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("replay: disk storage: %w", err)
	}
	d.session = binary.LittleEndian.Uint64(nonce[8:])
	f, err := os.OpenFile(d.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("replay: disk storage: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("replay: %s is in use by another buffer (%v); give each buffer its own directory", d.path, err)
	}
	d.file = f
	if err := d.openHeader(binary.LittleEndian.Uint64(nonce[:8])); err != nil {
		f.Close()
		return nil, err
	}
	d.cur = make([]segRef, nseg)
	d.where = make([]int32, nseg)
	for i := range d.cur {
		d.cur[i], d.where[i] = noSeg, -1
	}
	d.owner = make([]int32, d.nphys)
	d.recount()
	d.cache = make([]cacheEntry, dc.cacheSegments(cfg))
	for i := range d.cache {
		d.cache[i] = cacheEntry{seg: -1, data: make([]byte, d.S*d.fb)}
	}
	d.scratch = make([]byte, segHeaderBytes+d.S*slotMetaBytes)
	d.last, d.lastSeg = &cacheEntry{seg: -1}, -2
	return d, nil
}

// openHeader writes the header of a new file (named by id), or checks an
// existing file's and counts its segments.
func (d *diskStore) openHeader(id uint64) error {
	st, err := d.file.Stat()
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	h := make([]byte, diskHeaderBytes)
	want := binary.LittleEndian.AppendUint32(nil, diskFileVersion)
	want = binary.LittleEndian.AppendUint64(want, 0) // id, compared apart
	want = binary.LittleEndian.AppendUint32(want, uint32(d.fb))
	want = binary.LittleEndian.AppendUint32(want, uint32(d.S))
	want = binary.LittleEndian.AppendUint64(want, uint64(d.segBytes))
	want = binary.LittleEndian.AppendUint64(want, uint64(d.capacity))
	if st.Size() == 0 {
		d.id = id
		copy(h, diskMagic[:])
		copy(h[8:], want)
		binary.LittleEndian.PutUint64(h[12:], id)
		binary.LittleEndian.PutUint32(h[44:], crc32.Checksum(h[:44], crcTable))
		if _, err := d.file.WriteAt(h, 0); err != nil {
			return fmt.Errorf("replay: writing %s: %w", d.path, err)
		}
		return nil
	}
	if _, err := d.file.ReadAt(h, 0); err != nil {
		return fmt.Errorf("replay: %s is too short for a replay file header (%d bytes)", d.path, st.Size())
	}
	switch {
	case [8]byte(h[:8]) != diskMagic:
		return fmt.Errorf("replay: %s is not a deepq replay file (bad magic bytes); use an empty directory", d.path)
	case crc32.Checksum(h[:44], crcTable) != binary.LittleEndian.Uint32(h[44:]):
		return fmt.Errorf("replay: %s: header checksum mismatch (the file is corrupted)", d.path)
	case binary.LittleEndian.Uint32(h[8:]) != diskFileVersion:
		return fmt.Errorf("replay: %s is version %d, this build reads version %d", d.path, binary.LittleEndian.Uint32(h[8:]), diskFileVersion)
	}
	got := h[8:44]
	d.id = binary.LittleEndian.Uint64(got[4:])
	binary.LittleEndian.PutUint64(got[4:], 0)
	if string(got) != string(want) {
		return fmt.Errorf("replay: %s holds a buffer of capacity %d in segments of %d slots of %d-byte frames; this one has capacity %d in segments of %d slots of %d-byte frames: use another directory or remove the file",
			d.path, binary.LittleEndian.Uint64(got[28:]), binary.LittleEndian.Uint32(got[16:]), binary.LittleEndian.Uint32(got[12:]),
			d.capacity, d.S, d.fb)
	}
	// The last segment may end short of segBytes (its unused slots are not
	// written).
	d.nphys = (max(st.Size()-diskHeaderBytes, 0) + d.segBytes - 1) / d.segBytes
	return nil
}

func (d *diskStore) offset(p int64) int64 { return diskHeaderBytes + p*d.segBytes }

// slotsIn returns the number of slots of logical segment L.
func (d *diskStore) slotsIn(L int) int { return min(d.S, d.capacity-L*d.S) }

// fail panics on an I/O error in the middle of Add or Sample, which cannot go
// on without their data.
func (d *diskStore) fail(op string, err error) {
	panic(fmt.Sprintf("replay: %s %s: %v", op, d.path, err))
}

// frame returns the stored bytes of slot i's frame, reading its segment into
// the cache if needed; write marks the segment changed (for the frame or the
// slot's scalars).
func (d *diskStore) frame(i int, write bool) []byte {
	c := d.last
	if i < d.lastLo || i >= d.lastLo+d.S || c.seg != d.lastSeg {
		// Not the segment of the last access (a stack's frames and s′ are
		// usually in one), or it was evicted since.
		L := i / d.S
		e := d.where[L]
		if e < 0 {
			e = d.load(L)
		}
		c = &d.cache[e]
		d.last, d.lastSeg, d.lastLo = c, int32(L), L*d.S
	}
	c.used = true
	if write {
		c.dirty = true
	}
	off := (i - d.lastLo) * d.fb
	return c.data[off : off+d.fb]
}

// touch marks slot i's segment changed: its scalars changed.
func (d *diskStore) touch(i int) { d.frame(i, true) }

// load reads logical segment L's frames into a cache entry and returns the
// entry.
func (d *diskStore) load(L int) int32 {
	e := d.claim(L)
	if err := d.read(e); err != "" {
		panic(err)
	}
	return e
}

// claim gives logical segment L the cache entry the CLOCK hand stops at,
// writing the segment it held if changed; the entry's data is read next.
func (d *diskStore) claim(L int) int32 {
	if d.file == nil {
		panic("replay: use of a disk buffer after Close")
	}
	var e int
	for {
		e = d.hand
		d.hand = (d.hand + 1) % len(d.cache)
		c := &d.cache[e]
		if c.pinned {
			continue
		}
		if c.seg < 0 || !c.used {
			break
		}
		c.used = false
	}
	c := &d.cache[e]
	if c.seg >= 0 {
		if c.dirty {
			d.write(e)
		}
		d.where[c.seg] = -1
	}
	c.seg, c.dirty, c.used = int32(L), false, false
	d.where[L] = int32(e)
	return int32(e)
}

// read fills entry e with its segment's frames from the file and checks
// them, returning what went wrong ("" if nothing). Entries may be read
// concurrently.
func (d *diskStore) read(e int32) string {
	c := &d.cache[e]
	L := int(c.seg)
	buf := c.data[:d.slotsIn(L)*d.fb]
	r := d.cur[L]
	if r.phys < 0 {
		clear(buf)
		return ""
	}
	if _, err := d.file.ReadAt(buf, d.offset(r.phys)+segHeaderBytes+int64(d.S)*slotMetaBytes); err != nil {
		return fmt.Sprintf("replay: reading %s: %v", d.path, err)
	}
	if got := crc32.Checksum(buf, crcTable); got != r.crcFrm {
		return fmt.Sprintf("replay: %s: the frames of segment %d (slots %d–%d, at physical segment %d) fail their checksum (%#x, written as %#x): the file changed under the buffer",
			d.path, L, L*d.S, L*d.S+d.slotsIn(L)-1, r.phys, got, r.crcFrm)
	}
	return ""
}

// prefetch reads the logical segments segs that are not in the cache, up to
// half the cache: one after another while they come from the page cache,
// in parallel once one waited on the device (a cold batch's reads wait on
// it together instead of one after another). It changes no data: a sample
// reads the same frames with or without it.
func (d *diskStore) prefetch(segs []int32) {
	d.claimed = d.claimed[:0]
	for _, L := range segs {
		if len(d.claimed) >= len(d.cache)/2 {
			break
		}
		if d.where[L] < 0 {
			e := d.claim(int(L))
			d.cache[e].pinned = true // not a victim of this prefetch's next claims
			d.claimed = append(d.claimed, e)
		}
	}
	defer func() {
		for _, e := range d.claimed {
			d.cache[e].pinned = false
		}
	}()
	// From the page cache a read takes microseconds, about what waking a
	// reader costs: the caller reads alone while reads are that fast. A read
	// that took longer waited on the device: the rest go to the readers too,
	// to wait on it together.
	n := 0
	for n < len(d.claimed) {
		start := time.Now()
		if err := d.read(d.claimed[n]); err != "" {
			panic(err)
		}
		n++
		if time.Since(start) > slowRead {
			break
		}
	}
	rest := d.claimed[n:]
	if len(rest) == 0 {
		return
	}
	if d.jobs == nil {
		d.errs = make([]string, len(d.cache))
		d.jobs = make(chan int32, len(d.cache))
		for range readers {
			go d.reader(d.jobs)
		}
	}
	d.wg.Add(len(rest))
	for _, e := range rest {
		d.jobs <- e
	}
	// Read along with the readers: from the page cache, reading is
	// memory-bound, and on a busy machine the readers may not run at once.
	for more := true; more; {
		select {
		case e := <-d.jobs:
			d.errs[e] = d.read(e)
			d.wg.Done()
		default:
			more = false
		}
	}
	d.wg.Wait()
	for _, e := range rest {
		if err := d.errs[e]; err != "" {
			panic(err)
		}
	}
}

// readers is the number of goroutines prefetch reads with.
const readers = 8

// slowRead is the time a segment's read takes beyond which prefetch reads
// the others in parallel: a 4 KiB to 64 KiB read from the page cache (and
// its checksum) takes 2–20 µs, one from an SSD 50 µs or more. (A variable
// for the tests of the parallel reads.)
var slowRead = 40 * time.Microsecond

// reader reads the entries sent on jobs until it is closed (by close).
func (d *diskStore) reader(jobs <-chan int32) {
	for e := range jobs {
		d.errs[e] = d.read(e)
		d.wg.Done()
	}
}

// retained reports whether a kept record's map names physical segment p as
// logical segment L's copy.
func (d *diskStore) retained(L int, p int64) bool {
	for _, m := range d.kept {
		if m[L].phys == p {
			return true
		}
	}
	return false
}

// write writes cache entry e's segment with its scalars: over its current
// copy, or, if a kept record refers to that copy, to a free physical segment.
func (d *diskStore) write(e int) {
	c := &d.cache[e]
	L := int(c.seg)
	m := d.slotsIn(L)
	lo := L * d.S
	sc := d.scratch[segHeaderBytes : segHeaderBytes+m*slotMetaBytes]
	for j := range m {
		binary.LittleEndian.PutUint32(sc[4*j:], uint32(d.actions[lo+j]))
		binary.LittleEndian.PutUint32(sc[4*m+4*j:], math.Float32bits(d.rewards[lo+j]))
		sc[8*m+j] = d.flags[lo+j] &^ fValid
		sc[9*m+j] = d.pos[lo+j]
	}
	old := d.cur[L]
	p := old.phys
	if p < 0 || d.retained(L, p) {
		p = d.alloc()
	}
	d.stamp++
	r := segRef{phys: p, session: d.session, stamp: d.stamp,
		crcScal: crc32.Checksum(sc, crcTable), crcFrm: crc32.Checksum(c.data[:m*d.fb], crcTable)}
	d.putHeader(d.scratch[:segHeaderBytes], L, r, m)
	if _, err := d.file.WriteAt(d.scratch[:segHeaderBytes+m*slotMetaBytes], d.offset(p)); err != nil {
		d.fail("writing", err)
	}
	if _, err := d.file.WriteAt(c.data[:m*d.fb], d.offset(p)+segHeaderBytes+int64(d.S)*slotMetaBytes); err != nil {
		d.fail("writing", err)
	}
	d.owner[p] = int32(L)
	d.cur[L] = r
	if old.phys >= 0 && old.phys != p && !d.retained(L, old.phys) {
		d.owner[old.phys] = -1
		d.free = append(d.free, old.phys)
	}
	c.dirty = false
}

func (d *diskStore) putHeader(h []byte, L int, r segRef, m int) {
	copy(h, segMagic[:])
	binary.LittleEndian.PutUint64(h[8:], d.id)
	binary.LittleEndian.PutUint64(h[16:], uint64(L))
	binary.LittleEndian.PutUint64(h[24:], r.session)
	binary.LittleEndian.PutUint64(h[32:], r.stamp)
	binary.LittleEndian.PutUint32(h[40:], r.crcScal)
	binary.LittleEndian.PutUint32(h[44:], r.crcFrm)
	binary.LittleEndian.PutUint32(h[48:], uint32(m))
	binary.LittleEndian.PutUint32(h[52:], crc32.Checksum(h[:52], crcTable))
	clear(h[56:segHeaderBytes])
}

// alloc returns a free physical segment, growing the file if none is.
func (d *diskStore) alloc() int64 {
	if n := len(d.free); n > 0 {
		p := d.free[n-1]
		d.free = d.free[:n-1]
		return p
	}
	d.owner = append(d.owner, -1)
	d.nphys++
	return d.nphys - 1
}

// recount recomputes which physical segments cur and kept use, and the free
// list (lowest first out).
func (d *diskStore) recount() {
	for p := range d.owner {
		d.owner[p] = -1
	}
	for _, m := range append([][]segRef{d.cur}, d.kept...) {
		for L, r := range m {
			if r.phys >= 0 {
				d.owner[r.phys] = int32(L)
			}
		}
	}
	d.free = d.free[:0]
	for p := d.nphys - 1; p >= 0; p-- {
		if d.owner[p] < 0 {
			d.free = append(d.free, p)
		}
	}
}

// sync writes every changed segment in the cache and flushes the file to the
// device, so that cur describes what the file holds.
func (d *diskStore) sync() error {
	if d.file == nil {
		return errors.New("the buffer is closed")
	}
	for e := range d.cache {
		if c := &d.cache[e]; c.seg >= 0 && c.dirty {
			d.write(e)
		}
	}
	if err := d.file.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", d.path, err)
	}
	return nil
}

// keep records that a record with segment map m was saved or loaded: its
// copies stay until two newer records are saved.
func (d *diskStore) keep(m []segRef, only bool) {
	if only {
		d.kept = d.kept[:0]
	}
	d.kept = append(d.kept, m)
	if len(d.kept) > 2 {
		d.kept = d.kept[len(d.kept)-2:]
	}
	d.recount()
}

// reset forgets the buffer's contents: the cache is dropped unwritten and no
// logical segment has a copy (the kept records' copies stay).
func (d *diskStore) reset() {
	for e := range d.cache {
		d.cache[e].seg, d.cache[e].dirty, d.cache[e].used = -1, false, false
	}
	for L := range d.cur {
		d.cur[L], d.where[L] = noSeg, -1
	}
	d.recount()
}

// dropCache writes the changed segments and empties the cache, and with
// kernel asks the kernel to drop the file's pages from its page cache (for
// measuring reads from the device).
func (d *diskStore) dropCache(kernel bool) error {
	if err := d.sync(); err != nil {
		return err
	}
	for e := range d.cache {
		if c := &d.cache[e]; c.seg >= 0 {
			d.where[c.seg] = -1
			c.seg, c.used = -1, false
		}
	}
	if !kernel {
		return nil
	}
	const fadvDontneed = 4
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, d.file.Fd(), 0, 0, fadvDontneed, 0, 0); errno != 0 {
		return fmt.Errorf("fadvise %s: %w", d.path, errno)
	}
	return nil
}

// readSegment reads and checks the header and scalars of the copy r of
// logical segment L into the buffer's arrays.
func (d *diskStore) readSegment(L int, r segRef) error {
	where := fmt.Sprintf("%s: segment %d (slots %d–%d) at physical segment %d", d.path, L, L*d.S, L*d.S+d.slotsIn(L)-1, r.phys)
	if r.phys >= d.nphys {
		return fmt.Errorf("%s: beyond the end of the file (%d segments): the file was truncated or belongs to another run", where, d.nphys)
	}
	m := d.slotsIn(L)
	buf := d.scratch[:segHeaderBytes+m*slotMetaBytes]
	if _, err := d.file.ReadAt(buf, d.offset(r.phys)); errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: the file ends inside the segment: it was truncated", where)
	} else if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	h := buf[:segHeaderBytes]
	switch {
	case [8]byte(h[:8]) != segMagic || crc32.Checksum(h[:52], crcTable) != binary.LittleEndian.Uint32(h[52:]):
		return fmt.Errorf("%s: no valid segment header there (never written, or corrupted)", where)
	case binary.LittleEndian.Uint64(h[8:]) != d.id:
		return fmt.Errorf("%s: the segment belongs to another replay file", where)
	case binary.LittleEndian.Uint64(h[16:]) != uint64(L) ||
		binary.LittleEndian.Uint64(h[24:]) != r.session || binary.LittleEndian.Uint64(h[32:]) != r.stamp:
		return fmt.Errorf("%s: overwritten after this record was saved (it now holds segment %d of write %x/%d, the record wants write %x/%d); only a run's last two saved records can be reopened",
			where, binary.LittleEndian.Uint64(h[16:]), binary.LittleEndian.Uint64(h[24:]), binary.LittleEndian.Uint64(h[32:]), r.session, r.stamp)
	case binary.LittleEndian.Uint32(h[40:]) != r.crcScal || binary.LittleEndian.Uint32(h[44:]) != r.crcFrm ||
		binary.LittleEndian.Uint32(h[48:]) != uint32(m):
		return fmt.Errorf("%s: the segment header disagrees with the record's checksums", where)
	}
	sc := buf[segHeaderBytes:]
	if got := crc32.Checksum(sc, crcTable); got != r.crcScal {
		return fmt.Errorf("%s: the slots' scalars fail their checksum (%#x, written as %#x): the file is corrupted", where, got, r.crcScal)
	}
	lo := L * d.S
	for j := range m {
		d.actions[lo+j] = int32(binary.LittleEndian.Uint32(sc[4*j:]))
		d.rewards[lo+j] = math.Float32frombits(binary.LittleEndian.Uint32(sc[4*m+4*j:]))
		d.flags[lo+j] = sc[8*m+j]
		d.pos[lo+j] = sc[9*m+j]
	}
	return nil
}

// close releases the file and its lock.
func (d *diskStore) close() error {
	if d.file == nil {
		return nil
	}
	if d.jobs != nil {
		close(d.jobs)
		d.jobs = nil
	}
	err := d.file.Close()
	d.file = nil
	return err
}
