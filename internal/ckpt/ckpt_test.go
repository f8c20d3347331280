package ckpt

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/sections.ckpt")

// sample is the content of testdata/sections.ckpt.
var sample = []struct {
	name    string
	payload []byte
}{
	{"meta", []byte(`{"format":"test"}`)},
	{"empty", nil},
	{"weights", bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 300)},
}

func writeSample(t testing.TB, path string) {
	err := WriteFile(path, func(w *Writer) error {
		for _, s := range sample {
			if err := w.Bytes(s.name, s.payload); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readAll reads every section of a container of n bytes.
func readAll(r io.Reader, n int64) (map[string][]byte, []string, error) {
	cr, err := NewReader(r, n)
	if err != nil {
		return nil, nil, err
	}
	got := map[string][]byte{}
	var order []string
	for {
		name, _, err := cr.Next()
		if err == io.EOF {
			return got, order, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if got[name], err = cr.ReadAll(1 << 20); err != nil {
			return nil, nil, err
		}
		order = append(order, name)
	}
}

func golden(t testing.TB) []byte {
	path := filepath.Join("testdata", "sections.ckpt")
	if *update {
		writeSample(t, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.ckpt")
	writeSample(t, path)
	b, _ := os.ReadFile(path)
	if !bytes.Equal(b, golden(t)) {
		t.Fatal("the container's bytes differ from testdata/sections.ckpt")
	}
	for _, size := range []int64{int64(len(b)), -1} {
		got, order, err := readAll(bytes.NewReader(b), size)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(order, ",") != "meta,empty,weights" {
			t.Fatalf("sections %v", order)
		}
		for _, s := range sample {
			if !bytes.Equal(got[s.name], s.payload) {
				t.Fatalf("section %s differs", s.name)
			}
		}
	}
	// Open checks a real file.
	r, f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if name, size, err := r.Next(); name != "meta" || size != int64(len(sample[0].payload)) || err != nil {
		t.Fatalf("first section %q %d %v", name, size, err)
	}
	// Skipping a section's payload is allowed.
	if name, _, _ := r.Next(); name != "empty" {
		t.Fatalf("second section %q", name)
	}
}

// TestDamage: every truncation and every single-byte change is an error
// wrapping ErrFormat, never a panic.
func TestDamage(t *testing.T) {
	b := golden(t)
	for n := range len(b) {
		if _, _, err := readAll(bytes.NewReader(b[:n]), int64(n)); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
		if _, _, err := readAll(bytes.NewReader(b[:n]), -1); err == nil {
			t.Fatalf("truncated to %d bytes, size unknown: no error", n)
		}
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if _, _, err := readAll(bytes.NewReader(c), int64(len(c))); err == nil {
			t.Fatalf("byte %d flipped: no error", i)
		}
	}
	if _, _, err := readAll(bytes.NewReader(append(bytes.Clone(b), 0)), int64(len(b)+1)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	v := bytes.Clone(b)
	v[8] = 2
	if _, _, err := readAll(bytes.NewReader(v), int64(len(v))); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("wrong version: %v", err)
	}
}

// TestHugeSection: a section claiming more bytes than the file holds is an
// error before anything is allocated.
func TestHugeSection(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Bytes("x", []byte("abc"))
	w.Close()
	b := buf.Bytes()
	// The size field of section "x" follows tag (1), name length (2), name (1).
	off := 12 + 1 + 2 + 1
	for i := range 8 {
		b[off+i] = 0x7f
	}
	if _, _, err := readAll(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrFormat) {
		t.Fatalf("huge section: %v", err)
	}
	r, _ := NewReader(bytes.NewReader(b), -1)
	if _, _, err := r.Next(); err != nil {
		return // rejected outright
	}
	if _, err := r.ReadAll(1 << 20); err == nil {
		t.Fatal("huge section read without a limit error")
	}
}

// TestWriteFileAtomic: a failed fill leaves the old file in place and no
// temporary file behind.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.ckpt")
	writeSample(t, path)
	before, _ := os.ReadFile(path)
	err := WriteFile(path, func(w *Writer) error {
		w.Bytes("partial", []byte("…"))
		return errors.New("disk on fire")
	})
	if err == nil {
		t.Fatal("fill error not returned")
	}
	after, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if !bytes.Equal(before, after) || len(entries) != 1 {
		t.Fatalf("old checkpoint damaged or temporary left: %d entries", len(entries))
	}
}

// FuzzReader feeds arbitrary bytes, seeded from testdata, to the Reader: it
// must return errors, never panic, and never read a payload larger than the
// input.
func FuzzReader(f *testing.F) {
	b := golden(f)
	f.Add(b, true)
	f.Add(b[:len(b)/2], false)
	f.Fuzz(func(t *testing.T, b []byte, sized bool) {
		size := int64(-1)
		if sized {
			size = int64(len(b))
		}
		got, _, err := readAll(bytes.NewReader(b), size)
		if err != nil {
			return
		}
		total := 0
		for _, p := range got {
			total += len(p)
		}
		if total > len(b) {
			t.Fatalf("%d payload bytes from a %d-byte input", total, len(b))
		}
	})
}

// TestOpenErrorsLeaveThePathToTheCaller: Open's errors do not name the path,
// which its callers (agent.LoadCheckpoint, replay.Buffer.Load) put in front,
// so that no message repeats it; they still say what is wrong.
func TestOpenErrorsLeaveThePathToTheCaller(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.ckpt")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		path, want string
		is         error
	}{
		{filepath.Join(dir, "missing.ckpt"), "no such file or directory", os.ErrNotExist},
		{empty, "not a valid deepq checkpoint: file too short for a header", ErrFormat},
		{dir, "a directory, not a regular file", nil},
	} {
		_, f, err := Open(c.path)
		if err == nil {
			f.Close()
			t.Fatalf("Open(%s): no error", c.path)
		}
		if err.Error() != c.want || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("Open(%s): %v, want %q (wrapping %v)", c.path, err, c.want, c.is)
		}
	}
}

// TestWriteFileErrorNamesThePath: writing into a missing directory is an
// error naming the path once, not the temporary file's.
func TestWriteFileErrorNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "x.ckpt")
	err := WriteFile(path, func(w *Writer) error { return w.Bytes("a", nil) })
	if err == nil || strings.Count(err.Error(), path) != 1 || strings.Contains(err.Error(), ".tmp-") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteFile into a missing directory: %v", err)
	}
}
