// Command deepq trains, evaluates and inspects deep Q-learning agents.
//
//	deepq train [--env NAME] [--steps N] [--seed S] [--out DIR]
//	deepq train --preset pqn-cartpole | --env minatar-asterix --preset pqn-minatar [--steps N] [--seed S] [--set k=v,...]
//	deepq train --resume DIR [--steps N] [--no-replay]
//	deepq eval --checkpoint FILE [--episodes N] [--seed S] [--json]
//	deepq export --checkpoint FILE --onnx OUT.onnx
//	deepq envs
//	deepq presets
//	deepq plot --run DIR [--out FILE]
//	deepq play (--gif FILE | --render) [--env NAME] [--checkpoint FILE] [--episodes N] [--seed S] [--size WxH]
//	deepq bench [--json] [--run REGEXP] [--long]
//	deepq sweep --env E [--preset P] --seeds N|A-B [--jobs J] [--steps S] [--out DIR] [--set ...]
//
// train --render and play --render open a live window; they need a build with
// the pixel tag (go build -tags pixel ./cmd/deepq), cgo and OpenGL.
//
// Run a command with -h for its flags. The command only parses flags and
// prints: package run assembles training runs, for any Go program.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	_ "github.com/deepq/deepq/env/remote" // --env remote:addr=HOST:PORT,world=ID
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
		{"train", "train a DQN agent (default: CartPole with its tuned preset), or a PQN one (--preset pqn-…)", runTrain},
		{"eval", "evaluate a checkpoint greedily", runEval},
		{"envs", "list the environments, their spaces and options", runEnvs},
		{"presets", "list the hyperparameter presets, DQN and PQN, with their sources", runPresets},
		{"plot", "draw a run's learning curve (curve.png)", runPlot},
		{"export", "write a checkpoint's Q-network as an ONNX model", runExport},
		{"play", "play episodes (random or a checkpoint's policy) into an animated GIF or a live window", runPlay},
		{"sweep", "train one configuration on many seeds and report them with confidence intervals", runSweep},
		{"bench", "run the standard benchmarks on this machine (GEMM, train steps, env, replay)", runBench},
		{"learner", "the Ape-X learner: prioritized replay fed by actors over NATS (embedded by default)", runLearner},
		{"actor", "an Ape-X actor: acts with ε_i, sends its steps to the learner over NATS", runActor},
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
		var fe flagError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &code):
			return int(code)
		case errors.As(err, &fe):
			fmt.Fprintf(stderr, "%s: %v\nrun '%s -h' for help\n", fe.command, err, fe.command)
			return 2
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

// parseFlags parses args with fs and refuses stray positional arguments. A
// mistake in the flags is a flagError: one line naming it, where the flag
// package would print the whole usage; -h prints the usage and returns
// flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	var out bytes.Buffer // the flag package's error and usage
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		io.Copy(stderr, &out)
		return err
	case err != nil:
		return flagError{fs.Name(), flagMessage(fs, err)}
	case fs.NArg() > 0:
		return flagError{fs.Name(), fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// flagError is a mistake in a command's flags: run prints it with a pointer
// to the command's -h and exits with status 2.
type flagError struct {
	command string // "deepq train"
	msg     string
}

func (e flagError) Error() string { return e.msg }

// invalidValue matches the flag package's error for a value its flag does
// not parse.
var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-(\S+): `)

// flagMessage rewords an error of fs.Parse in the user's terms: the flag as
// documented (--seed), the value as given and what the flag wants.
func flagMessage(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Sprintf("unknown flag --%s", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("--%s needs a value", name)
	}
	m := invalidValue.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	value, name := m[1], m[2]
	want := ""
	if f := fs.Lookup(name); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			switch g.Get().(type) {
			case int, int64:
				want = "an integer"
			case uint, uint64:
				want = "a non-negative integer"
			case float64:
				want = "a number"
			case bool:
				want = "true or false"
			case time.Duration:
				want = "a duration such as 30s or 1m30s"
			}
		}
	}
	if want == "" {
		return fmt.Sprintf("--%s %q: %s", name, value, msg[len(m[0]):])
	}
	return fmt.Sprintf("--%s %q: want %s", name, value, want)
}
