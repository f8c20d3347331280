package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/internal/half"
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
		{[]string{"--checkpoint", ckpt}, "--onnx or --ckpt is required"},
		{[]string{"--checkpoint", ckpt, "--onnx", out, "--weights", "int8"}, `--weights "int8": want float32, float16, bfloat16`},
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

// TestExportSmall: --ckpt writes the online network alone with 16-bit
// weights, each the rounding of the trained one, in under 60% of the
// file; eval and ONNX export read it; training refuses to resume it.
func TestExportSmall(t *testing.T) {
	ckpt := exportCheckpoint(t)
	c, err := agent.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := os.Stat(ckpt)
	dir := t.TempDir()
	for _, c16 := range []struct {
		dtype string
		round func(float32) float32
	}{{"float16", half.F16Round}, {"bfloat16", half.BF16Round}} {
		small := filepath.Join(dir, c16.dtype+".ckpt")
		code, out, errOut := runCLI("export", "--checkpoint", ckpt, "--ckpt", small, "--weights", c16.dtype)
		if code != 0 || errOut != "" {
			t.Fatalf("export: exit %d, stderr %q", code, errOut)
		}
		if want := small + ": the online network of " + ckpt + " (CartPole-v1, step 300) with " + c16.dtype + " weights, for eval and play (not resumable)\n"; out != want {
			t.Errorf("stdout %q, want %q", out, want)
		}
		e, err := agent.LoadCheckpoint(small)
		if err != nil {
			t.Fatal(err)
		}
		if !e.Exported() || e.Meta.Weights != c16.dtype || e.Target != nil || e.Opt != nil || e.Meta.Step != 300 {
			t.Fatalf("%s: loaded as weights %q, target %v, optimizer %v, step %d", c16.dtype, e.Meta.Weights, e.Target != nil, e.Opt != nil, e.Meta.Step)
		}
		for i, p := range c.Online.Params() {
			for j, w := range p.Value.Data {
				if got := e.Online.Params()[i].Value.Data[j]; got != c16.round(w) {
					t.Fatalf("%s: %s[%d] = %v, want %v, the rounding of %v", c16.dtype, p.Name, j, got, c16.round(w), w)
				}
			}
		}
		st, _ := os.Stat(small)
		if st.Size()*10 > full.Size()*6 {
			t.Errorf("%s: %d bytes, the full checkpoint %d", c16.dtype, st.Size(), full.Size())
		}
		if code, out, errOut := runCLI("eval", "--checkpoint", small, "--episodes", "2", "--json"); code != 0 || !strings.Contains(out, "mean") {
			t.Errorf("eval of %s: exit %d, %s %s", small, code, out, errOut)
		}
		if code, _, errOut := runCLI("export", "--checkpoint", small, "--onnx", filepath.Join(dir, c16.dtype+".onnx")); code != 0 {
			t.Errorf("ONNX export of %s: exit %d, %s", small, code, errOut)
		}
		code, _, errOut = runCLI("train", "--resume", small, "--progress", "none", "--metrics-addr", "")
		if code == 0 || !strings.Contains(errOut, "exported checkpoint") || !strings.Contains(errOut, "not resumed") {
			t.Errorf("resuming %s: exit %d, stderr %q", small, code, errOut)
		}
	}
}
