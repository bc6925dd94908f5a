// Package metrics exposes the state of the pipeline to Prometheus: job runs
// and their durations, rows delivered by source, the last success of every
// job and the sources whose delivery is overdue.
//
// Every Metrics has its own registry (never the global default one), holding
// the Go runtime and process collectors too.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// DurationBuckets are the upper bounds, in seconds, of the run duration
// histogram: from a second to an hour.
var DurationBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600}

// Outcomes of the rows of a delivery, the values of the outcome label.
const (
	OutcomeRead        = "read"
	OutcomeLoaded      = "loaded"
	OutcomeQuarantined = "quarantined"
)

// Options wires the metrics.
type Options struct {
	// Now gives the time of a scrape (seconds since the last success);
	// default time.Now.
	Now func() time.Time
	// Jobs and Sources are the configured names: their series exist at 0
	// from the start, before any run or delivery.
	Jobs    []string
	Sources []string
}

// Metrics records what the pipeline does. Its methods are safe for
// concurrent use.
type Metrics struct {
	now      func() time.Time
	registry *prometheus.Registry

	runs        *prometheus.CounterVec
	failures    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	running     *prometheus.GaugeVec
	rows        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	overdue     *prometheus.GaugeVec
	overdueAll  prometheus.Gauge
	sinceDesc   *prometheus.Desc

	mu          sync.Mutex
	active      map[string]map[string]bool // job -> run ids running
	successes   map[string]time.Time       // job -> last success
	overdueSets map[string]bool            // source -> overdue
}

// New returns metrics registered in a registry of their own.
func New(opts Options) *Metrics {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Metrics{
		now:      opts.Now,
		registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bassins_job_runs_total",
			Help: "Runs of a job that ended, by final status (ok, failed, cancelled, interrupted); every attempt counts.",
		}, []string{"job", "status"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bassins_job_failures_total",
			Help: "Runs of a job that did not end ok on their last attempt (no retry left).",
		}, []string{"job"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bassins_job_run_duration_seconds",
			Help:    "Duration of the runs of a job, from start to end, by final status.",
			Buckets: DurationBuckets,
		}, []string{"job", "status"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bassins_job_running",
			Help: "Runs of a job in progress in this process.",
		}, []string{"job"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bassins_source_rows_total",
			Help: "Rows of the deliveries of a source: read from the files, loaded, and quarantined (set aside).",
		}, []string{"source", "outcome"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bassins_job_last_success_timestamp_seconds",
			Help: "End of the last run of a job that ended ok, in Unix seconds; 0 when it never did.",
		}, []string{"job"}),
		overdue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bassins_deliveries_overdue",
			Help: "1 when the delivery of a source is overdue (its due day has passed), 0 otherwise.",
		}, []string{"source"}),
		overdueAll: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bassins_sources_overdue",
			Help: "Number of sources whose delivery is overdue.",
		}),
		sinceDesc: prometheus.NewDesc("bassins_job_seconds_since_last_success",
			"Seconds from the end of the last run of a job that ended ok to now; absent while the job never ended ok.",
			[]string{"job"}, nil),
		active:      map[string]map[string]bool{},
		successes:   map[string]time.Time{},
		overdueSets: map[string]bool{},
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.runs, m.failures, m.duration, m.running, m.rows, m.lastSuccess, m.overdue, m.overdueAll,
		sinceCollector{m},
	)
	for _, job := range opts.Jobs {
		m.running.WithLabelValues(job)
		m.lastSuccess.WithLabelValues(job)
		m.failures.WithLabelValues(job)
		for _, status := range []string{warehouse.RunOK, warehouse.RunFailed, warehouse.RunCancelled, warehouse.RunInterrupted} {
			m.runs.WithLabelValues(job, status)
		}
	}
	for _, source := range opts.Sources {
		m.overdue.WithLabelValues(source)
		for _, outcome := range []string{OutcomeRead, OutcomeLoaded, OutcomeQuarantined} {
			m.rows.WithLabelValues(source, outcome)
		}
	}
	return m
}

// Registry returns the registry the metrics live in, for a caller adding
// collectors of its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in the Prometheus exposition formats, counting
// its own scrapes.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.registry,
		promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry}))
}

// RunStarted counts a run in progress.
func (m *Metrics) RunStarted(run warehouse.JobRun) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := m.active[run.Job]
	if ids == nil {
		ids = map[string]bool{}
		m.active[run.Job] = ids
	}
	ids[run.RunID] = true
	m.running.WithLabelValues(run.Job).Set(float64(len(ids)))
}

// RunFinished counts a run that ended, with its status and duration. final
// says no retry follows it. A run this process did not start (one found
// interrupted at start) counts too, and leaves the runs in progress as they
// are.
func (m *Metrics) RunFinished(run warehouse.JobRun, final bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ids := m.active[run.Job]; ids[run.RunID] {
		delete(ids, run.RunID)
		m.running.WithLabelValues(run.Job).Set(float64(len(ids)))
	}
	m.runs.WithLabelValues(run.Job, run.Status).Inc()
	end := run.FinishedAt
	if end.IsZero() {
		end = run.HeartbeatAt // an interrupted run: it went on until then at least
	}
	if end.IsZero() {
		end = run.StartedAt
	}
	m.duration.WithLabelValues(run.Job, run.Status).Observe(max(end.Sub(run.StartedAt).Seconds(), 0))
	if run.Status == warehouse.RunOK {
		m.setLastSuccess(run.Job, end)
	} else if final {
		m.failures.WithLabelValues(run.Job).Inc()
	}
}

// LoadRecorded counts the rows of a delivery by outcome. A retraction counts
// nothing: its rows were counted when the delivery came.
func (m *Metrics) LoadRecorded(l warehouse.Load) {
	if l.Status == warehouse.StatusRetracted {
		return
	}
	m.rows.WithLabelValues(l.Source, OutcomeRead).Add(float64(l.RowsRead))
	m.rows.WithLabelValues(l.Source, OutcomeLoaded).Add(float64(l.RowsLoaded))
	m.rows.WithLabelValues(l.Source, OutcomeQuarantined).Add(float64(l.RowsQuarantined))
}

// SetLastSuccess sets the last success of a job, read from the stored
// history at start. An earlier time than the one known is ignored.
func (m *Metrics) SetLastSuccess(job string, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setLastSuccess(job, t)
}

func (m *Metrics) setLastSuccess(job string, t time.Time) {
	if t.IsZero() || !t.After(m.successes[job]) {
		return
	}
	m.successes[job] = t
	m.lastSuccess.WithLabelValues(job).Set(float64(t.UnixNano()) / 1e9)
}

// SetOverdue says whether the delivery of a source is overdue.
func (m *Metrics) SetOverdue(source string, overdue bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := 0.0
	if overdue {
		v = 1
		m.overdueSets[source] = true
	} else {
		delete(m.overdueSets, source)
	}
	m.overdue.WithLabelValues(source).Set(v)
	m.overdueAll.Set(float64(len(m.overdueSets)))
}

// sinceCollector computes the seconds since every job's last success at the
// time of the scrape.
type sinceCollector struct{ m *Metrics }

func (c sinceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.sinceDesc }

func (c sinceCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.m.now()
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	for job, t := range c.m.successes {
		ch <- prometheus.MustNewConstMetric(c.m.sinceDesc, prometheus.GaugeValue, now.Sub(t).Seconds(), job)
	}
}
