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
		e, err := env.Make(r.Name)
		if err != nil {
			return fmt.Errorf("env %s: %v", r.Name, err)
		}
		sp := e.Spec()
		names := ""
		if len(r.Aliases) > 0 {
			names = " (" + strings.Join(r.Aliases, ", ") + ")"
		}
		fmt.Fprintf(stdout, "%s%s\n  %s\n  observation %v, actions %v", r.Name, names, r.Summary, sp.Observation, sp.Actions)
		if sp.MaxEpisodeSteps > 0 {
			fmt.Fprintf(stdout, ", time limit %d", sp.MaxEpisodeSteps)
		}
		if p := agent.PresetFor(r.Name); p != "" {
			fmt.Fprintf(stdout, ", preset %s", p)
		}
		fmt.Fprintln(stdout)
		for _, o := range r.Options {
			fmt.Fprintf(stdout, "  option %s=%s  %s\n", o.Name, o.Default, o.Doc)
		}
	}
	fmt.Fprintln(stdout, "\nOptions of every env (e.g. gridworld:map=four-rooms,obs=image,frame-stack=4):")
	for _, o := range env.CommonOptions {
		fmt.Fprintf(stdout, "  option %s=%s  %s\n", o.Name, o.Default, o.Doc)
	}
	return nil
}
