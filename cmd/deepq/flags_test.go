package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagErrorsOneLine: a bad flag value prints one line naming the flag,
// the value and what it wants, then a pointer to -h, and exits 2; it does
// not print the whole usage. -h still prints the usage.
func TestFlagErrorsOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--seed", "-1"}, `deepq train: --seed "-1": want a non-negative integer`},
		{[]string{"train", "--steps", "lots"}, `deepq train: --steps "lots": want an integer`},
		{[]string{"train", "--frob"}, "deepq train: unknown flag --frob"},
		{[]string{"train", "--seed"}, "deepq train: --seed needs a value"},
		{[]string{"train", "--metrics-linger", "forever"}, `deepq train: --metrics-linger "forever": want a duration such as 30s or 1m30s`},
		{[]string{"train", "stray"}, `deepq train: unexpected argument "stray"`},
		{[]string{"eval", "--episodes", "2.5"}, `deepq eval: --episodes "2.5": want an integer`},
		{[]string{"eval", "--epsilon", "half"}, `deepq eval: --epsilon "half": want a number`},
		{[]string{"play", "--render=maybe"}, `deepq play: --render "maybe": want true or false`},
		{[]string{"plot", "--run"}, "deepq plot: --run needs a value"},
	} {
		code, out, e := runCLI(c.args...)
		cmd := "deepq " + c.args[0]
		want := c.want + "\nrun '" + cmd + " -h' for help\n"
		if code != 2 || out != "" || e != want {
			t.Errorf("deepq %s: exit %d, stdout %q, stderr\n%s\nwant exit 2 and\n%s", strings.Join(c.args, " "), code, out, e, want)
		}
	}
	code, _, e := runCLI("train", "-h")
	if code != 0 || !strings.Contains(e, "Usage: deepq train") || !strings.Contains(e, "--seed") {
		t.Errorf("deepq train -h: exit %d, stderr %q", code, e)
	}
}

// TestConfigErrorsOneLine: a mistake in --config or --set is one line with
// the field as the user wrote it (and the file's line and column).
func TestConfigErrorsOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(path, []byte("{\n  \"n_step\": \"3\"\n}\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", path}, "deepq train: " + path + `: line 2, column 13: n_step: want an integer, got "3"` + "\n"},
		{[]string{"--set", "n_step=three"}, "deepq train: --set: config: n_step: want an integer, got three\n"},
		{[]string{"--set", "nstep=3"}, `deepq train: --set: config: unknown field "nstep" (did you mean n_step?)` + "\n"},
	} {
		code, _, e := runCLI(append([]string{"train", "--metrics-addr", ""}, c.args...)...)
		if code != 2 || e != c.want {
			t.Errorf("deepq train %s: exit %d, stderr\n%s\nwant exit 2 and\n%s", strings.Join(c.args, " "), code, e, c.want)
		}
	}
}
