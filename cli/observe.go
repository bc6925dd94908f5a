package cli

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/brusano/bassins/dashboards"
	"github.com/brusano/bassins/pipeline/alerts"
	"github.com/brusano/bassins/pipeline/metrics"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// observe sets up the metrics and, when a webhook is configured, the alerts.
func (a *app) observe() error {
	var jobs, srcs []string
	for _, j := range a.cfg.Jobs {
		jobs = append(jobs, j.Name)
	}
	for _, s := range a.cfg.Sources {
		srcs = append(srcs, s.Name)
	}
	a.metrics = metrics.New(metrics.Options{Jobs: jobs, Sources: srcs})
	url := a.cfg.Alerts.Webhook()
	if url == "" {
		return nil
	}
	al, err := alerts.New(alerts.Options{
		Sender:    &alerts.Webhook{URL: url, Client: &http.Client{Timeout: 10 * time.Second}, Logger: a.log},
		StatePath: filepath.Join(a.cfg.Paths.State, "alerts.json"),
		Logger:    a.log,
	})
	if err != nil {
		return startupError{fmt.Sprintf("the alerts cannot keep their state in %s: %v", a.cfg.Paths.State, err), err}
	}
	a.alerts = al
	return nil
}

// observers tells several observers of every run.
type observers []interface {
	RunStarted(warehouse.JobRun)
	RunFinished(warehouse.JobRun, bool)
}

func (o observers) RunStarted(r warehouse.JobRun) {
	for _, x := range o {
		x.RunStarted(r)
	}
}

func (o observers) RunFinished(r warehouse.JobRun, final bool) {
	for _, x := range o {
		x.RunFinished(r, final)
	}
}

// alertObserver raises an alert when a job fails after its retries, and
// its recovery at the next success.
type alertObserver struct{ a *app }

func (alertObserver) RunStarted(warehouse.JobRun) {}

func (o alertObserver) RunFinished(r warehouse.JobRun, final bool) {
	if o.a.alerts == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := o.a.alerts.JobFinished(ctx, r, final); err != nil {
		o.a.log.Warn("alert not sent", "job", r.Job, "run", r.RunID, "err", err)
	}
}

// readiness tells the dashboards' /readyz how the warehouse is.
func (a *app) readiness(ctx context.Context) (dashboards.Readiness, error) {
	r, err := a.wh.Readiness(ctx)
	if err != nil {
		return dashboards.Readiness{}, err
	}
	return dashboards.Readiness{ServerVersion: r.ServerVersion, MigrationsApplied: r.Applied, MigrationsKnown: r.Known,
		PendingMigrations: r.Pending, LastComputedAt: r.LastComputedAt}, nil
}
