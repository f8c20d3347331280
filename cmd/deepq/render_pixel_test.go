//go:build pixel

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/deepq/deepq/viz"
)

// TestMain runs the tests inside viz.Main, as main does, so that --render
// can open its window.
func TestMain(m *testing.M) {
	code := 0
	viz.Main(func() { code = m.Run() })
	os.Exit(code)
}

// TestTrainAndPlayRender trains with the window open, then plays the
// checkpoint in it in real time (needs an X server: CI runs it under Xvfb).
func TestTrainAndPlayRender(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		if os.Getenv("DEEPQ_XVFB") != "" {
			t.Fatal("no DISPLAY")
		}
		t.Skip("no DISPLAY: run under xvfb-run")
	}
	dir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI("train", "--render", "--render-fps", "60", "--steps", "3000", "--out", dir, "--progress", "none", "--metrics-addr", "")
	if code != 0 {
		t.Fatalf("train --render: exit %d: %s", code, stderr)
	}
	ckpt := filepath.Join(dir, "final.ckpt")
	if _, err := os.Stat(ckpt); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, stdout, stderr := runCLI("play", "--render", "--checkpoint", ckpt, "--episodes", "1")
	if code != 0 {
		t.Fatalf("play --render: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`played 1 episode\(s\) of cartpole with greedy policy of .*, returns (\d+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("play --render printed %q", stdout)
	}
	// CartPole's reward is 1 a step: the return is the episode's length,
	// played in real time at 50 steps a second.
	n, _ := strconv.Atoi(m[1])
	if min := time.Duration(n-1) * time.Second / 50; time.Since(start) < min {
		t.Fatalf("%d steps played in %v, faster than real time (%v)", n, time.Since(start), min)
	}
}
