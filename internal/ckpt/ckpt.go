// Package ckpt is deepq's checkpoint container: a versioned sequence of named
// binary sections, guarded by a CRC-32C of every byte, written atomically.
//
// Layout (integers little-endian):
//
//	magic   "DEEPQCK\x00"                      8 bytes
//	version uint32                             format version, currently 1
//	then per section:
//	  tag   uint8 = 1
//	  name  uint16 length + bytes (1–255 bytes)
//	  size  uint64 payload length, then the payload
//	end:
//	  tag   uint8 = 0
//	  crc   uint32 CRC-32C (Castagnoli) of all preceding bytes
//
// A Reader checks every length against the bytes that remain and the CRC at
// the end, so a truncated, corrupted or foreign file is an error, never a panic
// or a huge allocation. Readers must treat what they decoded as provisional
// until Next returns io.EOF, which is when the checksum has been verified.
package ckpt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"

	"github.com/deepq/deepq/internal/atomicfile"
)

// Version is the container format version written by this package.
const Version = 1

var magic = [8]byte{'D', 'E', 'E', 'P', 'Q', 'C', 'K', 0}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrFormat is wrapped by every error about a malformed checkpoint.
var ErrFormat = errors.New("not a valid deepq checkpoint")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Writer writes a checkpoint container.
type Writer struct {
	bw  *bufio.Writer
	crc hash.Hash32
	err error
}

// NewWriter starts a container on w and writes its header.
func NewWriter(w io.Writer) *Writer {
	cw := &Writer{crc: crc32.New(castagnoli), bw: bufio.NewWriterSize(w, 1<<16)}
	cw.write(magic[:])
	cw.u32(Version)
	return cw
}

// Write adds p to the container and to its checksum.
func (w *Writer) write(p []byte) {
	if w.err == nil {
		w.crc.Write(p)
		_, w.err = w.bw.Write(p)
	}
}

func (w *Writer) u32(v uint32) { w.write(binary.LittleEndian.AppendUint32(nil, v)) }

// Section writes a section of exactly size bytes, produced by fill.
func (w *Writer) Section(name string, size int64, fill func(io.Writer) error) error {
	if len(name) == 0 || len(name) > 255 {
		return fmt.Errorf("ckpt: section name %q must have 1 to 255 bytes", name)
	}
	if size < 0 {
		return fmt.Errorf("ckpt: section %s: negative size", name)
	}
	w.write([]byte{1})
	w.write(binary.LittleEndian.AppendUint16(nil, uint16(len(name))))
	w.write([]byte(name))
	w.write(binary.LittleEndian.AppendUint64(nil, uint64(size)))
	if w.err != nil {
		return w.err
	}
	cw := &countWriter{w: w}
	if err := fill(cw); err != nil {
		w.err = err
		return err
	}
	if cw.n != size {
		w.err = fmt.Errorf("ckpt: section %s: wrote %d bytes, declared %d", name, cw.n, size)
	}
	return w.err
}

// Bytes writes a section holding b.
func (w *Writer) Bytes(name string, b []byte) error {
	return w.Section(name, int64(len(b)), func(x io.Writer) error {
		_, err := x.Write(b)
		return err
	})
}

// Close writes the end marker and checksum and flushes. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	w.write([]byte{0})
	if w.err != nil {
		return w.err
	}
	// The checksum covers everything before it, not itself.
	if _, err := w.bw.Write(binary.LittleEndian.AppendUint32(nil, w.crc.Sum32())); err != nil {
		return err
	}
	return w.bw.Flush()
}

// countWriter feeds a section's payload into the container and counts it.
type countWriter struct {
	w *Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.w.write(p)
	if c.w.err != nil {
		return 0, c.w.err
	}
	c.n += int64(len(p))
	return len(p), nil
}

// Reader reads a checkpoint container section by section.
type Reader struct {
	r       *bufio.Reader
	crc     hash.Hash32
	remain  int64 // bytes not yet read, when known; -1 otherwise
	section *io.LimitedReader
	done    bool
}

// NewReader checks the header of the container in r. size is the number of
// bytes r holds (e.g. the file size), or -1 if unknown; when known, section
// sizes are checked against it before anything is read.
func NewReader(r io.Reader, size int64) (*Reader, error) {
	cr := &Reader{crc: crc32.New(castagnoli), remain: size}
	cr.r = bufio.NewReaderSize(r, 1<<16)
	var hdr [12]byte
	if err := cr.full(hdr[:]); err != nil {
		return nil, formatErr("file too short for a header")
	}
	if [8]byte(hdr[:8]) != magic {
		return nil, formatErr("bad magic bytes")
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != Version {
		return nil, formatErr("format version %d, this build reads version %d", v, Version)
	}
	return cr, nil
}

// full reads exactly len(b) bytes into b and adds them to the checksum.
func (r *Reader) full(b []byte) error {
	if r.remain >= 0 && int64(len(b)) > r.remain {
		return io.ErrUnexpectedEOF
	}
	if _, err := io.ReadFull(r.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	r.crc.Write(b)
	if r.remain >= 0 {
		r.remain -= int64(len(b))
	}
	return nil
}

// Next skips what is left of the current section and returns the next
// section's name and size; its payload is read through Read. At the end of the
// container Next verifies the checksum and returns io.EOF, or an error if the
// file is damaged.
func (r *Reader) Next() (name string, size int64, err error) {
	if r.done {
		return "", 0, io.EOF
	}
	if r.section != nil && r.section.N > 0 {
		if _, err := io.Copy(io.Discard, r.section); err != nil {
			return "", 0, r.truncated(err)
		}
	}
	r.section = nil
	var tag [1]byte
	if err := r.full(tag[:]); err != nil {
		return "", 0, r.truncated(err)
	}
	switch tag[0] {
	case 0:
		want := r.crc.Sum32()
		var sum [4]byte
		if _, err := io.ReadFull(r.r, sum[:]); err != nil {
			return "", 0, formatErr("truncated before the checksum")
		}
		if got := binary.LittleEndian.Uint32(sum[:]); got != want {
			return "", 0, formatErr("checksum mismatch (file is corrupted)")
		}
		if n, _ := r.r.Read(make([]byte, 1)); n != 0 {
			return "", 0, formatErr("trailing bytes after the checksum")
		}
		r.done = true
		return "", 0, io.EOF
	case 1:
	default:
		return "", 0, formatErr("bad section tag %d", tag[0])
	}
	var n [2]byte
	if err := r.full(n[:]); err != nil {
		return "", 0, r.truncated(err)
	}
	nl := int(binary.LittleEndian.Uint16(n[:]))
	if nl == 0 || nl > 255 {
		return "", 0, formatErr("bad section name length %d", nl)
	}
	nb := make([]byte, nl)
	if err := r.full(nb); err != nil {
		return "", 0, r.truncated(err)
	}
	var sz [8]byte
	if err := r.full(sz[:]); err != nil {
		return "", 0, r.truncated(err)
	}
	s := binary.LittleEndian.Uint64(sz[:])
	if s > 1<<62 || (r.remain >= 0 && int64(s) > r.remain) {
		return "", 0, formatErr("section %q claims %d bytes, more than the file holds", nb, s)
	}
	r.section = &io.LimitedReader{R: readerFunc(r.readSection), N: int64(s)}
	return string(nb), int64(s), nil
}

func (r *Reader) truncated(err error) error {
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return formatErr("file is truncated")
	}
	return err
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func (r *Reader) readSection(p []byte) (int, error) {
	if r.remain >= 0 && int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	n, err := r.r.Read(p)
	r.crc.Write(p[:n])
	if r.remain >= 0 {
		r.remain -= int64(n)
	}
	if err == io.EOF && n == 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Read reads from the current section's payload.
func (r *Reader) Read(p []byte) (int, error) {
	if r.section == nil {
		return 0, io.EOF
	}
	n, err := r.section.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = formatErr("file is truncated")
	}
	return n, err
}

// ReadAll returns the current section's whole payload; it fails if the payload
// is larger than max bytes.
func (r *Reader) ReadAll(max int64) ([]byte, error) {
	if r.section == nil {
		return nil, errors.New("ckpt: no current section")
	}
	if r.section.N > max {
		return nil, formatErr("section of %d bytes, at most %d expected", r.section.N, max)
	}
	b := make([]byte, r.section.N)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, r.truncated(err)
	}
	return b, nil
}

// WriteFile writes a container to path atomically (see internal/atomicfile),
// so that path holds either the old or the new checkpoint, never a partial one.
// Its errors name path once.
func WriteFile(path string, fill func(*Writer) error) error {
	err := atomicfile.WriteFile(path, func(f io.Writer) error {
		w := NewWriter(f)
		if err := fill(w); err != nil {
			return err
		}
		return w.Close()
	})
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && pe.Path == path: // a file error, naming path
		return fmt.Errorf("ckpt: %w", err)
	}
	return fmt.Errorf("ckpt: writing %s: %w", path, err)
}

// Open opens the checkpoint file at path for reading and checks its header.
// Close the returned file when done. Its errors do not name path: the caller,
// which knows what the file is for, does ("checkpoint x.ckpt: not a valid
// deepq checkpoint: ..."). A missing file's error wraps fs.ErrNotExist.
func Open(path string) (*Reader, *os.File, error) {
	withoutPath := func(err error) error {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err // "no such file or directory"
		}
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, withoutPath(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, withoutPath(err)
	}
	switch {
	case st.IsDir():
		f.Close()
		return nil, nil, errors.New("a directory, not a regular file")
	case !st.Mode().IsRegular():
		f.Close()
		return nil, nil, errors.New("not a regular file")
	}
	r, err := NewReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f, nil
}
