package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/deepq/deepq/agent"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServer(t *testing.T) {
	o, reg := newObserver(t, true)
	srv, err := Listen("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.Addr()

	// Scrape while a goroutine records, as Prometheus does during training.
	var wg sync.WaitGroup
	wg.Go(func() {
		for s := int64(1); s <= 5000; s++ {
			o.OnStep(&agent.StepEvent{Step: s, Epsilon: 0.2, ReplaySize: int(s), ReplayCapacity: 5000})
		}
		o.OnEpisode(&agent.EpisodeEvent{Step: 5000, Episode: 1, Return: 500, Length: 500})
	})
	for range 5 {
		if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "deepq_env_steps_total{") {
			t.Fatalf("/metrics: %d\n%.300s", code, body)
		}
	}
	wg.Wait()
	code, body := get(t, base+"/metrics")
	for _, want := range []string{
		`deepq_env_steps_total{env="cartpole",run="test-run"} 5000`,
		`deepq_epsilon{env="cartpole",run="test-run"} 0.2`,
		`go_goroutines{env="cartpole",run="test-run"}`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Errorf("/: %d %q", code, body)
	}
	if code, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("/nope: %d, want 404", code)
	}

	// The port is taken now: a second server on it fails at once, saying so.
	if s2, err := Listen(srv.Addr(), reg); err == nil {
		s2.Close(context.Background())
		t.Fatal("listening twice on one port: no error")
	} else if !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("port in use: %v", err)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answers after Close")
	}
	if _, err := Listen("no-port-here", reg); err == nil || !strings.Contains(err.Error(), "no-port-here") {
		t.Errorf("bad address: %v", err)
	}
}
