// Package atomicfile replaces files atomically: readers of the path see the
// old content or the new, never a partial file, and a failure leaves the old
// file untouched.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes path through write: into a temporary file in path's
// directory (buffered), which is synced, given mode 0644 and renamed over
// path. If write or any step fails, the temporary file is removed. An error
// of write is returned as it is; an error of a file step (creating, writing,
// syncing, renaming) is an *fs.PathError naming path, never the temporary
// file, e.g. "create out/x.gif: no such file or directory".
func WriteFile(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return pathError("create", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(fileWriter{f, path})
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		return pathError("chmod", path, err)
	}
	if err = f.Sync(); err != nil {
		return pathError("sync", path, err)
	}
	if err = f.Close(); err != nil {
		return pathError("close", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return pathError("rename", path, err)
	}
	// The rename is durable once the directory is synced.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// fileWriter writes to the temporary file; its errors name path.
type fileWriter struct {
	f    *os.File
	path string
}

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = pathError("write", w.path, err)
	}
	return n, err
}

// pathError returns err, an error about the temporary file (or the rename of
// it), as an error of op on path.
func pathError(op, path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}
