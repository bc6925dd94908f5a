package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/compute"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
	"github.com/brusano/bassins/reports"
)

// app is everything a running mode needs, built from the configuration.
type app struct {
	cfg        *config.Config
	log        *slog.Logger
	server     *managed.Server // nil with a remote server
	wh         *warehouse.Warehouse
	geo        *geography.Geography
	geoVersion uint64
	sched      *scheduler.Scheduler
	// reader is what the dashboards and the report job read.
	reader *warehouse.Reader
}

// loadConfig reads the configuration; a mistake is a usage error (exit 2).
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.LoadFile(path)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return nil, usageError{err}
		}
		return nil, err
	}
	return cfg, nil
}

// start connects to (or starts) ClickHouse, applies the migrations, stores the
// reference geography and builds the jobs. The caller must call close.
func start(ctx context.Context, cfg *config.Config, log *slog.Logger) (a *app, err error) {
	a = &app{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.geo, err = geography.Load(cfg.Geography); err != nil {
		return nil, err
	}
	secret, err := privacy.LoadSecret(cfg.Privacy.KeyEnv, cfg.Privacy.KeyFile)
	if err != nil {
		return nil, err
	}
	pseudonymiser, err := privacy.New(secret)
	if err != nil {
		return nil, err
	}

	addr := cfg.ClickHouse.Address
	if cfg.ClickHouse.Managed() {
		a.server, err = managed.Start(ctx, managed.Options{DataDir: cfg.ClickHouse.DataDir, Binary: cfg.ClickHouse.Binary, Logger: log})
		if err != nil {
			return nil, err
		}
		addr = a.server.Addr()
		if a.server.Reused() {
			log.Info("using the ClickHouse server already running on this data folder", "addr", addr)
		}
	}
	a.wh, err = warehouse.Open(ctx, warehouse.Options{Addr: addr, Database: cfg.ClickHouse.Database,
		User: cfg.ClickHouse.User, Password: cfg.ClickHouse.ResolvedPassword(), Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err = a.wh.Migrate(ctx); err != nil {
		return nil, err
	}
	if a.geoVersion, err = a.wh.SaveGeography(ctx, a.geo); err != nil {
		return nil, err
	}
	a.reader = warehouse.NewReader(a.wh, a.geo, cfg.Privacy.MinCount)

	ingestJob := ingest.New(ingest.Options{Warehouse: a.wh, Sources: cfg.Sources, Inbox: cfg.Paths.Inbox,
		StateDir: cfg.Paths.State, Pseudonymiser: pseudonymiser, Geography: a.geo, Location: cfg.Location(), Logger: log})
	computeJob := compute.New(compute.Options{Warehouse: a.wh, Geography: a.geo, GeoVersion: a.geoVersion, Logger: log})
	reportWriter, err := reports.New(reports.Options{Dir: cfg.Paths.Reports, Languages: cfg.Reports.Languages, Logger: log})
	if err != nil {
		return nil, err
	}
	funcs := map[string]scheduler.Func{
		config.KindIngest: func(ctx context.Context, now time.Time, runID string) (scheduler.Outcome, error) {
			res, err := ingestJob.Run(ctx, now, runID)
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
			files, err := reportWriter.WriteMonthly(ctx, snap, reports.ReportPeriod(now))
			for _, f := range files {
				log.Info("report written", "file", f)
			}
			return scheduler.Outcome{Rows: uint64(len(files))}, err
		},
	}
	var jobs []scheduler.Job
	for _, j := range cfg.Jobs {
		jobs = append(jobs, scheduler.Job{Name: j.Name, Schedule: j.Schedule, Run: funcs[j.Kind]})
	}
	a.sched, err = scheduler.New(scheduler.Options{Jobs: jobs, Location: cfg.Location(), Recorder: a.wh, Logger: log})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// snapshot returns the latest computed values.
func (a *app) snapshot(ctx context.Context) (*indicators.Snapshot, error) {
	return a.reader.Snapshot(ctx)
}

// close releases everything start acquired, the managed server last.
func (a *app) close() {
	if a.wh != nil {
		a.wh.Close()
	}
	if a.server != nil {
		if err := a.server.Close(); err != nil {
			a.log.Error("stopping ClickHouse", "err", err)
		}
	}
}

// runJobsOnce runs the named jobs in order. A failed job does not stop the
// next ones (a report can fail for want of data while the rest is fine); the
// failures are returned together, and every run is recorded either way.
func (a *app) runJobsOnce(ctx context.Context, names ...string) error {
	var errs []error
	for _, name := range names {
		run, err := a.sched.RunNow(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("job %s: %w", name, err))
		}
		a.log.Info("job finished", "job", name, "status", run.Status, "rows", run.Rows)
	}
	return errors.Join(errs...)
}
