package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A failing write leaves the old file and no temporary one.
	boom := errors.New("boom")
	if err := WriteFile(path, func(w io.Writer) error { io.WriteString(w, "partial"); return boom }); err != boom {
		t.Fatalf("err %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file holds %q, want new", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", fi.Mode().Perm())
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("directory holds %d files, want 1", len(left))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// TestErrorsNameThePath: the errors of WriteFile's own steps name the path
// it was given, never its temporary file, and unwrap to the cause.
func TestErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing", "out.gif")
	err := WriteFile(path, func(io.Writer) error { return nil })
	want := "create " + path + ": no such file or directory"
	if err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("into a missing directory: %v, want %s", err, want)
	}
	// A directory where the file should go: the rename fails.
	busy := filepath.Join(dir, "busy")
	os.MkdirAll(filepath.Join(busy, "x"), 0o755)
	err = WriteFile(busy, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if err == nil || !strings.HasPrefix(err.Error(), "rename "+busy+": ") || strings.Contains(err.Error(), ".tmp-") {
		t.Fatalf("over a directory: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("temporary file left behind: %v", left)
	}
}
