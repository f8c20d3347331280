package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/net/onnx"
)

// runExport writes the Q-network of a checkpoint (DQN's online network) as an ONNX
// model (package net/onnx: opset 13, input obs (batch, observation shape…),
// output q (batch, actions)).
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq export", flag.ContinueOnError)
	path := fs.String("checkpoint", "", "checkpoint `FILE` written by 'deepq train' (required)")
	out := fs.String("onnx", "", "write the ONNX model to `FILE` (required; replaced if it exists)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq export --checkpoint FILE --onnx OUT.onnx\n\n"+
			"Writes the checkpoint's online Q-network as an ONNX model (opset 13): input \"obs\"\n"+
			"(batch, observation shape…) float32, as deepq's env gives it (images NCHW), output\n"+
			"\"q\" (batch, actions); the greedy action is argmax q.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *path == "" {
		return usageError{fmt.Errorf("--checkpoint is required")}
	}
	if *out == "" {
		return usageError{fmt.Errorf("--onnx is required (the output file, e.g. model.onnx)")}
	}
	m, meta, err := loadForExport(*path)
	if err != nil {
		return err
	}
	opt := onnx.Options{
		Doc: fmt.Sprintf("deepq Q-network for %s at step %d: obs (batch, %s) -> q (batch, %d); greedy action = argmax q",
			meta.EnvID, meta.Step, dims(m.InShape), meta.NumActions),
		Metadata: []onnx.Property{
			{Key: "deepq.env", Value: meta.Env},
			{Key: "deepq.env_id", Value: meta.EnvID},
			{Key: "deepq.step", Value: strconv.FormatInt(meta.Step, 10)},
			{Key: "deepq.num_actions", Value: strconv.Itoa(meta.NumActions)},
		},
	}
	if err := onnx.WriteFile(*out, m, opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: the online network of %s (%s, step %d) as ONNX opset %d: %s (batch, %s) -> %s (batch, %d)\n",
		*out, *path, meta.EnvID, meta.Step, onnx.Opset, onnx.Input, dims(m.InShape), onnx.Output, meta.NumActions)
	return nil
}

// exportMeta is what the ONNX model's metadata says of its checkpoint.
type exportMeta struct {
	Env, EnvID string
	Step       int64
	NumActions int
}

// loadForExport loads the Q-network of a DQN checkpoint (its online
// network) or of a PQN one.
func loadForExport(path string) (*net.Sequential[float32], exportMeta, error) {
	if h, err := agent.ReadCheckpointHeader(path); err == nil && h.Format == agent.PQNFormat {
		c, err := agent.LoadPQNCheckpoint(path)
		if err != nil {
			return nil, exportMeta{}, err
		}
		return c.Q, exportMeta{c.Meta.Config.Env, c.Meta.EnvID, c.Meta.Step, c.Meta.NumActions}, nil
	}
	c, err := agent.LoadCheckpoint(path)
	if err != nil {
		return nil, exportMeta{}, err
	}
	if d := c.Meta.Config.Distributional; d != agent.NoDist {
		return nil, exportMeta{}, fmt.Errorf("%s: its network outputs a %v return distribution, not Q-values; ONNX export takes DQN heads (distributional none)", path, d)
	}
	return c.Online, exportMeta{c.Meta.Config.Env, c.Meta.EnvID, c.Meta.Step, c.Meta.NumActions}, nil
}

// dims formats a shape as "4, 10, 10".
func dims(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}
