package apex

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// natsServerBinary returns Debian's nats-server, failing the test in CI
// (which installs it) and skipping it elsewhere when it is missing.
func natsServerBinary(t *testing.T) string {
	path, err := exec.LookPath("nats-server")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("nats-server not found (.ci/run installs Debian's nats-server): %v", err)
	}
	t.Skip("nats-server is not installed (apt-get install nats-server)")
	return ""
}

// freePort returns a loopback port free at the time of the call.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startExternal starts nats-server with JetStream on a free loopback port.
func startExternal(t *testing.T) string {
	bin := natsServerBinary(t)
	port := freePort(t)
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not listen on %s within 10 s", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestExternalServer: a learner and two actors over Debian's nats-server
// (file storage) ingest and learn as over the embedded one.
func TestExternalServer(t *testing.T) {
	url := startExternal(t)
	cfg := DefaultLearnerConfig(smallConfig(3000))
	cfg.Run, cfg.Streams, cfg.PublishEvery = "external", 2, 8
	cfg.Agent.Hidden = []int{32}
	cfg.Backlog.Memory = false
	l, err := NewLearner(makeCartPole, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wait := learnerRun(ctx, t, l, url)
	actx, acancel := context.WithCancel(ctx)
	am, awaitActors := actorsRun(actx, t, url, cfg.Run, 2)
	res, err := wait()
	// An actor takes the newest parameters between batches. Under load it
	// may have sent everything the learner needed before the first version
	// was published, and be sleeping out a back-off (up to 2 s) after drops:
	// the versions stay in the server's object store, so give each actor a
	// few more batches' time to take one before stopping them.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !slices.ContainsFunc(am, func(m *ActorMetrics) bool { return testutil.ToFloat64(m.Version) <= 0 }) {
			break
		}
	}
	acancel()
	if aerr := awaitActors(); aerr != nil {
		t.Fatal(aerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("learner: %d ingested, %d updates in %v", res.Ingested, res.Updates, res.Elapsed)
	if res.Ingested < 3000 || res.Updates < 1200 {
		t.Errorf("ingested %d, %d updates: want ≥ 3000 and ≥ 1200", res.Ingested, res.Updates)
	}
	for i, m := range am {
		if v := testutil.ToFloat64(m.Version); v <= 0 {
			t.Errorf("actor %d acts with parameter version %v: it never took newer ones", i, v)
		}
	}
}
