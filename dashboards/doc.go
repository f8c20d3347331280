// Package dashboards holds what a deepq user points Prometheus and Grafana
// at, embedded so that programs can write them out:
//
//	deepq.json      a Grafana dashboard of a training run (variable run)
//	alerts.yml      Prometheus alert rules: loss not finite, no env steps for
//	                5 minutes, evaluation return collapsed
//	alerts_test.yml promtool unit tests of the rules
//	prometheus.yml  a Prometheus configuration scraping a local deepq train
//
// README.md in this directory tells how to use them. The tests check the
// dashboard against Grafana's schema and the metrics package, and, with
// DEEPQ_PROMETHEUS=1, run every dashboard and alert query against a real
// Prometheus scraping a real training run.
package dashboards

import _ "embed"

// Grafana is the Grafana dashboard JSON (deepq.json).
//
//go:embed deepq.json
var Grafana []byte

// AlertRules is the Prometheus alerting rules file (alerts.yml).
//
//go:embed alerts.yml
var AlertRules []byte

// PrometheusConfig is the Prometheus configuration that scrapes a local run
// (prometheus.yml). It loads alerts.yml from its own directory.
//
//go:embed prometheus.yml
var PrometheusConfig []byte
