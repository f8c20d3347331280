package run

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// actorCollector re-exports the actors' deepq_apex_actor_* metrics: at each
// collection it reads every actor's /metrics (served on a loopback address
// of its own) and passes on the counters and gauges of that prefix, so that
// one scrape of deepq train --actors N sees the learner and all actors. An
// actor that does not answer (starting, restarting) is left out of that
// collection. It is an unchecked collector: the actors' metrics are not
// known in advance.
type actorCollector struct {
	addrs  []string
	client http.Client
}

// newActorCollector returns the collector of the actors serving on addrs;
// a scrape waits at most a second for each.
func newActorCollector(addrs []string) *actorCollector {
	return &actorCollector{addrs: addrs, client: http.Client{Timeout: time.Second}}
}

// actorPrefix is the prefix of the metrics an actor exports (apex.ActorMetrics).
const actorPrefix = "deepq_apex_actor_"

func (c *actorCollector) Describe(chan<- *prometheus.Desc) {}

func (c *actorCollector) Collect(ch chan<- prometheus.Metric) {
	var wg sync.WaitGroup
	for _, addr := range c.addrs {
		wg.Go(func() {
			for _, m := range c.scrape(addr) {
				ch <- m
			}
		})
	}
	wg.Wait()
}

// scrape returns the actor metrics that addr serves.
func (c *actorCollector) scrape(addr string) []prometheus.Metric {
	resp, err := c.client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil
	}
	var out []prometheus.Metric
	for name, f := range fams {
		if !strings.HasPrefix(name, actorPrefix) {
			continue
		}
		for _, m := range f.GetMetric() {
			var t prometheus.ValueType
			var v float64
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				t, v = prometheus.CounterValue, m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				t, v = prometheus.GaugeValue, m.GetGauge().GetValue()
			default:
				continue
			}
			labels := prometheus.Labels{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			desc := prometheus.NewDesc(name, f.GetHelp(), nil, labels)
			if cm, err := prometheus.NewConstMetric(desc, t, v); err == nil {
				out = append(out, cm)
			}
		}
	}
	return out
}
