package remote

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/deepq/deepq/env/remote/remotetest"
)

// startServer starts a test server of its own, for a test that kills or
// stops it; startServers one of k processes.
func startServer(tb testing.TB) *remotetest.Server { return remotetest.StartCartPole(tb) }

func startServers(tb testing.TB, k int) *remotetest.Server {
	return remotetest.StartCartPole(tb, "--processes", fmt.Sprint(k))
}

// shared is the server of the tests that leave it running; TestMain kills it.
var shared struct {
	once sync.Once
	s    *remotetest.Server
	err  error
}

// sharedServer returns the shared test server, started on first use.
func sharedServer(tb testing.TB) *remotetest.Server {
	tb.Helper()
	shared.once.Do(func() { shared.s, shared.err = remotetest.Launch(remotetest.CartPoleScript()) })
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.s != nil {
		shared.s.Kill()
	}
	os.Exit(code)
}
