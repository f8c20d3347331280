package run

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// childProcess makes cmd an actor process: in its own process group, so
// that the terminal's Ctrl-C reaches only deepq, which stops the actors in
// order; and sent SIGTERM when the thread that started it (the
// supervisor's locked thread) dies with deepq, so that no actor outlives
// a killed deepq.
func childProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

func terminate(p *os.Process) { p.Signal(syscall.SIGTERM) }

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }
