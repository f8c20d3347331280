package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/net/onnx"
)

// runExport writes the Q-network of a checkpoint (DQN's online network) as an ONNX
// model (package net/onnx: opset 13, input obs (batch, observation shape…),
// output q (batch, actions)), and/or as an exported checkpoint with its
// weights in float16, bfloat16 or float32 (agent.Checkpoint.Export).
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq export", flag.ContinueOnError)
	path := fs.String("checkpoint", "", "checkpoint `FILE` written by 'deepq train' (required)")
	out := fs.String("onnx", "", "write the ONNX model to `FILE` (replaced if it exists)")
	small := fs.String("ckpt", "", "write an exported checkpoint, the online network alone in --weights, to `FILE` (replaced if it exists)")
	weights := fs.String("weights", "float16", "`dtype` of the --ckpt weights: "+strings.Join(agent.ExportDTypes, ", "))
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq export --checkpoint FILE [--onnx OUT.onnx] [--ckpt OUT.ckpt [--weights float16|bfloat16|float32]]\n\n"+
			"Writes the checkpoint's online Q-network as an ONNX model (opset 13): input \"obs\"\n"+
			"(batch, observation shape…) float32, as deepq's env gives it (images NCHW), output\n"+
			"\"q\" (batch, actions); the greedy action is argmax q. With --ckpt it writes an exported\n"+
			"checkpoint: the online network alone, its weights in float16 (the default: half the\n"+
			"size, weights within 2⁻¹¹ relative) or bfloat16 (within 2⁻⁸), which 'deepq eval',\n"+
			"'deepq play' and 'deepq export' read but which cannot resume training.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *path == "" {
		return usageError{fmt.Errorf("--checkpoint is required")}
	}
	if *out == "" && *small == "" {
		return usageError{fmt.Errorf("--onnx or --ckpt is required (the output file, e.g. model.onnx or model-f16.ckpt)")}
	}
	if !slices.Contains(agent.ExportDTypes, *weights) {
		return usageError{fmt.Errorf("--weights %q: want %s", *weights, strings.Join(agent.ExportDTypes, ", "))}
	}
	if *small != "" {
		if h, err := agent.ReadCheckpointHeader(*path); err == nil && h.Format == agent.PQNFormat {
			return fmt.Errorf("%s: --ckpt exports DQN checkpoints; this is a PQN run's (use --onnx)", *path)
		}
		c, err := agent.LoadCheckpoint(*path)
		if err != nil {
			return err
		}
		if err := c.Export(*small, *weights); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: the online network of %s (%s, step %d) with %s weights, for eval and play (not resumable)\n",
			*small, *path, c.Meta.EnvID, c.Meta.Step, *weights)
		if *out == "" {
			return nil
		}
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
	if c.ROnline != nil {
		return nil, exportMeta{}, fmt.Errorf("%s: its network is recurrent (an LSTM); ONNX export takes feed-forward Q-networks", path)
	}
	if d := c.Meta.Config.Distributional; d != agent.NoDist {
		return nil, exportMeta{}, fmt.Errorf("%s: its network outputs a %v return distribution, not Q-values; ONNX export takes DQN heads (distributional none)", path, d)
	}
	if k := c.Meta.Config.BootstrapHeads; k > 0 {
		return nil, exportMeta{}, fmt.Errorf("%s: its network outputs the Q-values of %d bootstrap heads, which act on their mean; ONNX export takes one head (bootstrap_heads 0)", path, k)
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
