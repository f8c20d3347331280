package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderFlags: mistakes in the window's flags are usage errors, found
// before any window or run directory.
func TestRenderFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--render-every", "3", "--out", out}, "--render-every needs --render"},
		{[]string{"train", "--render-fps", "10", "--out", out}, "--render-fps needs --render"},
		{[]string{"train", "--render", "--render-every", "2", "--render-fps", "10", "--out", out}, "exclude each other"},
		{[]string{"train", "--render", "--render-every", "0", "--out", out}, "--render-every must be at least 1"},
		{[]string{"train", "--render", "--render-fps", "0", "--out", out}, "--render-fps must be from 1 to 60"},
		{[]string{"train", "--render", "--render-fps", "120", "--out", out}, "--render-fps must be from 1 to 60"},
		{[]string{"train", "--render", "--render-speed", "2", "--out", out}, "needs --render-every"},
		{[]string{"train", "--render", "--render-every", "5", "--render-speed", "-1", "--out", out}, "--render-speed must be"},
		{[]string{"train", "--render", "--render-size", "big", "--out", out}, "--render-size"},
		{[]string{"train", "--render", "--render-close", "maybe", "--out", out}, "--render-close must be continue or stop"},
		{[]string{"play", "--speed", "2", "--gif", filepath.Join(dir, "x.gif")}, "--speed needs --render"},
		{[]string{"play", "--render", "--speed", "100"}, "--speed must be"},
		{[]string{"play"}, "--gif is required (or --render to watch)"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("deepq %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "run*")); len(m) > 0 {
		t.Fatalf("a bad flag left %v behind", m)
	}
}
