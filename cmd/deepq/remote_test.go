package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/env/remote/remotetest"
)

// TestTrainRemoteEnv: deepq train --env remote:... trains on an env served
// over dm_env_rpc, and deepq envs lists the remote env with its options.
func TestTrainRemoteEnv(t *testing.T) {
	s := remotetest.StartCartPole(t)
	dir := filepath.Join(t.TempDir(), "run")
	code, out, e := runCLI("train", "--env", "remote:addr="+s.Addr+",world=CartPole-v1", "--steps", "1500",
		"--set", "eval_every=0,final_eval_episodes=3", "--out", dir, "--progress", "none", "--metrics-addr", "")
	if code != 0 || !strings.Contains(out, "final greedy evaluation over 3 episodes") {
		t.Fatalf("train on a remote env: exit %d\n%s\n%s", code, out, e)
	}
	code, out, _ = runCLI("envs")
	if code != 0 || !strings.Contains(out, "remote\n") || !strings.Contains(out, "option addr=") {
		t.Fatalf("deepq envs: exit %d, no remote env listed:\n%s", code, out)
	}
}
