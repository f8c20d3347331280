package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deepq/deepq/run"
)

// deployCommands returns the deepq command lines of deploy/README.md (its
// sh blocks) and the deepq containers' args of deploy/k8s/*.yaml, with
// $(POD_INDEX) replaced by an ordinal.
func deployCommands(t *testing.T) [][]string {
	t.Helper()
	var cmds [][]string
	page, err := os.ReadFile("../../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	inSh := false
	sc := bufio.NewScanner(strings.NewReader(string(page)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```sh":
			inSh = true
		case line == "```":
			inSh = false
		case inSh && strings.HasPrefix(line, "deepq "):
			cmds = append(cmds, strings.Fields(line)[1:])
		}
	}
	argsLine := regexp.MustCompile(`^\s*args: (\[.*\])\s*$`)
	files, _ := filepath.Glob("../../deploy/k8s/*.yaml")
	for _, f := range files {
		p, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(p), "\n") {
			m := argsLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			var args []string
			if err := json.Unmarshal([]byte(strings.ReplaceAll(m[1], "$(POD_INDEX)", "3")), &args); err != nil {
				t.Fatalf("%s: args %s: %v", f, m[1], err)
			}
			cmds = append(cmds, args)
		}
	}
	return cmds
}

// TestDeployCommands: every deepq command of deploy/ parses and validates
// with deepq's own flags (without starting anything): learner and actor
// configurations, server settings, helm and kubectl aside.
func TestDeployCommands(t *testing.T) {
	t.Setenv("DEEPQ_NATS_PASSWORD", "secret")
	cmds := deployCommands(t)
	seen := map[string]int{}
	for _, args := range cmds {
		seen[args[0]]++
		var err error
		switch args[0] {
		case "learner":
			f := newLearnerFlags()
			if err = parseFlags(f.fs, args[1:], os.Stderr); err == nil {
				_, err = f.config()
			}
			if err == nil && *f.nats.url == "" {
				_, err = f.serverConfig()
			}
		case "train":
			f := newTrainFlags()
			if err = parseFlags(f.fs, args[1:], os.Stderr); err == nil {
				f.set = map[string]bool{}
				f.fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
				var o run.Options
				if o, err = f.options(); err == nil {
					if !f.set["actors"] {
						err = errors.New("deploy/ trains without --actors")
					} else {
						ao := run.ApexOptions{Options: o, Actors: *f.actors, ActorCommand: func(run.ActorSpec) *exec.Cmd { return nil }}
						err = ao.Validate()
					}
				}
			}
		case "actor":
			f := newActorFlags()
			if err = parseFlags(f.fs, args[1:], os.Stderr); err == nil {
				cfg := actorConfig(f)
				err = cfg.Validate()
			}
		default:
			t.Errorf("deploy/ runs deepq %s, which this test does not know", args[0])
			continue
		}
		if err != nil {
			t.Errorf("deepq %s: %v", strings.Join(args, " "), err)
		}
	}
	if seen["learner"] < 3 || seen["actor"] < 4 || seen["train"] < 1 {
		t.Errorf("found %d learner, %d actor and %d train commands in deploy/, want ≥ 3, ≥ 4 and ≥ 1", seen["learner"], seen["actor"], seen["train"])
	}
}

// TestLearnerRefusesOpenListen: an embedded server beyond loopback without
// credentials, or a user without a password, is a usage error naming the fix.
func TestLearnerRefusesOpenListen(t *testing.T) {
	t.Setenv("DEEPQ_NATS_PASSWORD", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"learner", "--listen", "0.0.0.0:4222", "--metrics-addr", ""}, "beyond loopback, without credentials"},
		{[]string{"learner", "--listen", "127.0.0.1:4222", "--nats-user", "u", "--metrics-addr", ""}, "DEEPQ_NATS_PASSWORD"},
		{[]string{"learner", "--listen", "127.0.0.1:99999", "--metrics-addr", ""}, "not a number in [0, 65535]"},
		{[]string{"actor", "--index", "0"}, "--nats URL is required"},
		{[]string{"actor", "--nats", "nats://127.0.0.1:1", "--index", "3", "--actors", "2"}, "actor index 3 outside [0, 2)"},
	} {
		var out, errb strings.Builder
		code := execute(c.args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("deepq %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, errb.String(), c.want)
		}
	}
}
