package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/internal/curve"
	"github.com/deepq/deepq/internal/runlog"
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
	if err := plotRunTo(*dir, path); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", path)
	return nil
}

// plotRun writes DIR/curve.png from DIR/log.jsonl.
func plotRun(dir string) error { return plotRunTo(dir, filepath.Join(dir, "curve.png")) }

func plotRunTo(dir, path string) error {
	lg, err := runlog.Read(filepath.Join(dir, "log.jsonl"))
	if err != nil {
		return err
	}
	title := dir
	if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		var cfg agent.Config
		if json.Unmarshal(b, &cfg) == nil {
			title = fmt.Sprintf("%s, seed %d", cfg.Env, cfg.Seed)
		}
	}
	return curve.WritePNG(lg, title, path, 7*vg.Inch, 4*vg.Inch)
}
