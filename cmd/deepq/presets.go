package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/deepq/deepq/agent"
)

func runPresets(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq presets", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq presets\n\nLists the hyperparameter presets of 'deepq train --preset NAME', DQN and PQN,\nwith what each is for and where its hyperparameters come from.")
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "DQN presets (deepq train --preset NAME; without --preset an env takes its own, see 'deepq envs'):")
	for _, p := range agent.Presets() {
		cfg, err := agent.Preset(p.Name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n  %s (env %s, %d steps)\n%s", p.Name, cfg.Env, cfg.TotalSteps, wrap(p.Doc, "    ", 88))
	}
	fmt.Fprintln(stdout, "\nPQN presets (deepq train --preset NAME [--env NAME]; PQN's fields for --set are those of their config.json):")
	for _, p := range agent.PQNPresets() {
		cfg, err := agent.PQNPreset(p.Name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n  %s (env %s, %d frames)\n%s", p.Name, cfg.Env, cfg.TotalSteps, wrap(p.Doc, "    ", 88))
	}
	return nil
}

// wrap breaks text into lines of at most width bytes (a longer word keeps
// its own line), each starting with indent and ending with a newline.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if line != indent && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	if line != indent {
		b.WriteString(line + "\n")
	}
	return b.String()
}
