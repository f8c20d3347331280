// Command deepq trains, evaluates and inspects deep Q-learning agents.
//
//	deepq train [--env NAME] [--steps N] [--seed S] [--out DIR]
//	deepq eval --checkpoint FILE [--episodes N] [--seed S] [--json]
//	deepq envs
//	deepq plot --run DIR [--out FILE]
//	deepq play (--gif FILE | --render) [--env NAME] [--checkpoint FILE] [--episodes N] [--seed S] [--size WxH]
//	deepq bench [--json] [--run REGEXP] [--long]
//	deepq sweep --env E [--preset P] --seeds N|A-B [--jobs J] [--steps S] [--out DIR] [--set ...]
//
// train --render and play --render open a live window; they need a build with
// the pixel tag (go build -tags pixel ./cmd/deepq), cgo and OpenGL.
//
// Run a command with -h for its flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/deepq/deepq/run"
	"github.com/deepq/deepq/viz"
)

// command is a subcommand: run parses args and does the work.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"train", "train a DQN agent (default: CartPole with its tuned preset)", runTrain},
		{"eval", "evaluate a checkpoint greedily", runEval},
		{"envs", "list the environments, their spaces and options", runEnvs},
		{"plot", "draw a run's learning curve (curve.png)", runPlot},
		{"export", "write a checkpoint's Q-network as an ONNX model", runExport},
		{"play", "play episodes (random or a checkpoint's policy) into an animated GIF or a live window", runPlay},
		{"sweep", "train one configuration on many seeds and report them with confidence intervals", runSweep},
		{"bench", "run the standard benchmarks on this machine (GEMM, train steps, env, replay)", runBench},
	}
}

// usageError marks an error in the command line: exit status 2.
type usageError struct{ error }

// exitCode carries a specific exit status with an error already reported.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	code := 0
	// The live window must run on the main thread: viz.Main keeps it free
	// for the window and runs the command in another goroutine.
	viz.Main(func() { code = execute(os.Args[1:], os.Stdout, os.Stderr) })
	os.Exit(code)
}

func execute(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var code exitCode
		var ue usageError
		var rue *run.UsageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &code):
			return int(code)
		case errors.As(err, &ue), errors.As(err, &rue):
			fmt.Fprintf(stderr, "deepq %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "deepq %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "deepq: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "deepq: deep Q-learning in Go\n\nUsage: deepq <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'deepq <command> -h' for a command's flags.")
}

// parseFlags parses args with fs, turning flag errors into usage errors and
// refusing stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitCode(2) // the flag package has printed the error and usage
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
