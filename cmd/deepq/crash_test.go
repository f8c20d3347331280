package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
)

// TestHelperDeepq is not a test: run as a child process by the tests below
// (DEEPQ_HELPER=1), it runs deepq with the arguments in DEEPQ_ARGS, so that
// a test can kill a real deepq process with SIGKILL.
func TestHelperDeepq(t *testing.T) {
	if os.Getenv("DEEPQ_HELPER") != "1" {
		t.Skip("runs only as the child process of a crash test")
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("DEEPQ_ARGS")), &args); err != nil {
		t.Fatal(err)
	}
	actorCommand = helperActorCommand // train --actors starts this test binary as its actors
	os.Exit(execute(args, os.Stdout, os.Stderr))
}

// startDeepq starts deepq with args in a child process.
func startDeepq(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDeepq$", "-test.count=1")
	js, _ := json.Marshal(args)
	cmd.Env = append(os.Environ(), "DEEPQ_HELPER=1", "DEEPQ_ARGS="+string(js))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// killAtCheckpoint waits until dir/latest.ckpt is at step ≥ atLeast, then
// kills the process with SIGKILL, as a crash or kill -9 would. It returns
// the checkpoint's step.
func killAtCheckpoint(t *testing.T, cmd *exec.Cmd, dir string, atLeast int64) int64 {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if c, err := agent.LoadCheckpoint(filepath.Join(dir, "latest.ckpt")); err == nil && c.Meta.Step >= atLeast {
			cmd.Process.Kill()
			cmd.Wait()
			if _, err := os.Stat(filepath.Join(dir, "final.ckpt")); err == nil {
				t.Fatalf("the run had ended before it could be killed: lengthen it")
			}
			return c.Meta.Step
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("no latest.ckpt at step ≥ %d in %s", atLeast, dir)
	return 0
}

// TestCrashRecipeTwice runs the README's recipe for long runs and cuts it
// twice: train with --checkpoint-every and --save-replay, kill -9, resume
// from the run directory (no flags: the run keeps its checkpoint settings),
// kill -9 again, resume to the end. The log and the final networks and
// optimizer state must be the uninterrupted run's, bit for bit. With the
// replay on disk (replay_storage=disk:DIR, a cache of a few segments, no
// --save-replay) the killed run reopens its buffer's file at each
// checkpoint's record and ends as the uninterrupted run in memory.
func TestCrashRecipeTwice(t *testing.T) {
	base := t.TempDir()
	straight := filepath.Join(base, "straight")
	args := []string{"train", "--steps", "16000", "--seed", "5", "--threads", "1", "--checkpoint-every", "1000",
		"--progress", "none", "--metrics-addr", ""}
	if code, _, e := runCLI(append(args, "--save-replay", "--out", straight)...); code != 0 {
		t.Fatalf("straight run: %s", e)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"memory", []string{"--save-replay"}},
		{"disk", []string{"--set", "replay_storage=disk@64KiB:" + filepath.Join(base, "replay")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			crashed := filepath.Join(base, c.name)
			first := killAtCheckpoint(t, startDeepq(t, slices.Concat(args, c.args, []string{"--out", crashed})...), crashed, 1000)
			resume := []string{"train", "--resume", crashed, "--threads", "1", "--progress", "none", "--metrics-addr", ""}
			second := killAtCheckpoint(t, startDeepq(t, resume...), crashed, first+7000)
			t.Logf("killed at checkpoints of steps %d and %d", first, second)
			if code, _, e := runCLI(resume...); code != 0 {
				t.Fatalf("last resume: %s", e)
			}
			sameRun(t, straight, crashed, c.name == "memory")
		})
	}
}

// sameRun checks that the run in dir b ended as the one in a: the same
// log.jsonl and final networks, optimizer state and counters, and that b
// kept its checkpoint settings.
func sameRun(t *testing.T, a, b string, saveReplay bool) {
	t.Helper()
	la, _ := os.ReadFile(filepath.Join(a, "log.jsonl"))
	lb, _ := os.ReadFile(filepath.Join(b, "log.jsonl"))
	if len(la) == 0 || !bytes.Equal(la, lb) {
		t.Fatalf("log.jsonl of the crashed run (%d bytes) differs from the straight run's (%d bytes)", len(lb), len(la))
	}
	sa, err := agent.LoadCheckpoint(filepath.Join(a, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := agent.LoadCheckpoint(filepath.Join(b, "final.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if sb.Meta.Replay == "" || sb.Meta.SaveReplay != saveReplay || sb.Meta.CheckpointEvery != 1000 {
		t.Fatalf("the resumed run lost its checkpoint settings: replay %q, save_replay %v, checkpoint_every %d",
			sb.Meta.Replay, sb.Meta.SaveReplay, sb.Meta.CheckpointEvery)
	}
	for i, p := range sa.Online.Params() {
		if !slices.Equal(p.Value.Data, sb.Online.Params()[i].Value.Data) || !slices.Equal(sa.Target.Params()[i].Value.Data, sb.Target.Params()[i].Value.Data) {
			t.Fatalf("weights %s differ", p.Name)
		}
	}
	for i, s := range sa.Opt.State() {
		if !slices.Equal(s.Data, sb.Opt.State()[i].Data) {
			t.Fatalf("optimizer state %d differs", i)
		}
	}
	if sa.Meta.Step != sb.Meta.Step || sa.Meta.Episodes != sb.Meta.Episodes || sa.Meta.Updates != sb.Meta.Updates {
		t.Fatalf("counters differ: %+v vs %+v", sa.Meta, sb.Meta)
	}
}
