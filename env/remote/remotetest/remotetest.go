// Package remotetest runs dm_env_rpc servers for tests: the CartPole-v1
// written in Python in env/remote/testdata/cartpole_server.py, served by
// scripts/dm_env_rpc_server.py on a free loopback port, for tests anywhere in
// the module (e.g. training through env.Make("remote:addr="+s.Addr+",world=CartPole-v1")).
//
// It needs Debian's python3-grpcio and python3-protobuf (CI installs them)
// and the module's source tree, which it finds from its own file's path
// (so not under go test -trimpath).
package remotetest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Python returns the interpreter with Debian's python3-grpcio and
// python3-protobuf: $DEEPQ_PYTHON, else /usr/bin/python3 (where apt installs
// them, ahead of any pyenv or venv python3 on PATH), else python3.
func Python() string {
	if p := os.Getenv("DEEPQ_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// Server is a running test server.
type Server struct {
	// Addr is its host:port on loopback.
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// script returns the path of a file of env/remote, found from this source file.
func script(name string) string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", name)
}

// CartPoleScript is the path of the test server's script.
func CartPoleScript() string { return script("testdata/cartpole_server.py") }

// StartCartPole starts the CartPole test server with the extra arguments
// (e.g. "--processes", "2") and kills it when the test ends. It fails the test,
// never skips it, when Python or its gRPC is missing.
func StartCartPole(tb testing.TB, args ...string) *Server {
	tb.Helper()
	s, err := Launch(CartPoleScript(), args...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Kill)
	return s
}

// Launch starts the Python server script with "--port 0" and args, in a
// process group of its own, and reads the address it prints. The caller
// must Kill it.
func Launch(script string, args ...string) (*Server, error) {
	cmd := exec.Command(Python(), append([]string{script, "--port", "0"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // no __pycache__ in the tree
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("remotetest: start %s with %s: %v (install Debian's python3-grpcio and python3-protobuf)", script, Python(), err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(l), "listening on ")
		if !ok {
			s.Kill()
			return nil, fmt.Errorf("remotetest: %s (%s) did not start: it printed %q; it needs Debian's python3-grpcio and python3-protobuf", script, Python(), l)
		}
		s.Addr, _, _ = strings.Cut(addr, " ")
	case <-time.After(30 * time.Second):
		s.Kill()
		return nil, fmt.Errorf("remotetest: %s printed no address within 30 s", script)
	}
	return s, nil
}

// Kill ends the server and its workers at once (SIGKILL to its process
// group) and waits for it to exit; killing it twice is harmless.
func (s *Server) Kill() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGCONT) // if stopped
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// Stop stops the server (SIGSTOP: alive but answering nothing) and waits
// until the kernel shows it stopped.
func (s *Server) Stop() error {
	pid := s.cmd.Process.Pid
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("remotetest: stop the server: %v", err)
	}
	for range 200 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return fmt.Errorf("remotetest: stop the server: %v", err)
		}
		// The state follows the parenthesised command name: "pid (comm) T ...".
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i+1:]), " T") {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("remotetest: pid %d is not stopped after 2 s", pid)
}

// CPUTime returns the user and system CPU time used so far by the server's
// processes (its process group, workers included), from /proc, in the
// kernel's 10 ms ticks (USER_HZ = 100).
func (s *Server) CPUTime() (time.Duration, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	pgid := s.cmd.Process.Pid
	var ticks int64
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // not a process, or gone
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		// After "pid (comm)": state ppid pgrp ... utime (field 14) stime (15).
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		u, err1 := strconv.ParseInt(f[11], 10, 64)
		k, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("remotetest: /proc/%s/stat: bad utime or stime", d.Name())
		}
		ticks += u + k
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
