package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/deepq/deepq/run"
)

func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq plot", flag.ContinueOnError)
	dir := fs.String("run", "", "run directory `DIR` written by 'deepq train' (required)")
	out := fs.String("out", "", "PNG `FILE` to write (default: DIR/curve.png)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq plot --run DIR [--out FILE]\n\nDraws the learning curve of a run from its log.jsonl.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{fmt.Errorf("--run is required")}
	}
	path := *out
	if path == "" {
		path = filepath.Join(*dir, "curve.png")
	}
	if err := run.PlotDir(*dir, path); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", path)
	return nil
}
