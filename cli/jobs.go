package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/brusano/bassins/pipeline/completeness"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/alerts"
	"github.com/brusano/bassins/pipeline/compute"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/reports"
	"github.com/brusano/bassins/sources"
)

// warehouseLane is the lane of the jobs that change the warehouse: an
// ingest, a computation and a maintenance never run at the same time, so a
// computation never sees half an ingest.
const warehouseLane = "warehouse"

// buildJobs builds the scheduler's jobs from a configuration. Ingest jobs are
// followed by every compute job when they changed something.
func (a *app) buildJobs(cfg *config.Config) ([]scheduler.Job, error) {
	log := a.log
	ingestJob := ingest.New(ingest.Options{Warehouse: a.wh, Sources: cfg.Sources, Inbox: cfg.Paths.Inbox,
		StateDir: cfg.Paths.State, Pseudonymiser: a.pseudonym, Geography: a.geo, Location: cfg.Location(),
		OnLoad: a.loadRecorded, Logger: log})
	computeJob := compute.New(compute.Options{Warehouse: a.wh, Geography: a.geo, GeoVersion: a.geoVersion,
		Catalogue: cfg.Catalogue, MinCount: cfg.Privacy.MinCount, Logger: log,
		Deliveries: func(ctx context.Context, now time.Time) ([]completeness.Row, error) {
			arrivals, err := a.wh.DeliveryArrivals(ctx)
			if err != nil {
				return nil, err
			}
			return completeness.Compute(cfg.Sources, arrivals, now, cfg.Location()), nil
		}})
	reportWriter, err := reports.New(reports.Options{Dir: cfg.Paths.Reports, Languages: cfg.Reports.Languages, Location: cfg.Location(), Logger: log})
	if err != nil {
		return nil, startupError{fmt.Sprintf("the reports cannot be written: %v", err), err}
	}
	var computeJobs []string
	for _, j := range cfg.Jobs {
		if j.Kind == config.KindCompute {
			computeJobs = append(computeJobs, j.Name)
		}
	}
	funcs := map[string]scheduler.Func{
		config.KindIngest: func(ctx context.Context, now time.Time, runID string) (scheduler.Outcome, error) {
			res, err := ingestJob.Run(ctx, now, runID)
			// Whether a delivery is late changes when one arrives, or
			// when a due day passes: an ingest that loaded nothing
			// checks at most hourly (the check reads every table).
			if res.Loaded > 0 || time.Since(a.deliveriesChecked()) >= time.Hour {
				a.checkDeliveries(ctx, cfg, time.Now())
			}
			return scheduler.Outcome{Rows: res.Rows, Changed: res.Loaded > 0}, err
		},
		config.KindCompute: func(ctx context.Context, now time.Time, runID string) (scheduler.Outcome, error) {
			n, err := computeJob.Run(ctx, now, runID)
			return scheduler.Outcome{Rows: uint64(n)}, err
		},
		config.KindReport: func(ctx context.Context, now time.Time, runID string) (scheduler.Outcome, error) {
			snap, err := a.snapshot(ctx)
			if err != nil {
				return scheduler.Outcome{}, err
			}
			files, err := reportWriter.WriteMonthly(ctx, snap, reports.ReportPeriod(now, cfg.Location()))
			for _, f := range files {
				log.Info("report written", "run", runID, "file", f)
			}
			return scheduler.Outcome{Rows: uint64(len(files))}, err
		},
		config.KindMaintenance: func(ctx context.Context, now time.Time, runID string) (scheduler.Outcome, error) {
			n, err := a.maintain(ctx, cfg, now, runID)
			return scheduler.Outcome{Rows: n}, err
		},
	}
	var jobs []scheduler.Job
	for _, j := range cfg.Jobs {
		job := scheduler.Job{Name: j.Name, Schedule: j.Schedule, Run: funcs[j.Kind],
			Retries: j.Retries, Backoff: j.Backoff, Timeout: j.Timeout}
		switch j.Kind {
		case config.KindIngest:
			job.Lane, job.Then = warehouseLane, computeJobs
		case config.KindCompute, config.KindMaintenance:
			job.Lane = warehouseLane
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// maintain deletes the rows of loads that do not count (refused, retracted,
// or interrupted before they were recorded) and the partials of queries the
// catalogue no longer asks, then applies the retention. It returns the rows
// deleted.
func (a *app) maintain(ctx context.Context, cfg *config.Config, now time.Time, runID string) (uint64, error) {
	r := cfg.Retention
	deleted, err := a.wh.DeleteOrphanRows(ctx)
	if err != nil {
		return 0, err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return 0, err
	}
	keep, err := compute.PartialSpecs(cat)
	if err != nil {
		return 0, err
	}
	specs, err := a.wh.DeletePartialsExcept(ctx, keep)
	if err != nil {
		return 0, err
	}
	if specs > 0 {
		a.log.Info("partials of queries the catalogue no longer asks deleted", "run", runID, "queries", specs)
	}
	var total uint64
	for table, n := range deleted {
		total += n
		if n > 0 {
			a.log.Info("rows of loads that do not count deleted", "run", runID, "table", table, "rows", n)
		}
	}
	days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	var errs []error
	for _, step := range []struct {
		what string
		days int
		del  func(context.Context, time.Time) (uint64, error)
	}{
		{"job runs", r.RunsDays, a.wh.DeleteRunsBefore},
		{"quarantined rows", r.QuarantineDays, a.wh.DeleteQuarantineBefore},
		{"earlier indicator values", r.ValuesDays, a.wh.DeleteValuesBefore},
	} {
		if step.days <= 0 {
			continue
		}
		n, err := step.del(ctx, days(step.days))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		total += n
		if n > 0 {
			a.log.Info("retention applied", "run", runID, "what", step.what, "days", step.days, "rows", n)
		}
	}
	return total, errors.Join(errs...)
}

// loadRecorded tells the metrics and the alerts of a delivery.
func (a *app) loadRecorded(ctx context.Context, src *sources.Spec, l warehouse.Load) {
	if a.metrics != nil {
		a.metrics.LoadRecorded(l)
	}
	if a.alerts != nil {
		if err := a.alerts.LoadRecorded(ctx, l, src.RejectedShare()); err != nil {
			a.log.Warn("alert not sent", "source", src.Name, "err", err)
		}
	}
}

// deliveriesChecked is when checkDeliveries last read the deliveries.
func (a *app) deliveriesChecked() time.Time { return time.Unix(0, a.checkedAt.Load()) }

// checkDeliveries updates, for every source with an expectation, whether its
// delivery is overdue: in the metrics and as an alert.
func (a *app) checkDeliveries(ctx context.Context, cfg *config.Config, now time.Time) {
	if a.metrics == nil && a.alerts == nil {
		return
	}
	latest, err := a.wh.LatestDeliveredMonths(ctx)
	if err != nil {
		a.log.Warn("delivery due dates not checked", "err", err)
		return
	}
	a.checkedAt.Store(now.UnixNano())
	for _, s := range cfg.Sources {
		e, ok := s.Expectation()
		if !ok {
			continue
		}
		expected, overdue := alerts.Overdue(e, latest[s.Name], now, cfg.Location())
		if a.metrics != nil {
			a.metrics.SetOverdue(s.Name, overdue)
		}
		if a.alerts != nil {
			if err := a.alerts.DeliveryOverdue(ctx, s.Name, expected, overdue); err != nil {
				a.log.Warn("alert not sent", "source", s.Name, "err", err)
			}
		}
	}
}
