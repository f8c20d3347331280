package main

import (
	"bytes"
	"encoding/json"
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

// TestRecurrentEvalAndPlay trains a tiny recurrent agent and runs eval and
// play on its checkpoint: the episodes of the same seeds have the same
// returns, whether the LSTM states run side by side (eval, dropping the
// rows of ended episodes) or one episode at a time (play, starting each
// from a zero state); export and ensembles refuse it with a clear error.
func TestRecurrentEvalAndPlay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	set := "lstm_size=8,hidden=[8],seq_length=8,seq_burn_in=4,seq_overlap=4,batch_size=4,learning_starts=300,eval_every=0,final_eval_episodes=2"
	if code, _, stderr := runCLI("train", "--env", "cartpole-pomdp", "--steps", "800", "--set", set, "--out", dir, "--metrics-addr", "", "--progress", "none"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	ck := filepath.Join(dir, "final.ckpt")
	code, stdout, stderr := runCLI("eval", "--checkpoint", ck, "--episodes", "4", "--seed", "3", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var res agent.EvalResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.gif")
	code, stdout, stderr = runCLI("play", "--checkpoint", ck, "--episodes", "4", "--seed", "3", "--gif", out, "--size", "60x40")
	if code != 0 {
		t.Fatalf("play: exit %d: %s", code, stderr)
	}
	var rs []string
	for _, r := range res.Returns {
		rs = append(rs, formatReturn(r))
	}
	if want := "returns " + strings.Join(rs, ", "); !strings.Contains(stdout, want) {
		t.Errorf("play says %q, eval's returns are %v", stdout, res.Returns)
	}
	if code, _, stderr := runCLI("export", "--checkpoint", ck, "--onnx", filepath.Join(t.TempDir(), "m.onnx")); code == 0 || !strings.Contains(stderr, "recurrent") {
		t.Errorf("export of a recurrent checkpoint: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI("eval", "--checkpoint", ck+","+ck); code == 0 || !strings.Contains(stderr, "ensemble") {
		t.Errorf("an ensemble of recurrent checkpoints: exit %d, %q", code, stderr)
	}
}
