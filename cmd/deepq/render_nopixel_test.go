//go:build !pixel

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderWithoutPixel: the default build says how to get the window and
// leaves no run directory behind.
func TestRenderWithoutPixel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	for _, args := range [][]string{
		{"train", "--render", "--out", out},
		{"play", "--render"},
	} {
		code, _, stderr := runCLI(args...)
		if code != 1 || !strings.Contains(stderr, "go run -tags pixel ./cmd/deepq train --render") ||
			!strings.Contains(stderr, "libgl1-mesa-dev") {
			t.Errorf("deepq %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("run directory %s exists after the error", out)
	}
}
