package remote

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// python returns the interpreter with Debian's python3-grpcio and
// python3-protobuf: $DEEPQ_PYTHON, else /usr/bin/python3 (where apt installs
// them, ahead of any pyenv or venv python3 on PATH), else python3.
func python() string {
	if p := os.Getenv("DEEPQ_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// server is testdata/cartpole_server.py running on a free loopback port.
type server struct {
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer starts a test server of its own, for a test that kills or
// stops it, and kills it when the test ends. It fails the test (never skips
// it) when Python or its gRPC is missing: CI installs them (.ci/run).
func startServer(tb testing.TB) *server {
	tb.Helper()
	s, err := launch()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.kill)
	return s
}

// startServers is startServer with the server's --processes k.
func startServers(tb testing.TB, k int) *server {
	tb.Helper()
	s, err := launch("--processes", fmt.Sprint(k))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.kill)
	return s
}

// shared is the server of the tests that leave it running; TestMain kills it.
var shared struct {
	once sync.Once
	s    *server
	err  error
}

// sharedServer returns the shared test server, started on first use.
func sharedServer(tb testing.TB) *server {
	tb.Helper()
	shared.once.Do(func() { shared.s, shared.err = launch() })
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.s != nil {
		shared.s.kill()
	}
	os.Exit(code)
}

// launch starts testdata/cartpole_server.py on a free loopback port, in a
// process group of its own (kill ends its workers too).
func launch(args ...string) (*server, error) {
	cmd := exec.Command(python(), append([]string{"testdata/cartpole_server.py", "--port", "0"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // no __pycache__ in the tree
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the dm_env_rpc test server with %s: %v (install Debian's python3-grpcio and python3-protobuf)", python(), err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(l), "listening on ")
		addr, _, _ = strings.Cut(addr, " ")
		if !ok {
			s.kill()
			return nil, fmt.Errorf("the dm_env_rpc test server (%s) did not start: it printed %q; needs Debian's python3-grpcio and python3-protobuf", python(), l)
		}
		s.Addr = addr
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, fmt.Errorf("the dm_env_rpc test server printed no address within 30 s")
	}
	return s, nil
}

// kill stops the server and its workers at once (SIGKILL to its process
// group) and waits for it to exit.
func (s *server) kill() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGCONT) // if a test stopped it
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// stop stops the server (SIGSTOP) and waits until the kernel shows it
// stopped, so that it answers nothing more.
func (s *server) stop() error {
	pid := s.cmd.Process.Pid
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("stop the test server: %v", err)
	}
	for range 200 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return fmt.Errorf("stop the test server: %v", err)
		}
		// The state follows the parenthesised command name: "pid (comm) T ...".
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i+1:]), " T") {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("stop the test server: pid %d is not stopped after 2 s", pid)
}

// TestGymnasiumServer runs scripts/dm_env_rpc_server.py itself. With
// Gymnasium installed its CartPole-v1 must have deepq's spec and step;
// without it, making a world must fail with the server's explanation.
func TestGymnasiumServer(t *testing.T) {
	cmd := exec.Command(python(), "../../scripts/dm_env_rpc_server.py", "--port", "0")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("scripts/dm_env_rpc_server.py printed %q", line)
	}
	hasGym := exec.Command(python(), "-c", "import gymnasium").Run() == nil
	e, err := Dial(DefaultConfig(addr, "CartPole-v1"))
	if !hasGym {
		if err == nil || !strings.Contains(err.Error(), "Gymnasium is not installed on the server") {
			t.Fatalf("without Gymnasium: %v, want the server's explanation", err)
		}
		t.Logf("without Gymnasium: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if sp := e.Spec(); sp.Actions.N != 2 || sp.Observation.Size() != 4 {
		t.Fatalf("Gymnasium's CartPole-v1: spec %+v", sp)
	}
	e.Seed(1)
	e.Reset()
	for range 10 {
		e.Step(1)
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}
