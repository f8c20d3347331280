package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net/onnx"
)

// exportCheckpoint trains a dueling CartPole agent for a few steps and
// returns its final checkpoint.
func exportCheckpoint(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errOut := runCLI("train", "--steps", "300", "--seed", "5", "--out", dir, "--progress", "none",
		"--metrics-addr", "", "--set", "dueling=true")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, out, errOut)
	}
	return filepath.Join(dir, "final.ckpt")
}

// TestExport: the command writes exactly what net/onnx makes of the
// checkpoint's online network (whose graph net/onnx's tests check with
// python3-onnx and a numpy evaluator), with the run's metadata.
func TestExport(t *testing.T) {
	ckpt := exportCheckpoint(t)
	path := filepath.Join(t.TempDir(), "cartpole.onnx")
	code, out, errOut := runCLI("export", "--checkpoint", ckpt, "--onnx", path)
	if code != 0 || errOut != "" {
		t.Fatalf("export: exit %d, stderr %q", code, errOut)
	}
	if want := path + ": the online network of " + ckpt + " (CartPole-v1, step 300) as ONNX opset 13: obs (batch, 4) -> q (batch, 2)\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := agent.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Online.Specs()[len(c.Online.Layers)-1].Kind != "dueling" {
		t.Fatalf("the checkpoint's network ends in %v, want a dueling head", c.Online.Specs())
	}
	want, err := onnx.Marshal(c.Online, onnx.Options{
		Doc: "deepq Q-network for CartPole-v1 at step 300: obs (batch, 4) -> q (batch, 2); greedy action = argmax q",
		Metadata: []onnx.Property{
			{Key: "deepq.env", Value: c.Meta.Config.Env},
			{Key: "deepq.env_id", Value: "CartPole-v1"},
			{Key: "deepq.step", Value: "300"},
			{Key: "deepq.num_actions", Value: "2"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the exported file (%d bytes) is not net/onnx's export of the online network (%d bytes)", len(got), len(want))
	}
}

// TestExportBadInput: each mistake is a non-zero exit and one line that
// names it, and no output file.
func TestExportBadInput(t *testing.T) {
	ckpt := exportCheckpoint(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.ckpt")
	good, _ := os.ReadFile(ckpt)
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0x40 // one flipped bit in the middle of the weights
	os.WriteFile(corrupt, bad, 0o644)
	truncated := filepath.Join(dir, "truncated.ckpt")
	os.WriteFile(truncated, good[:len(good)-9], 0o644)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	out := filepath.Join(dir, "out.onnx")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--onnx", out}, "--checkpoint is required"},
		{[]string{"--checkpoint", ckpt}, "--onnx is required"},
		{[]string{"--checkpoint", ckpt, "--onnx", out, "extra"}, `unexpected argument "extra"`},
		{[]string{"--checkpoint", filepath.Join(dir, "missing.ckpt"), "--onnx", out}, "no such file"},
		{[]string{"--checkpoint", corrupt, "--onnx", out}, "corrupt.ckpt"},
		{[]string{"--checkpoint", truncated, "--onnx", out}, "truncated.ckpt"},
		{[]string{"--checkpoint", notDir, "--onnx", out}, "file"},
		{[]string{"--checkpoint", ckpt, "--onnx", filepath.Join(dir, "no", "such", "m.onnx")}, "m.onnx: no such file or directory"},
		{[]string{"--checkpoint", ckpt, "--onnx", filepath.Join(notDir, "m.onnx")}, "m.onnx: not a directory"},
		{[]string{"--checkpoint", ckpt, "--onnx", dir}, dir + ": is a directory"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCLI(append([]string{"export"}, c.args...)...)
		// One line, and a pointer to -h after a command-line mistake.
		first, rest, _ := strings.Cut(stderr, "\n")
		if code == 0 || !strings.Contains(first, c.want) || (rest != "" && rest != "run 'deepq export -h' for help\n") || stdout != "" {
			t.Errorf("deepq export %s: exit %d, stdout %q, stderr %q; want non-zero and one line with %q",
				strings.Join(c.args, " "), code, stdout, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("deepq export %s wrote %s", strings.Join(c.args, " "), out)
		}
	}
}
