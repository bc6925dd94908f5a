package metrics_test

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/brusano/bassins/pipeline/metrics"
	"github.com/brusano/bassins/pipeline/warehouse"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// scrape fetches the exposition over HTTP, in the text format, and parses it.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing the exposition: %v\n%s", err, body)
	}
	return fams
}

// series finds the metric of a family with exactly these labels.
func series(fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, m := range f.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.Label {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return -1
}

func labelsOf(f *dto.MetricFamily) []string {
	var out []string
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		out = append(out, strings.Join(ls, ","))
	}
	sort.Strings(out)
	return out
}

func TestExposition(t *testing.T) {
	now := at("2024-03-12T14:00:00Z")
	m := metrics.New(metrics.Options{
		Now:     func() time.Time { return now },
		Jobs:    []string{"ingest", "compute", "report"},
		Sources: []string{"combo", "tdi"},
	})

	m.SetLastSuccess("compute", at("2024-03-12T13:00:00Z"))
	m.SetLastSuccess("compute", at("2024-03-12T12:00:00Z")) // earlier: ignored
	m.RunStarted(warehouse.JobRun{RunID: "i1", Job: "ingest", StartedAt: at("2024-03-12T13:58:00Z"), Status: warehouse.RunRunning})
	m.RunStarted(warehouse.JobRun{RunID: "i2", Job: "ingest", StartedAt: at("2024-03-12T13:59:00Z"), Status: warehouse.RunRunning})
	m.RunStarted(warehouse.JobRun{RunID: "c1", Job: "compute", StartedAt: at("2024-03-12T13:00:00Z"), Status: warehouse.RunRunning})
	m.RunFinished(warehouse.JobRun{RunID: "i1", Job: "ingest", StartedAt: at("2024-03-12T13:58:00Z"),
		FinishedAt: at("2024-03-12T13:59:30Z"), Status: warehouse.RunOK}, true)
	m.RunFinished(warehouse.JobRun{RunID: "c1", Job: "compute", StartedAt: at("2024-03-12T13:00:00Z"),
		FinishedAt: at("2024-03-12T13:00:10Z"), Status: warehouse.RunFailed, Attempt: 1}, false)
	// A retry this process did not start, two hours long, failing for good.
	m.RunFinished(warehouse.JobRun{RunID: "c2", Job: "compute", StartedAt: at("2024-03-12T10:00:00Z"),
		FinishedAt: at("2024-03-12T12:00:00Z"), Status: warehouse.RunFailed, Attempt: 2}, true)
	// Found interrupted: no end, a heartbeat 40 s after its start.
	m.RunFinished(warehouse.JobRun{RunID: "r1", Job: "report", StartedAt: at("2024-03-01T06:00:00Z"),
		HeartbeatAt: at("2024-03-01T06:00:40Z"), Status: warehouse.RunInterrupted}, true)

	m.LoadRecorded(warehouse.Load{Source: "combo", Status: warehouse.StatusLoaded, RowsRead: 100, RowsLoaded: 95, RowsQuarantined: 5})
	m.LoadRecorded(warehouse.Load{Source: "combo", Status: warehouse.StatusRejected, RowsRead: 50, RowsQuarantined: 20})
	m.LoadRecorded(warehouse.Load{Source: "combo", Status: warehouse.StatusRetracted, RowsRead: 100, RowsLoaded: 95, RowsQuarantined: 5})

	m.SetOverdue("combo", true)
	m.SetOverdue("tdi", true)
	m.SetOverdue("tdi", false)
	m.SetOverdue("renfort", true)
	m.SetOverdue("renfort", true)

	type L = map[string]string
	tests := []struct {
		name   string
		labels L
		want   float64
	}{
		{"bassins_job_runs_total", L{"job": "ingest", "status": "ok"}, 1},
		{"bassins_job_runs_total", L{"job": "ingest", "status": "failed"}, 0},
		{"bassins_job_runs_total", L{"job": "compute", "status": "failed"}, 2},
		{"bassins_job_runs_total", L{"job": "compute", "status": "ok"}, 0},
		{"bassins_job_runs_total", L{"job": "report", "status": "interrupted"}, 1},
		{"bassins_job_runs_total", L{"job": "report", "status": "cancelled"}, 0},
		{"bassins_job_failures_total", L{"job": "compute"}, 1},
		{"bassins_job_failures_total", L{"job": "report"}, 1},
		{"bassins_job_failures_total", L{"job": "ingest"}, 0},
		{"bassins_job_running", L{"job": "ingest"}, 1},
		{"bassins_job_running", L{"job": "compute"}, 0},
		{"bassins_job_running", L{"job": "report"}, 0},
		{"bassins_source_rows_total", L{"source": "combo", "outcome": "read"}, 150},
		{"bassins_source_rows_total", L{"source": "combo", "outcome": "loaded"}, 95},
		{"bassins_source_rows_total", L{"source": "combo", "outcome": "quarantined"}, 25},
		{"bassins_source_rows_total", L{"source": "tdi", "outcome": "read"}, 0},
		{"bassins_source_rows_total", L{"source": "tdi", "outcome": "quarantined"}, 0},
		{"bassins_job_last_success_timestamp_seconds", L{"job": "ingest"}, 1710251970},
		{"bassins_job_last_success_timestamp_seconds", L{"job": "compute"}, 1710248400},
		{"bassins_job_last_success_timestamp_seconds", L{"job": "report"}, 0},
		{"bassins_job_seconds_since_last_success", L{"job": "ingest"}, 30},
		{"bassins_job_seconds_since_last_success", L{"job": "compute"}, 3600},
		{"bassins_deliveries_overdue", L{"source": "combo"}, 1},
		{"bassins_deliveries_overdue", L{"source": "tdi"}, 0},
		{"bassins_deliveries_overdue", L{"source": "renfort"}, 1},
		{"bassins_sources_overdue", L{}, 2},
	}
	fams := scrape(t, m.Handler())
	for _, tt := range tests {
		t.Run(tt.name+"/"+strings.Join(sortedValues(tt.labels), ","), func(t *testing.T) {
			s := series(fams, tt.name, tt.labels)
			if s == nil {
				t.Fatalf("no series %s%v", tt.name, tt.labels)
			}
			if got := value(s); got != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
			}
		})
	}

	t.Run("series present", func(t *testing.T) {
		if s := series(fams, "bassins_job_seconds_since_last_success", L{"job": "report"}); s != nil {
			t.Errorf("seconds since a success that never happened: %v", value(s))
		}
		for _, name := range []string{"go_goroutines", "process_start_time_seconds", "promhttp_metric_handler_requests_total"} {
			if fams[name] == nil {
				t.Errorf("no %s in the exposition", name)
			}
		}
		for name, f := range fams {
			if strings.HasPrefix(name, "bassins_") && !strings.HasPrefix(f.GetHelp(), strings.ToUpper(f.GetHelp()[:1])) {
				t.Errorf("%s: help %q", name, f.GetHelp())
			}
		}
		want := []string{"job=compute,status=failed", "job=ingest,status=ok", "job=report,status=interrupted"}
		if got := labelsOf(fams["bassins_job_run_duration_seconds"]); strings.Join(got, ";") != strings.Join(want, ";") {
			t.Errorf("duration series %v, want %v", got, want)
		}
	})

	histograms := []struct {
		job, status string
		count       uint64
		sum         float64
		buckets     map[float64]uint64 // cumulative counts at some bounds
	}{
		{"ingest", "ok", 1, 90, map[float64]uint64{60: 0, 120: 1, 3600: 1}},
		{"compute", "failed", 2, 10 + 7200, map[float64]uint64{5: 0, 15: 1, 1800: 1, 3600: 1}},
		{"report", "interrupted", 1, 40, map[float64]uint64{30: 0, 60: 1}},
	}
	for _, tt := range histograms {
		t.Run("duration/"+tt.job, func(t *testing.T) {
			s := series(fams, "bassins_job_run_duration_seconds", L{"job": tt.job, "status": tt.status})
			if s == nil || s.Histogram == nil {
				t.Fatalf("no duration histogram for %s %s", tt.job, tt.status)
			}
			h := s.Histogram
			if h.GetSampleCount() != tt.count || h.GetSampleSum() != tt.sum {
				t.Errorf("count %d sum %v, want %d %v", h.GetSampleCount(), h.GetSampleSum(), tt.count, tt.sum)
			}
			// The text format writes the +Inf bucket too.
			if n := len(h.Bucket); n != 12 || h.Bucket[n-2].GetUpperBound() != 3600 || !math.IsInf(h.Bucket[n-1].GetUpperBound(), 1) {
				t.Fatalf("%d buckets %v, want 11 up to 3600 and +Inf", n, h.Bucket)
			}
			if c := h.Bucket[11].GetCumulativeCount(); c != tt.count {
				t.Errorf("bucket +Inf: %d, want %d", c, tt.count)
			}
			for _, b := range h.Bucket {
				if want, ok := tt.buckets[b.GetUpperBound()]; ok && b.GetCumulativeCount() != want {
					t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
				}
			}
		})
	}

	t.Run("seconds since, at the time of the scrape", func(t *testing.T) {
		now = now.Add(time.Minute)
		m.RunFinished(warehouse.JobRun{RunID: "i2", Job: "ingest", StartedAt: at("2024-03-12T13:59:00Z"),
			FinishedAt: at("2024-03-12T14:00:30Z"), Status: warehouse.RunOK}, true)
		fams := scrape(t, m.Handler())
		for job, want := range map[string]float64{"ingest": 30, "compute": 3660} {
			if s := series(fams, "bassins_job_seconds_since_last_success", L{"job": job}); s == nil || value(s) != want {
				t.Errorf("%s: %v, want %v", job, s, want)
			}
		}
		if s := series(fams, "bassins_job_running", L{"job": "ingest"}); s == nil || value(s) != 0 {
			t.Errorf("ingest running: %v, want 0", s)
		}
	})
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Two Metrics live side by side: neither touches the global registry.
func TestOwnRegistry(t *testing.T) {
	a := metrics.New(metrics.Options{Jobs: []string{"ingest"}})
	b := metrics.New(metrics.Options{Jobs: []string{"ingest"}})
	a.RunFinished(warehouse.JobRun{RunID: "x", Job: "ingest", Status: warehouse.RunOK}, true)
	fa, fb := scrape(t, a.Handler()), scrape(t, b.Handler())
	ok := map[string]string{"job": "ingest", "status": "ok"}
	if value(series(fa, "bassins_job_runs_total", ok)) != 1 || value(series(fb, "bassins_job_runs_total", ok)) != 0 {
		t.Errorf("runs: %v and %v, want 1 and 0", series(fa, "bassins_job_runs_total", ok), series(fb, "bassins_job_runs_total", ok))
	}
}
