package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
)

// TestProgressBarAfterHeader: the bar draws nothing until the first step, so
// the header line that train prints after making it (and after startAt, when
// resuming) stands on its own line before the bar's first frame.
func TestProgressBarAfterHeader(t *testing.T) {
	for _, resumeAt := range []int64{0, 500} {
		var w bytes.Buffer
		p := newProgress(&w, "bar", 1000)
		p.startAt(resumeAt) // as train does, resumed or not
		w.WriteString("deepq: training ...\n")
		for s := resumeAt + 1; s <= 1000; s++ {
			p.OnStep(&agent.StepEvent{Step: s})
		}
		p.finish()
		out := w.String()
		if !strings.HasPrefix(out, "deepq: training ...\n") || !strings.Contains(out, "/1000, ") {
			t.Errorf("resumed at %d: output %q, want the header first, then the bar", resumeAt, out)
		}
	}

	// Through the command: the first thing on stderr is the header.
	dir := filepath.Join(t.TempDir(), "run")
	code, _, e := runCLI("train", "--steps", "700", "--out", dir, "--progress", "bar", "--metrics-addr", "")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, e)
	}
	if !strings.HasPrefix(e, "deepq: training cartpole") || !strings.Contains(e, "steps") {
		t.Errorf("stderr %q: want the header first, then the bar", e)
	}
}
