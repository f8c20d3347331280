package main

import (
	"bytes"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
)

func readGIF(t *testing.T, path string) *gif.GIF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

func TestPlayRandom(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "cp.gif")
	code, stdout, stderr := runCLI("play", "--gif", out, "--env", "cartpole", "--episodes", "2", "--seed", "4", "--size", "120x80")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	g := readGIF(t, out)
	if g.Config.Width != 120 || g.Config.Height != 80 || len(g.Image) < 10 {
		t.Fatalf("GIF %dx%d with %d frames", g.Config.Width, g.Config.Height, len(g.Image))
	}
	if !strings.Contains(stdout, "2 episode(s) of cartpole with random actions") {
		t.Errorf("summary %q", stdout)
	}
	// The same seed writes the same file; another seed another.
	again := filepath.Join(dir, "again.gif")
	runCLI("play", "--gif", again, "--env", "cartpole", "--episodes", "2", "--seed", "4", "--size", "120x80")
	other := filepath.Join(dir, "other.gif")
	runCLI("play", "--gif", other, "--env", "cartpole", "--episodes", "2", "--seed", "5", "--size", "120x80")
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(again)
	c, _ := os.ReadFile(other)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("same seed should give the same GIF and another seed another")
	}
}

func TestPlayGridWorldDefaultSize(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.gif")
	if code, _, stderr := runCLI("play", "--gif", out, "--env", "gridworld:map=cliff,max-steps=20"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	g := readGIF(t, out)
	if g.Config.Width != 12*32 || g.Config.Height != 4*32 {
		t.Fatalf("GIF %dx%d, want the map's 384x128", g.Config.Width, g.Config.Height)
	}
}

func TestPlayCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg, err := agent.Preset("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := agent.NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "untrained.ckpt")
	if err := tr.SaveCheckpoint(ck); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "greedy.gif")
	code, stdout, stderr := runCLI("play", "--gif", out, "--checkpoint", ck, "--size", "60x40")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "of cartpole with greedy policy of") {
		t.Errorf("summary %q", stdout)
	}
	readGIF(t, out)

	// An env whose spaces do not fit the network, and other mistakes.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"play", "--gif", out, "--checkpoint", ck, "--env", "mountaincar"}, "the checkpoint's network expects [4] and 2"},
		{[]string{"play", "--env", "cartpole"}, "--gif is required"},
		{[]string{"play", "--gif", out, "--size", "big"}, `--size "big"`},
		{[]string{"play", "--gif", out, "--size", "0x10"}, "--size"},
		{[]string{"play", "--gif", out, "--episodes", "0"}, "--episodes"},
		{[]string{"play", "--gif", out, "--env", "gridworld:map=nowhere"}, `unknown map "nowhere"`},
		{[]string{"play", "--gif", out, "--checkpoint", filepath.Join(dir, "missing.ckpt")}, "missing.ckpt"},
		{[]string{"play", "--gif", filepath.Join(dir, "no", "dir.gif"), "--size", "8x8"},
			"deepq play: --gif " + filepath.Join(dir, "no", "dir.gif") + ": directory " + filepath.Join(dir, "no") + " does not exist\n"},
		{[]string{"play", "--gif", filepath.Join(ck, "x.gif")}, ck + " is not a directory"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("deepq %s: exit %d, stderr %q; want %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}
