//go:build !linux

package run

import (
	"os"
	"os/exec"
)

// childProcess leaves cmd as it is: only Linux has a parent-death signal,
// so elsewhere an actor outlives a deepq killed with SIGKILL (it keeps
// waiting for its learner until stopped); an orderly stop still stops it.
func childProcess(cmd *exec.Cmd) {}

func terminate(p *os.Process) { p.Signal(os.Interrupt) }

func lockThread()   {}
func unlockThread() {}
