package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

func runEnvs(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq envs", flag.ContinueOnError)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	for _, r := range env.Registered() {
		names := ""
		if len(r.Aliases) > 0 {
			names = " (" + strings.Join(r.Aliases, ", ") + ")"
		}
		fmt.Fprintf(stdout, "%s%s\n  %s\n", r.Name, names, r.Summary)
		e, err := env.Make(r.Name)
		if err != nil {
			// An env that needs options to exist at all (a remote env's
			// address): its spaces are known once it is made.
			fmt.Fprintf(stdout, "  (spaces depend on its options: %v)\n", err)
			printOptions(stdout, r.Options)
			continue
		}
		sp := e.Spec()
		fmt.Fprintf(stdout, "  observation %v, actions %v", sp.Observation, sp.Actions)
		if sp.MaxEpisodeSteps > 0 {
			fmt.Fprintf(stdout, ", time limit %d", sp.MaxEpisodeSteps)
		}
		if p := agent.PresetFor(r.Name); p != "" {
			fmt.Fprintf(stdout, ", preset %s", p)
		}
		if p := agent.PQNPresetFor(r.Name); p != "" {
			fmt.Fprintf(stdout, ", PQN preset %s", p)
		}
		fmt.Fprintln(stdout)
		printOptions(stdout, r.Options)
	}
	fmt.Fprintln(stdout, "\nOptions of every env (e.g. gridworld:map=four-rooms,obs=image,frame-stack=4):")
	printOptions(stdout, env.CommonOptions)
	return nil
}

func printOptions(w io.Writer, opts []env.OptionDoc) {
	for _, o := range opts {
		fmt.Fprintf(w, "  option %s=%s  %s\n", o.Name, o.Default, o.Doc)
	}
}
