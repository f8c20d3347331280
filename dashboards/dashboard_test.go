package dashboards

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/deepq/deepq/apex"
	"github.com/deepq/deepq/metrics"
)

// query is one PromQL expression of the dashboard, with where it sits.
type query struct {
	panel, legend, expr string
}

// decoded is deepq.json as the Grafana foundation SDK's types see it.
type decoded struct {
	*dashboard.Dashboard
	// panels holds each panel, decoded on its own (see decodeDashboard);
	// exactly one of row and panel is set.
	panels []decodedPanel
}

type decodedPanel struct {
	row     *dashboard.RowPanel
	panel   *dashboard.Panel
	queries []*prometheus.Dataquery
}

// strictErr turns the strict decoders' empty error list into nil.
func strictErr(err error) error {
	var list cog.BuildErrors
	if errors.As(err, &list) && len(list) == 0 {
		return nil
	}
	return err
}

// decodeDashboard decodes deepq.json strictly with the Grafana foundation
// SDK's types: unknown fields, wrong types and missing required fields are
// errors, in panels' options and Prometheus queries too.
//
// In v0.0.22 a strict decoder that meets no error still returns its empty
// error list, and the decoders of panels (PanelOrRowPanel) and of data
// queries take that for a failure and drop the value while passing on no
// error. So the dashboard as a whole is decoded to find every error, and
// each panel and query is decoded again on its own for its content.
func decodeDashboard(t *testing.T) decoded {
	t.Helper()
	plugins.RegisterDefaultPlugins() // panel options and data queries by type
	d := decoded{Dashboard: &dashboard.Dashboard{}}
	if err := strictErr(d.UnmarshalJSONStrict(Grafana)); err != nil {
		t.Fatalf("deepq.json:\n%v", err)
	}
	var raw struct{ Panels []json.RawMessage }
	if err := json.Unmarshal(Grafana, &raw); err != nil {
		t.Fatal(err)
	}
	for i, rp := range raw.Panels {
		var head struct {
			Type    string
			Targets []json.RawMessage
		}
		if err := json.Unmarshal(rp, &head); err != nil {
			t.Fatal(err)
		}
		var dp decodedPanel
		var err error
		if head.Type == "row" {
			dp.row = &dashboard.RowPanel{}
			err = dp.row.UnmarshalJSONStrict(rp)
		} else {
			dp.panel = &dashboard.Panel{}
			err = dp.panel.UnmarshalJSONStrict(rp)
		}
		if err := strictErr(err); err != nil {
			t.Fatalf("deepq.json panels[%d]:\n%v", i, err)
		}
		for j, rt := range head.Targets {
			q := &prometheus.Dataquery{}
			if err := strictErr(q.UnmarshalJSONStrict(rt)); err != nil {
				t.Fatalf("deepq.json panels[%d].targets[%d]: not a Prometheus query:\n%v", i, j, err)
			}
			dp.queries = append(dp.queries, q)
		}
		d.panels = append(d.panels, dp)
	}
	if len(d.panels) != len(d.Panels) {
		t.Fatalf("%d panels decoded, the SDK saw %d", len(d.panels), len(d.Panels))
	}
	return d
}

// dashboardQueries returns every PromQL expression of the dashboard's panels.
func dashboardQueries(d decoded) []query {
	var qs []query
	for _, p := range d.panels {
		for _, q := range p.queries {
			qs = append(qs, query{panel: deref(p.panel.Title), legend: deref(q.LegendFormat), expr: q.Expr})
		}
	}
	return qs
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func TestDashboardDecodesStrictly(t *testing.T) {
	d := decodeDashboard(t)
	if deref(d.Uid) == "" || deref(d.Title) == "" || len(d.panels) < 20 {
		t.Fatalf("dashboard lacks a uid, a title or its panels")
	}
	// A misspelt field in a row, in a panel, in a panel's options or in a
	// query must fail: the check is not vacuous.
	for _, typo := range [][2]string{
		{`"collapsed": false`, `"colapsed": false`},
		{`"description": "Environment steps taken in training."`, `"descripton": "Environment steps taken in training."`},
		{`"showLegend": true`, `"showLegends": true`},
		{`"legendFormat": "{{run}}"`, `"legend": "{{run}}"`},
		{`"wideLayout": true`, `"wideLayout": "yes"`},
	} {
		broken := strings.Replace(string(Grafana), typo[0], typo[1], 1)
		if broken == string(Grafana) {
			t.Fatalf("deepq.json has no %s", typo[0])
		}
		var bad dashboard.Dashboard
		if err := strictErr(bad.UnmarshalJSONStrict([]byte(broken))); err == nil {
			t.Errorf("%s decoded without error", typo[1])
		}
	}
}

// runVariableQuery lists the runs: those of deepq train (deepq_run_info)
// and those of the Ape-X learner, which has no deepq_run_info.
const runVariableQuery = `label_values({__name__=~"deepq_run_info|deepq_apex_learner_updates_total"}, run)`

// TestDashboardVariables: a Prometheus data source variable and a run
// variable listing the runs, with multi-selection and All.
func TestDashboardVariables(t *testing.T) {
	d := decodeDashboard(t)
	vars := map[string]dashboard.VariableModel{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	ds, ok := vars["datasource"]
	if !ok || ds.Type != dashboard.VariableTypeDatasource || ds.Query == nil || deref(ds.Query.String) != "prometheus" {
		t.Errorf("datasource variable: %+v", ds)
	}
	run, ok := vars["run"]
	if !ok {
		t.Fatal("no run variable")
	}
	if run.Type != dashboard.VariableTypeQuery || run.Datasource == nil || deref(run.Datasource.Uid) != "${datasource}" {
		t.Errorf("run variable: type %q, datasource %+v", run.Type, run.Datasource)
	}
	if run.Query == nil || run.Query.Map == nil || run.Query.Map["query"] != runVariableQuery {
		t.Errorf("run variable query: %+v", run.Query)
	}
	if !deref(run.Multi) || !deref(run.IncludeAll) || deref(run.AllValue) != ".*" {
		t.Errorf("run variable: multi %v, include all %v, all value %q", deref(run.Multi), deref(run.IncludeAll), deref(run.AllValue))
	}
}

// TestDashboardLayout: unique ids, panels inside the 24-column grid and not
// overlapping, each with a title, a description and the data source variable.
func TestDashboardLayout(t *testing.T) {
	d := decodeDashboard(t)
	ids := map[uint32]bool{}
	type cell struct{ x, y uint32 }
	taken := map[cell]string{}
	for _, p := range d.panels {
		var id uint32
		var title string
		var g *dashboard.GridPos
		if p.row != nil {
			id, title, g = p.row.Id, deref(p.row.Title), p.row.GridPos
			if p.row.Collapsed || len(p.row.Panels) > 0 {
				t.Errorf("row %q is collapsed or nests panels; keep rows open", title)
			}
		} else {
			id, title, g = deref(p.panel.Id), deref(p.panel.Title), p.panel.GridPos
			if deref(p.panel.Description) == "" {
				t.Errorf("panel %q has no description", title)
			}
			if p.panel.Datasource == nil || deref(p.panel.Datasource.Uid) != "${datasource}" {
				t.Errorf("panel %q does not use the datasource variable", title)
			}
			if len(p.queries) == 0 {
				t.Errorf("panel %q has no query", title)
			}
			if p.panel.Type != "timeseries" && p.panel.Type != "stat" {
				t.Errorf("panel %q is a %q", title, p.panel.Type)
			}
		}
		if title == "" || ids[id] || g == nil {
			t.Errorf("panel %d %q: empty title, duplicate id or no gridPos", id, title)
			continue
		}
		ids[id] = true
		if g.X+uint32(g.W) > 24 || g.W == 0 || g.H == 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24 columns", title, *g)
		}
		for x := g.X; x < g.X+uint32(g.W); x++ {
			for y := g.Y; y < g.Y+uint32(g.H); y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Errorf("panels %q and %q overlap at (%d, %d)", other, title, x, y)
				}
				taken[cell{x, y}] = title
			}
		}
	}
}

var (
	// metricRE finds the metric names in PromQL: deepq's and the runtime's.
	metricRE = regexp.MustCompile(`\b((?:deepq|go|process)_[a-z0-9_]+)\b`)
	// selectorRE matches a metric with the run selector right after it.
	selectorRE = regexp.MustCompile(`\b(?:deepq|go|process)_[a-z0-9_]+\{run=~"\$run"\}`)
)

// TestDashboardQueries: every query selects the chosen runs, SPS is
// rate(deepq_env_steps_total[1m]), and together the panels show every
// metric the exporter has and the runtime series the issue asks for.
func TestDashboardQueries(t *testing.T) {
	d := decodeDashboard(t)
	qs := dashboardQueries(d)
	used := map[string]bool{}
	for _, q := range qs {
		names := metricRE.FindAllString(q.expr, -1)
		if len(names) == 0 {
			t.Errorf("panel %q: query %q uses no deepq, go or process metric", q.panel, q.expr)
		}
		if n := len(selectorRE.FindAllString(q.expr, -1)); n != len(names) {
			t.Errorf("panel %q: query %q: %d of %d metrics lack {run=~\"$run\"}", q.panel, q.expr, len(names)-n, len(names))
		}
		if strings.Contains(q.expr, "$__") {
			t.Errorf("panel %q: query %q uses a Grafana macro; keep queries plain PromQL", q.panel, q.expr)
		}
		if !strings.Contains(q.legend, "{{run}}") {
			t.Errorf("panel %q: legend %q does not name the run", q.panel, q.legend)
		}
		for _, n := range names {
			used[strings.TrimSuffix(n, "_bucket")] = true
		}
	}
	if !slices.ContainsFunc(qs, func(q query) bool { return q.expr == `rate(deepq_env_steps_total{run=~"$run"}[1m])` }) {
		t.Error(`no panel shows SPS as rate(deepq_env_steps_total{run=~"$run"}[1m])`)
	}
	// Every metric the observer and apex export is on the dashboard
	// (run_info feeds the run variable), and the dashboard uses no deepq
	// metric that does not exist.
	known := append(metrics.MetricNames(), apex.MetricNames()...)
	for _, name := range known {
		if !used[name] && name != "deepq_run_info" {
			t.Errorf("%s is on no panel", name)
		}
	}
	for name := range used {
		if strings.HasPrefix(name, "deepq_") && !slices.Contains(known, name) {
			t.Errorf("the dashboard uses %s, which neither the metrics package nor apex exports", name)
		}
	}
	for _, name := range []string{"go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "go_gc_duration_seconds_count"} {
		if !used[name] {
			t.Errorf("no memory or GC panel shows %s", name)
		}
	}
}

// TestAlertRulesUseKnownMetrics: the alert rules name only metrics the
// exporter has, and the three alerts the issue asks for are there.
func TestAlertRulesUseKnownMetrics(t *testing.T) {
	known := metrics.MetricNames()
	for _, name := range metricRE.FindAllString(string(AlertRules), -1) {
		if !slices.Contains(known, name) {
			t.Errorf("alerts.yml uses %s, which neither the metrics package nor apex exports", name)
		}
	}
	for _, alert := range []string{"DeepqLossNotFinite", "DeepqNoEnvSteps", "DeepqEvalReturnCollapsed"} {
		if !strings.Contains(string(AlertRules), "- alert: "+alert+"\n") {
			t.Errorf("alerts.yml lacks %s", alert)
		}
	}
	if !strings.Contains(string(PrometheusConfig), "- alerts.yml") || !strings.Contains(string(PrometheusConfig), `"127.0.0.1:2112"`) {
		t.Error("prometheus.yml does not load alerts.yml or scrape 127.0.0.1:2112")
	}
}

// apexRow is the title of the dashboard's row of Ape-X panels.
const apexRow = "Ape-X: learner and actors (deepq train --actors, deepq learner, deepq actor)"

// apexPanels returns the titles of the panels below the Ape-X row.
func apexPanels(d decoded) map[string]bool {
	titles := map[string]bool{}
	in := false
	for _, p := range d.panels {
		if p.row != nil {
			in = deref(p.row.Title) == apexRow
			continue
		}
		if in {
			titles[deref(p.panel.Title)] = true
		}
	}
	return titles
}

// TestDashboardApexPanels: the Ape-X row shows actor frames/s, batches
// sent and dropped, learner updates/s, the ingest rate, the replay fill,
// the parameter version and staleness; each of its queries names only
// metrics that apex registers (apex.MetricNames, from the registry itself),
// and at least one.
func TestDashboardApexPanels(t *testing.T) {
	d := decodeDashboard(t)
	titles := apexPanels(d)
	if len(titles) == 0 {
		t.Fatalf("no row %q", apexRow)
	}
	exported := apex.MetricNames()
	shown := map[string]bool{}
	for _, q := range dashboardQueries(d) {
		if !titles[q.panel] {
			if strings.Contains(q.expr, "deepq_apex_") {
				t.Errorf("panel %q outside the Ape-X row queries %s", q.panel, q.expr)
			}
			continue
		}
		names := metricRE.FindAllString(q.expr, -1)
		if len(names) == 0 {
			t.Errorf("Ape-X panel %q: query %q names no metric", q.panel, q.expr)
		}
		for _, n := range names {
			base := strings.TrimSuffix(n, "_bucket")
			if !slices.Contains(exported, base) {
				t.Errorf("Ape-X panel %q: query %q uses %s, which apex does not export", q.panel, q.expr, n)
			}
			shown[base] = true
		}
	}
	for _, want := range []string{"deepq_apex_actor_frames_total", "deepq_apex_actor_batches_sent_total", "deepq_apex_actor_batches_dropped_total",
		"deepq_apex_learner_updates_total", "deepq_apex_learner_ingested_transitions_total", "deepq_apex_learner_replay_size",
		"deepq_apex_learner_param_version", "deepq_apex_actor_staleness_versions", "deepq_apex_learner_staleness_versions"} {
		if !shown[want] {
			t.Errorf("no Ape-X panel shows %s", want)
		}
	}
}
