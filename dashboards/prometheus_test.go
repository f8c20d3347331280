package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The integration test's training run: long enough for Prometheus to scrape
// it many times at 1 s (about 5-20 s on this 2-core machine), short enough
// for CI.
const (
	itRun     = "integration"      // the run label: the run directory's name
	itApexRun = "integration-apex" // the run label of the Ape-X run
	itSteps   = 50000              // the whole CartPole preset: with the fast kernels 12k steps took under 2 s, too few scrapes; DEEPQ_IT_STEPS overrides it
	itLinger  = 5 * time.Second    // deepq keeps serving the final values this long
)

// TestPrometheusIntegration checks the dashboard, the alert rules and the
// scrape configuration against a real Prometheus scraping a real deepq
// train, all on loopback:
//
//   - promtool check config, check rules, test rules and check metrics pass;
//   - the step counter increases across scrapes and ends at the run's steps,
//     and the episode counter ends at the run's episode count;
//   - every query of every dashboard panel returns data;
//   - every alert rule evaluates without error, the two that a healthy run
//     must not trigger stay silent, and the metrics the rules use have data.
//
// It needs prometheus and promtool (Debian's prometheus package) and runs
// only with DEEPQ_PROMETHEUS=1, as .ci/run does. With
// DEEPQ_DASHBOARD_PNG=file it also plots the dashboard's main panels from
// Prometheus into file (how docs/dashboard.png is made).
func TestPrometheusIntegration(t *testing.T) {
	if os.Getenv("DEEPQ_PROMETHEUS") == "" {
		t.Skip("set DEEPQ_PROMETHEUS=1 to test against a real Prometheus (needs prometheus and promtool)")
	}
	prom, promtool := lookPath(t, "prometheus"), lookPath(t, "promtool")
	tmp := t.TempDir()
	steps := itSteps
	if s := os.Getenv("DEEPQ_IT_STEPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 3000 {
			t.Fatalf("DEEPQ_IT_STEPS=%q: want a number of steps ≥ 3000", s)
		}
		steps = n
	}

	// The committed files, as a user would check them.
	runTool(t, promtool, "check", "config", "prometheus.yml")
	runTool(t, promtool, "check", "rules", "alerts.yml")
	runTool(t, promtool, "test", "rules", "alerts_test.yml")

	bin := filepath.Join(tmp, "deepq")
	runTool(t, lookPath(t, "go"), "build", "-o", bin, "github.com/deepq/deepq/cmd/deepq")

	// prometheus.yml pointed at a free port, scraping and evaluating every
	// second, with the rules file by absolute path.
	deepqAddr, promAddr := freeAddr(t), freeAddr(t)
	cfg := string(PrometheusConfig)
	rules, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]string{
		{`"127.0.0.1:2112"`, strconv.Quote(deepqAddr)},
		{"scrape_interval: 5s", "scrape_interval: 1s"},
		{"evaluation_interval: 5s", "evaluation_interval: 1s"},
		{"- alerts.yml", "- " + rules},
	} {
		if !strings.Contains(cfg, r[0]) {
			t.Fatalf("prometheus.yml has no %q to replace", r[0])
		}
		cfg = strings.Replace(cfg, r[0], r[1], 1)
	}
	cfgPath := filepath.Join(tmp, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	api := &promAPI{t: t, base: "http://" + promAddr}
	startProcess(t, filepath.Join(tmp, "prometheus.log"), nil, prom,
		"--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(tmp, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	waitFor(t, 60*time.Second, "Prometheus to be ready", func() bool { return httpOK(api.base + "/-/ready") })
	// Its first scrape comes a few seconds after start; train from then on
	// so that every second of the run is scraped.
	waitFor(t, 60*time.Second, "Prometheus's first scrape", func() bool {
		return len(api.query(`up{job="deepq"}`, time.Now())) > 0
	})

	var stdout bytes.Buffer
	start := time.Now()
	train := startProcess(t, filepath.Join(tmp, "deepq.log"), &stdout, bin, "train",
		"--steps", strconv.Itoa(steps), "--seed", "1", "--out", filepath.Join(tmp, itRun), "--progress", "lines",
		"--metrics-addr", deepqAddr, "--metrics-linger", itLinger.String())
	exited := make(chan error, 1)
	go func() { exited <- train.Wait() }()

	// Keep one exposition with every metric present for promtool check metrics.
	exposition := ""
	waitFor(t, 5*time.Minute, "a scrape of deepq with every metric", func() bool {
		b, err := httpGet("http://" + deepqAddr + "/metrics")
		if err == nil && strings.Contains(b, "deepq_loss{") && strings.Contains(b, "deepq_eval_return_mean{") {
			exposition = b
		}
		return exposition != ""
	})
	runToolStdin(t, exposition, promtool, "check", "metrics")

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("deepq train: %v\n%s", err, tail(filepath.Join(tmp, "deepq.log")))
		}
	case <-time.After(5 * time.Minute):
		t.Fatalf("deepq train still running after 5 minutes\n%s", tail(filepath.Join(tmp, "deepq.log")))
	}
	end := time.Now()
	t.Logf("deepq train ran %.1f s: %s", end.Sub(start).Seconds(), strings.TrimSpace(strings.SplitN(stdout.String(), "\n", 2)[0]))

	sel := `{run="` + itRun + `"}`
	// Scraped many times, with the step counter increasing across scrapes.
	samples := api.samples("deepq_env_steps_total"+sel, start, end)
	if len(samples) < 5 {
		t.Fatalf("only %d scrapes of the training run", len(samples))
	}
	distinct := 1
	for i := 1; i < len(samples); i++ {
		if samples[i] < samples[i-1] {
			t.Fatalf("deepq_env_steps_total decreased: %v", samples)
		}
		if samples[i] > samples[i-1] {
			distinct++
		}
	}
	if distinct < 3 || samples[len(samples)-1] != float64(steps) {
		t.Errorf("deepq_env_steps_total scraped as %v: want ≥ 3 increasing values ending at %d", samples, steps)
	}
	// Episodes counted: the last scrape holds the run's episode count.
	m := regexp.MustCompile(`episodes (\d+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no summary line from deepq train: %q", stdout.String())
	}
	// (Counters only grow, so each series' maximum is its last value.)
	episodes := fmt.Sprintf("sum(max_over_time(deepq_episodes_total%s[%ds]))", sel, int(math.Ceil(end.Sub(start).Seconds())))
	got := api.query(episodes, end)
	if want, _ := strconv.Atoi(m[1]); len(got) != 1 || value(got[0].Value) != float64(want) || want == 0 {
		t.Errorf("%s = %v, the run reports %d episodes", episodes, got, want)
	}

	// Every dashboard query returns data for the run, except the Ape-X
	// row's: they are checked against the Ape-X run below.
	d := decodeDashboard(t)
	apexTitles := apexPanels(d)
	for _, q := range dashboardQueries(d) {
		if apexTitles[q.panel] {
			continue
		}
		expr := strings.ReplaceAll(q.expr, "$run", itRun)
		if n := finite(api.queryRange(expr, start, end)); n == 0 {
			t.Errorf("panel %q: %s returned no data", q.panel, expr)
		}
	}

	// The alert rules: loaded, evaluated without error, silent where a
	// healthy run must not trigger them, and fed by metrics that have data.
	silent := map[string]bool{"DeepqLossNotFinite": true, "DeepqNoEnvSteps": true}
	seen := 0
	for _, r := range api.rules() {
		seen++
		if r.Health != "ok" || r.LastError != "" {
			t.Errorf("alert %s: health %q, error %q", r.Name, r.Health, r.LastError)
		}
		series := api.queryRange(r.Query, start, end) // a syntax or type error fails here
		if silent[r.Name] && (r.State != "inactive" || len(series) > 0) {
			t.Errorf("alert %s is %s on a healthy run: %v", r.Name, r.State, series)
		}
		t.Logf("alert %s: %s", r.Name, r.State)
		for _, name := range metricRE.FindAllString(r.Query, -1) {
			if finite(api.queryRange(name+sel, start, end)) == 0 {
				t.Errorf("alert %s: %s has no data", r.Name, name)
			}
		}
	}
	if seen != 3 {
		t.Errorf("Prometheus loaded %d alert rules, want 3", seen)
	}

	// An Ape-X run, deepq train --actors 2, on the same scrape target: its
	// one endpoint serves the learner's metrics and its actors'. Every
	// query of the Ape-X row returns data for it, and the run variable
	// lists it.
	apexStart := time.Now()
	apexTrain := startProcess(t, filepath.Join(tmp, "deepq-apex.log"), nil, bin, "train", "--actors", "2",
		"--steps", "8000", "--out", filepath.Join(tmp, itApexRun), "--metrics-addr", deepqAddr, "--metrics-linger", itLinger.String())
	if err := apexTrain.Wait(); err != nil {
		t.Fatalf("deepq train --actors 2: %v\n%s", err, tail(filepath.Join(tmp, "deepq-apex.log")))
	}
	apexEnd := time.Now()
	t.Logf("deepq train --actors 2 ran %.1f s", apexEnd.Sub(apexStart).Seconds())
	for _, q := range dashboardQueries(d) {
		if !apexTitles[q.panel] {
			continue
		}
		expr := strings.ReplaceAll(q.expr, "$run", itApexRun)
		if n := finite(api.queryRange(expr, apexStart, apexEnd)); n == 0 {
			t.Errorf("Ape-X panel %q: %s returned no data", q.panel, expr)
		}
	}
	var runs []string
	api.get("/api/v1/label/run/values", url.Values{"match[]": {strings.TrimSuffix(strings.TrimPrefix(runVariableQuery, "label_values("), ", run)")}}, &runs)
	if !slices.Contains(runs, itRun) || !slices.Contains(runs, itApexRun) {
		t.Errorf("the run variable's query lists %v, want %s and %s", runs, itRun, itApexRun)
	}

	if out := os.Getenv("DEEPQ_DASHBOARD_PNG"); out != "" {
		if err := renderDashboard(api, itRun, start, end, out); err != nil {
			t.Errorf("rendering %s: %v", out, err)
		}
	}
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install it (apt-get install prometheus for prometheus and promtool)", name)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	runToolStdin(t, "", name, args...)
}

func runToolStdin(t *testing.T, stdin, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

// freeAddr returns a loopback address with a port free at the time of asking.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess starts name with its stderr going to logPath, and its stdout
// to stdout if not nil, and stops it by its PID when the test ends: SIGTERM,
// then SIGKILL after 10 s.
func startProcess(t *testing.T, logPath string, stdout io.Writer, name string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stderr, cmd.Stdout = logf, stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		defer logf.Close()
		p, err := os.FindProcess(pid)
		if err != nil || p.Signal(syscall.Signal(0)) != nil {
			return // already gone
		}
		p.Signal(syscall.SIGTERM)
		for range 100 {
			if p.Signal(syscall.Signal(0)) != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		p.Kill()
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log:\n%s", filepath.Base(name), tail(logPath))
		}
	})
	return cmd
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
	}
}

func httpGet(u string) (string, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("%s: %s: %s", u, resp.Status, b)
	}
	return string(b), err
}

func httpOK(u string) bool { _, err := httpGet(u); return err == nil }

// promAPI queries Prometheus's HTTP API.
type promAPI struct {
	t    *testing.T
	base string
}

// series is one series of a query result: instant (value) or range (values).
type series struct {
	Metric map[string]string
	Value  [2]any
	Values [][2]any
}

func (a *promAPI) get(path string, params url.Values, data any) {
	a.t.Helper()
	body, err := httpGet(a.base + path + "?" + params.Encode())
	if err != nil {
		a.t.Fatalf("Prometheus %s %s: %v", path, params.Get("query"), err)
	}
	var resp struct {
		Status, Error string
		Data          json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Status != "success" {
		a.t.Fatalf("Prometheus %s %s: %s %v", path, params.Get("query"), resp.Error, err)
	}
	if err := json.Unmarshal(resp.Data, data); err != nil {
		a.t.Fatal(err)
	}
}

func unix(t time.Time) string { return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64) }

func (a *promAPI) query(expr string, at time.Time) []series {
	var data struct{ Result []series }
	a.get("/api/v1/query", url.Values{"query": {expr}, "time": {unix(at)}}, &data)
	return data.Result
}

func (a *promAPI) queryRange(expr string, from, to time.Time) []series {
	var data struct{ Result []series }
	a.get("/api/v1/query_range", url.Values{"query": {expr}, "start": {unix(from)}, "end": {unix(to)}, "step": {"1"}}, &data)
	return data.Result
}

// samples returns the raw samples, one per scrape, of the one series the
// selector sel picks between from and to, oldest first.
func (a *promAPI) samples(sel string, from, to time.Time) []float64 {
	a.t.Helper()
	expr := fmt.Sprintf("%s[%ds]", sel, int(math.Ceil(to.Sub(from).Seconds())))
	ss := a.query(expr, to)
	if len(ss) != 1 {
		a.t.Fatalf("%s: %d series, want 1", expr, len(ss))
	}
	var out []float64
	for _, v := range ss[0].Values {
		out = append(out, value(v))
	}
	return out
}

func value(v [2]any) float64 {
	s, _ := v[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// finite counts the finite values of a query result.
func finite(ss []series) int {
	n := 0
	for _, s := range ss {
		for _, v := range append(slices.Clone(s.Values), s.Value) {
			if f := value(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
				n++
			}
		}
	}
	return n
}

type rule struct {
	Name, Query, Health, LastError, State, Type string
}

func (a *promAPI) rules() []rule {
	var data struct {
		Groups []struct {
			Name  string
			Rules []rule
		}
	}
	a.get("/api/v1/rules", url.Values{"type": {"alert"}}, &data)
	var rs []rule
	for _, g := range data.Groups {
		rs = append(rs, g.Rules...)
	}
	return rs
}
