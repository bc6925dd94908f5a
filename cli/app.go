package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/brusano/bassins/pipeline/catalogue"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/alerts"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/lease"
	"github.com/brusano/bassins/pipeline/metrics"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
)

// app is everything a running mode needs, built from the configuration.
type app struct {
	// cfg is the configuration the process started with; jobs holds the
	// jobs and sources in force: cfg from the start, until a reload
	// replaces it.
	cfg  *config.Config
	jobs atomic.Pointer[config.Config]
	log  *slog.Logger
	// One of server (a one-shot command) and supervisor (serve) holds the
	// managed ClickHouse; both are nil with a remote server.
	server     *managed.Server
	supervisor *managed.Supervisor
	wh         *warehouse.Warehouse
	geo        *geography.Geography
	geoVersion uint64
	pseudonym  *privacy.Pseudonymiser
	sched      *scheduler.Scheduler
	// reader is what the dashboards and the report job read.
	reader *warehouse.Reader
	// holder names this process in leases and run records.
	holder lease.Holder
	// metrics and alerts are set for serve; nil otherwise.
	metrics *metrics.Metrics
	alerts  *alerts.Alerter
	// checkedAt is when the deliveries' due dates were last checked
	// (Unix nanoseconds).
	checkedAt atomic.Int64
}

// startOptions say how a mode runs.
type startOptions struct {
	// supervise keeps the managed server running and restarts it when it
	// dies: for serve, which runs for months.
	supervise bool
	// observe sets up metrics and alerts.
	observe bool
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
// reference geography and builds the jobs. The caller must call close. Every
// error it returns is a startupError: one sentence naming what to fix.
func start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	return startWith(ctx, cfg, log, startOptions{})
}

func startWith(ctx context.Context, cfg *config.Config, log *slog.Logger, opts startOptions) (*app, error) {
	host, _ := os.Hostname()
	a := &app{cfg: cfg, log: log, holder: lease.Holder{Host: host, PID: os.Getpid(), Since: time.Now()}}
	a.jobs.Store(cfg)
	if err := a.open(ctx, opts); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) open(ctx context.Context, opts startOptions) (err error) {
	cfg, log := a.cfg, a.log
	if a.geo, err = geography.Load(cfg.Geography); err != nil {
		return startupError{fmt.Sprintf("the reference geography cannot be read: %v", err), err}
	}
	secret, err := privacy.LoadSecret(cfg.Privacy.KeyEnv, cfg.Privacy.KeyFile)
	if err != nil {
		return startupError{strings.TrimPrefix(err.Error(), "privacy: "), err}
	}
	if a.pseudonym, err = privacy.New(secret); err != nil {
		return startupError{strings.TrimPrefix(err.Error(), "privacy: "), err}
	}
	password, err := a.password()
	if err != nil {
		return err
	}

	whOpts := warehouse.Options{Addr: cfg.ClickHouse.Address, Database: cfg.ClickHouse.Database,
		User: cfg.ClickHouse.User, Password: password, Cluster: cfg.ClickHouse.Cluster, Logger: log}
	var mopts managed.Options
	if cfg.ClickHouse.Managed() {
		mopts = managed.Options{DataDir: cfg.ClickHouse.DataDir, Binary: cfg.ClickHouse.Binary,
			Password: password, PasswordSource: passwordOrigin(cfg),
			HTTP: cfg.ClickHouse.HTTPPort != 0, HTTPPort: cfg.ClickHouse.HTTPPort, Logger: log}
		// The managed server has one user, with the password above.
		whOpts.User = managed.User
		var server *managed.Server
		if opts.supervise {
			a.supervisor, err = managed.Supervise(ctx, mopts, managed.SuperviseOptions{})
			if err == nil {
				server = a.supervisor.Server()
				whOpts.Address = a.supervisor.Addr
			}
		} else {
			a.server, err = managed.Start(ctx, mopts)
			server = a.server
		}
		if err != nil {
			return explainManaged(err, cfg)
		}
		whOpts.Addr = server.Addr()
		if server.Reused() {
			log.Info("using the ClickHouse server already running on this data folder", "addr", server.Addr())
		}
	}
	if err := a.connect(ctx, whOpts, mopts); err != nil {
		return explainWarehouse(err, cfg, whOpts.Addr)
	}
	a.reader = warehouse.NewReader(a.wh, a.geo, cfg.Privacy.MinCount, a.catalogue)
	if opts.observe {
		if err := a.observe(); err != nil {
			return err
		}
	}
	jobs, err := a.buildJobs(cfg)
	if err != nil {
		return err
	}
	sopts := scheduler.Options{Jobs: jobs, Location: cfg.Location(), Recorder: a.wh, Logger: log,
		Locks: scheduler.FileLocker(cfg.Paths.State, a.holder), Heartbeat: cfg.Service.Heartbeat,
		Owner: fmt.Sprintf("%s:%d", a.holder.Host, a.holder.PID)}
	if a.metrics != nil {
		sopts.Observer = observers{a.metrics, alertObserver{a}}
	}
	a.sched, err = scheduler.New(sopts)
	if err != nil {
		return startupError{err.Error(), err}
	}
	return nil
}

// connectPatience bounds how long start waits for a managed server that is
// going away: one found running as its owner stops.
const connectPatience = 30 * time.Second

// connect opens the warehouse, applies the migrations and stores the
// geography. A managed server found running may be stopping (its owner
// exits): a connection lost meanwhile is tried again, the supervisor (serve)
// or a new start (other commands) bringing a server back. An answer of the
// server, such as a refused password, is not tried again.
func (a *app) connect(ctx context.Context, whOpts warehouse.Options, mopts managed.Options) error {
	deadline := time.Now().Add(connectPatience)
	for {
		err := a.openWarehouse(ctx, whOpts)
		var ex *clickhouse.Exception
		if err == nil || !a.cfg.ClickHouse.Managed() || errors.As(err, &ex) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		a.log.Warn("the managed ClickHouse server went away while starting; trying again", "err", err)
		if a.wh != nil {
			a.wh.Close()
			a.wh = nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if a.server != nil && a.server.Reused() {
			// The server found was another process's: start again,
			// which finds its successor or starts one.
			if a.server, err = managed.Start(ctx, mopts); err != nil {
				return explainManaged(err, a.cfg)
			}
			whOpts.Addr = a.server.Addr()
		} else if a.supervisor != nil {
			whOpts.Addr = a.supervisor.Addr()
		}
	}
}

func (a *app) openWarehouse(ctx context.Context, whOpts warehouse.Options) (err error) {
	if a.wh, err = warehouse.Open(ctx, whOpts); err != nil {
		return err
	}
	if _, err = a.wh.Migrate(ctx); err != nil {
		return err
	}
	a.geoVersion, err = a.wh.SaveGeography(ctx, a.geo)
	return err
}

// password returns the ClickHouse password: from the environment or the
// configuration, else from the password file, which the managed server
// creates at first start.
func (a *app) password() (string, error) {
	password, file := a.cfg.ClickHouse.PasswordSource()
	if file == "" {
		return password, nil
	}
	if a.cfg.ClickHouse.Managed() {
		p, err := managed.LoadOrCreatePassword(file)
		if err != nil {
			return "", startupError{strings.TrimPrefix(err.Error(), "managed: "), err}
		}
		return p, nil
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return "", startupError{fmt.Sprintf("cannot read the ClickHouse password file %s (%v): create it, or set %s", file, errors.Unwrap(err), a.cfg.ClickHouse.PasswordEnv), err}
	}
	return strings.TrimSpace(string(body)), nil
}

// catalogue reads the indicator catalogue of the configuration in force.
func (a *app) catalogue() (*catalogue.Catalogue, error) {
	return a.jobs.Load().Catalogue()
}

// snapshot returns the latest computed values.
func (a *app) snapshot(ctx context.Context) (*indicators.Snapshot, error) {
	return a.reader.Snapshot(ctx)
}

// close releases everything start acquired, the managed server last. It is
// safe on a partly started app.
func (a *app) close() {
	if a == nil {
		return
	}
	if a.wh != nil {
		a.wh.Close()
	}
	if a.supervisor != nil {
		if err := a.supervisor.Close(); err != nil {
			a.log.Error("stopping ClickHouse", "err", err)
		}
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
		run, err := a.sched.RunOnce(ctx, name, time.Time{})
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

// withGrace returns a context that is cancelled grace after ctx is: a run
// started by hand gets, on SIGTERM, the same time to end as a scheduled one.
func withGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-runCtx.Done():
		}
	})
	return runCtx, func() { stop(); cancel() }
}
