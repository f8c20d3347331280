package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net/onnx"
)

// runExport writes the online Q-network of an agent checkpoint as an ONNX
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
	c, err := agent.LoadCheckpoint(*path)
	if err != nil {
		return err
	}
	if c.ROnline != nil {
		return fmt.Errorf("%s: its network is recurrent (an LSTM); ONNX export takes feed-forward Q-networks", *path)
	}
	if d := c.Meta.Config.Distributional; d != agent.NoDist {
		return fmt.Errorf("%s: its network outputs a %v return distribution, not Q-values; ONNX export takes DQN heads (distributional none)", *path, d)
	}
	m := c.Online
	opt := onnx.Options{
		Doc: fmt.Sprintf("deepq Q-network for %s at step %d: obs (batch, %s) -> q (batch, %d); greedy action = argmax q",
			c.Meta.EnvID, c.Meta.Step, dims(m.InShape), c.Meta.NumActions),
		Metadata: []onnx.Property{
			{Key: "deepq.env", Value: c.Meta.Config.Env},
			{Key: "deepq.env_id", Value: c.Meta.EnvID},
			{Key: "deepq.step", Value: strconv.FormatInt(c.Meta.Step, 10)},
			{Key: "deepq.num_actions", Value: strconv.Itoa(c.Meta.NumActions)},
		},
	}
	if err := onnx.WriteFile(*out, m, opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: the online network of %s (%s, step %d) as ONNX opset %d: %s (batch, %s) -> %s (batch, %d)\n",
		*out, *path, c.Meta.EnvID, c.Meta.Step, onnx.Opset, onnx.Input, dims(m.InShape), onnx.Output, c.Meta.NumActions)
	return nil
}

// dims formats a shape as "4, 10, 10".
func dims(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}
