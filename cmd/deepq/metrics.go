package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/metrics"
	"github.com/deepq/deepq/run"
)

// DefaultMetricsAddr is where deepq train serves /metrics unless told otherwise.
const DefaultMetricsAddr = "127.0.0.1:2112"

// metricsExport is a run's Prometheus exporter: its registry, the server that
// serves it, and, once the run is named, the observer that fills it.
type metricsExport struct {
	reg *prometheus.Registry
	srv *metrics.Server
	obs *metrics.Observer
}

// listenMetrics starts serving an empty registry on addr, before anything of
// the run exists, so that a port in use stops the run before it starts. Each
// run gets its own registry rather than the global one: the process may
// train more than once (tests do), and the exporter's metrics must not
// collide with those of an earlier run.
func listenMetrics(addr string) (*metricsExport, error) {
	reg := prometheus.NewRegistry()
	srv, err := metrics.Listen(addr, reg)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot serve metrics on %s: address already in use (another deepq train?); "+
			"choose a free one with --metrics-addr, or turn metrics off with --metrics-addr ''", addr)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("--metrics-addr %q: %v", addr, err)}
	}
	return &metricsExport{reg: reg, srv: srv}, nil
}

// observe creates the observer of the run described by info, labelled
// env=info.Env and run=name.
func (m *metricsExport) observe(info run.Info, spec *env.Spec, preset, name string) (*metrics.Observer, error) {
	mc := metrics.DefaultConfig(info.Env, spec)
	mc.Run, mc.Preset, mc.Seed, mc.Version, mc.TotalSteps = name, preset, info.Seed, version(), info.TotalSteps
	obs, err := metrics.New(m.reg, mc)
	if err != nil {
		return nil, err
	}
	m.obs = obs
	return obs, nil
}

// linger keeps serving for d after training so that a last scrape sees the
// final values, returning early when ctx is done (Ctrl-C).
func (m *metricsExport) linger(ctx context.Context, d time.Duration, stderr io.Writer) {
	if d <= 0 || ctx.Err() != nil {
		return
	}
	fmt.Fprintf(stderr, "deepq: serving the final metrics on http://%s/metrics for %s (Ctrl-C to stop)\n", m.srv.Addr(), d)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (m *metricsExport) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return m.srv.Close(ctx)
}

// version names the deepq build: the module version when installed with go
// install, else the VCS revision (with "-dirty" for uncommitted changes), else
// "devel".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return rev[:min(len(rev), 12)] + dirty
}
