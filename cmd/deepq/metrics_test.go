package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/run"
)

// TestMetricsPortInUse: a taken port is a one-line error before anything of
// the run exists.
func TestMetricsPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI("train", "--steps", "100", "--out", dir, "--metrics-addr", ln.Addr().String())
	if code != 1 || strings.Count(stderr, "\n") != 1 ||
		!strings.Contains(stderr, ln.Addr().String()) || !strings.Contains(stderr, "already in use") {
		t.Fatalf("exit %d, stderr %q; want 1 and one line naming the address in use", code, stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("run directory created despite the error: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTrainServesMetrics trains with the exporter on a free port, scrapes it
// during the run and, thanks to --metrics-linger, after it, and checks the
// final values against the run's summary.
func TestTrainServesMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "served")
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- execute([]string{"train", "--steps", "1500", "--seed", "2", "--out", dir, "--progress", "none",
			"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "3s"}, &stdout, &stderr)
	}()

	addrRE := regexp.MustCompile(`serving metrics on http://(127\.0\.0\.1:\d+)/metrics \(run "served"\)`)
	var base string
	for base == "" {
		select {
		case code := <-done:
			t.Fatalf("train exited %d before serving:\n%s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	scrape := func(path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	if h := scrape("/healthz"); h != "ok\n" {
		t.Fatalf("/healthz %q", h)
	}
	// Scrape until the final evaluation shows, i.e. while lingering.
	final := regexp.MustCompile(`deepq_evaluations_total\{env="cartpole",run="served"\} 1\b`)
	var body string
	for deadline := time.Now().Add(2 * time.Minute); ; {
		summarized := strings.Contains(stdout.String(), "saved ") // printed just before the linger
		body = scrape("/metrics")
		if summarized && final.MatchString(body) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no final evaluation in /metrics after 2 min:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The summary line on stdout has the episode count to compare with.
	m := regexp.MustCompile(`episodes (\d+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no summary on stdout: %q", stdout.String())
	}
	episodes, _ := strconv.Atoi(m[1])
	total := 0
	for _, m := range regexp.MustCompile(`deepq_episodes_total\{env="cartpole",outcome="\w+",run="served"\} (\d+)`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != episodes || episodes == 0 {
		t.Errorf("deepq_episodes_total sums to %d, the run reports %d episodes", total, episodes)
	}
	// The replay holds every step's n-step transition but those of the open
	// episode's last n − 1 steps, whose windows are not complete; the log's
	// last episode says where the open one began.
	cfg, err := agent.Preset("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	lg, err := run.ReadLog(filepath.Join(dir, "log.jsonl"))
	if err != nil || len(lg.Episodes) == 0 {
		t.Fatalf("the run's log: %v, %d episodes", err, len(lg.Episodes))
	}
	open := 1500 - int(lg.Episodes[len(lg.Episodes)-1].Step)
	if cfg.NStep < 2 || open < cfg.NStep {
		t.Fatalf("n-step %d with %d steps in the open episode: the test needs n ≥ 2 and a full window to wait for", cfg.NStep, open)
	}
	replay := 1500 - min(open, cfg.NStep-1)
	for _, want := range []string{
		`deepq_env_steps_total{env="cartpole",run="served"} 1500`,
		`deepq_env_steps_planned{env="cartpole",run="served"} 1500`,
		`deepq_run_info{env="cartpole",preset="cartpole",run="served",seed="2",version="`,
		`deepq_loss{env="cartpole",run="served"}`,
		`deepq_replay_size{env="cartpole",run="served"} ` + strconv.Itoa(replay) + "\n",
		`go_memstats_heap_alloc_bytes{env="cartpole",run="served"}`,
		`process_resident_memory_bytes{env="cartpole",run="served"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(stderr.String(), "serving the final metrics") {
		t.Errorf("no linger message:\n%s", stderr.String())
	}
	// The linger ends on its own, and the server with it.
	if code := <-done; code != 0 {
		t.Fatalf("train exited %d:\n%s", code, stderr.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("metrics still served after train returned")
	}
}
