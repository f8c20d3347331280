package run

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestActorCollector: the collector re-exports the counters and gauges of
// the actors' deepq_apex_actor_* families with their labels, and nothing
// else of theirs (their go_* series would collide with the learner's); an
// actor that does not answer is left out.
func TestActorCollector(t *testing.T) {
	actor := func(i string, frames string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`# HELP deepq_apex_actor_frames_total Environment steps the actor took.
# TYPE deepq_apex_actor_frames_total counter
deepq_apex_actor_frames_total{actor="` + i + `",run="r"} ` + frames + `
# HELP deepq_apex_actor_epsilon The actor's ε.
# TYPE deepq_apex_actor_epsilon gauge
deepq_apex_actor_epsilon{actor="` + i + `",run="r"} 0.4
# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 12
`))
		}))
	}
	a0, a1 := actor("0", "1234"), actor("1", "99")
	defer a0.Close()
	defer a1.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c := newActorCollector([]string{strings.TrimPrefix(a0.URL, "http://"), strings.TrimPrefix(a1.URL, "http://"), strings.TrimPrefix(dead.URL, "http://")})
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	want := `# HELP deepq_apex_actor_frames_total Environment steps the actor took.
# TYPE deepq_apex_actor_frames_total counter
deepq_apex_actor_frames_total{actor="0",run="r"} 1234
deepq_apex_actor_frames_total{actor="1",run="r"} 99
# HELP deepq_apex_actor_epsilon The actor's ε.
# TYPE deepq_apex_actor_epsilon gauge
deepq_apex_actor_epsilon{actor="0",run="r"} 0.4
deepq_apex_actor_epsilon{actor="1",run="r"} 0.4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "go_goroutines"); err != nil || n != 0 {
		t.Errorf("re-exported %d go_goroutines series (%v), want none", n, err)
	}
}

// TestNATSRunName: a run directory's name becomes a valid NATS run name.
func TestNATSRunName(t *testing.T) {
	for in, want := range map[string]string{
		"cartpole-s1-20261202-101500":            "cartpole-s1-20261202-101500",
		"gridworld_map-four-rooms.x-s1-20261202": "gridworld_map-four-rooms-x-s1-20261202",
		strings.Repeat("a", 70) + "-end":         strings.Repeat("a", 60) + "-end",
		"...":                                    "---",
	} {
		if got := natsRunName(in); got != want {
			t.Errorf("natsRunName(%q) = %q, want %q", in, got, want)
		}
	}
}
