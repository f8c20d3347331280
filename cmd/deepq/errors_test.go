package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsNamePathsOnce: an error about a file names it once, as given.
func TestErrorsNamePathsOnce(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.ckpt")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--checkpoint", empty}, "deepq eval: checkpoint " + empty + ": not a valid deepq checkpoint: file too short for a header\n"},
		{[]string{"eval", "--checkpoint", filepath.Join(dir, "missing.ckpt")}, "deepq eval: checkpoint " + filepath.Join(dir, "missing.ckpt") + ": no such file or directory\n"},
		{[]string{"eval", "--checkpoint", dir}, "deepq eval: checkpoint " + dir + ": a directory, not a regular file\n"},
		{[]string{"play", "--gif", filepath.Join(dir, "g.gif"), "--checkpoint", empty}, "deepq play: checkpoint " + empty + ": not a valid deepq checkpoint: file too short for a header\n"},
		{[]string{"train", "--resume", empty, "--metrics-addr", ""}, "deepq train: checkpoint " + empty + ": not a valid deepq checkpoint: file too short for a header\n"},
	} {
		code, _, e := runCLI(c.args...)
		if code == 0 || e != c.want {
			t.Errorf("deepq %s: exit %d, stderr\n%s\nwant\n%s", strings.Join(c.args, " "), code, e, c.want)
		}
	}
}
