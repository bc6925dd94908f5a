package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/dashboards"
	"github.com/brusano/bassins/pipeline/inbox"
	"github.com/brusano/bassins/pipeline/lease"
	"github.com/brusano/bassins/pipeline/scheduler"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	configPath := fs.String("config", "", "configuration file")
	addr := fs.String("addr", "127.0.0.1:8080", "address the dashboards listen on")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	a, err := startWith(ctx, cfg, log, startOptions{supervise: true, observe: true})
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, *addr, *configPath, stdout)
}

// serve serves the dashboards until ctx is cancelled, and schedules the jobs
// while this process holds the warehouse's scheduling lease. On stop, the
// scheduler stops first (running jobs get the configured grace), then the
// pages; the caller closes the warehouse and the managed server last.
func (a *app) serve(ctx context.Context, addr, configPath string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		why := err.Error()
		var op *net.OpError
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			why = "address already in use"
		case errors.As(err, &op):
			why = op.Err.Error()
		}
		return startupError{fmt.Sprintf("the dashboards cannot listen on %s (%s): choose another address with --addr", addr, why), err}
	}
	a.holder.Addr = ln.Addr().String()
	var sched schedulingState
	handler, err := dashboards.New(dashboards.Options{Store: a.reader, Logger: a.log,
		Ready: a.readiness, MaxComputationAge: a.cfg.Service.MaxComputationAge,
		Metrics: a.metrics.Handler(), Scheduling: sched.status, Location: a.cfg.Location()})
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "\nTableaux de bord / Dashboards: http://%s/\n(Ctrl-C pour arrêter / om te stoppen)\n\n", ln.Addr())

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.lead(ctx, &sched) }()
	go func() { defer wg.Done(); a.reloadOnHangup(ctx, configPath) }()

	select {
	case err = <-served:
	case <-ctx.Done():
	}
	a.log.Info("stopping")
	wg.Wait() // the scheduler has stopped, its runs ended or cancelled
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdown); serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// schedulingState says whether this process schedules, for the pages.
type schedulingState struct {
	mu      sync.Mutex
	leading bool
	holder  lease.Holder
}

func (s *schedulingState) set(leading bool, h lease.Holder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leading, s.holder = leading, h
}

func (s *schedulingState) status() dashboards.SchedulingStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leading {
		return dashboards.SchedulingStatus{Scheduling: true}
	}
	return dashboards.SchedulingStatus{Holder: describeHolder(s.holder), Since: s.holder.Since}
}

func describeHolder(h lease.Holder) string {
	if h.PID == 0 {
		return ""
	}
	s := fmt.Sprintf("%s, pid %d", h.Host, h.PID)
	if h.Addr != "" {
		s += ", " + h.Addr
	}
	return s
}

// leasePath is the lock of the process that schedules the warehouse's jobs.
func (a *app) leasePath() string { return filepath.Join(a.cfg.Paths.State, "scheduler.lock") }

// lead schedules the jobs while this process holds the lease, and otherwise
// waits for the holder to go, checking every lease_check. It returns when
// ctx is done and the scheduler has stopped.
func (a *app) lead(ctx context.Context, state *schedulingState) {
	var told lease.Holder
	for {
		lock, err := lease.TryAcquire(a.leasePath(), a.holder)
		if err == nil {
			state.set(true, a.holder)
			a.schedule(ctx)
			lock.Release()
			return
		}
		if !errors.Is(err, lease.ErrHeld) {
			a.log.Error("scheduling lease", "path", a.leasePath(), "err", err)
		} else if h, herr := lease.ReadHolder(a.leasePath()); herr == nil && h != told {
			told = h
			state.set(false, h)
			a.log.Info("another process schedules the jobs; this one serves the pages and takes over if it stops",
				"holder", describeHolder(h), "since", h.Since.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.cfg.Service.LeaseCheck):
		}
	}
}

// schedule runs the jobs on their schedules until ctx is done: it first marks
// the runs left running by a dead process, catches up the missed runs, and
// watches the inbox.
func (a *app) schedule(ctx context.Context) {
	log, cfg := a.log, a.cfg
	now := time.Now()
	// Runs left running by a process that died are marked interrupted and
	// redone, first here, then whenever one stops beating.
	var wg sync.WaitGroup
	a.interruptStaleRuns(ctx, now, &wg)
	history, err := a.wh.JobHistory(ctx)
	if err != nil {
		log.Error("reading the job history", "err", err)
	}
	last := map[string]time.Time{}
	for _, h := range history {
		last[h.Job] = h.LastTickAsOf
		if !h.LastSuccess.IsZero() {
			a.metrics.SetLastSuccess(h.Job, h.LastSuccess)
		}
	}
	a.sched.Start()
	for job, next := range a.sched.Next() {
		log.Info("job scheduled", "job", job, "next", next.In(cfg.Location()).Format(time.RFC3339))
	}
	if cfg.Service.CatchUp {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Catch-up runs get the shutdown grace like scheduled ones:
			// Stop cancels them, not the signal.
			if err := a.sched.CatchUp(context.WithoutCancel(ctx), last); err != nil {
				log.Warn("catching up missed runs", "err", err)
			}
		}()
	}
	a.checkDeliveries(ctx, cfg, now)
	wg.Add(1)
	go func() {
		defer wg.Done()
		period := 3 * cfg.Service.Heartbeat
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				a.interruptStaleRuns(ctx, now, &wg)
			}
		}
	}()
	if cfg.Service.WatchInbox {
		wg.Add(1)
		go func() { defer wg.Done(); a.watchInbox(ctx) }()
		// The watcher sees what changes from now on: what arrived while
		// no process watched is ingested at once.
		for _, j := range a.jobs.Load().Jobs {
			if j.Kind == config.KindIngest {
				a.sched.Trigger(j.Name)
			}
		}
	}
	<-ctx.Done()
	log.Info("stopping the scheduler", "grace", cfg.Service.ShutdownGrace)
	a.sched.Stop(cfg.Service.ShutdownGrace)
	wg.Wait()
}

// interruptStaleRuns marks interrupted the runs whose process stopped
// beating for three heartbeat periods (a process that died, or a run whose
// end could not be recorded), and redoes each job's work once, as of the same
// time, in the background.
func (a *app) interruptStaleRuns(ctx context.Context, now time.Time, wg *sync.WaitGroup) {
	stale, err := a.wh.InterruptStaleRuns(ctx, now.Add(-3*a.cfg.Service.Heartbeat), now)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("marking interrupted runs; trying again later", "err", err)
		}
		return
	}
	seen := map[string]bool{}
	for _, r := range stale {
		a.log.Warn("run without heartbeat, its process gone: marked interrupted", "job", r.Job, "run", r.RunID, "owner", r.Owner)
		if _, ok := a.jobs.Load().Job(r.Job); !ok || seen[r.Job] {
			continue
		}
		seen[r.Job] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.log.Info("redoing an interrupted run", "job", r.Job, "interrupted", r.RunID, "as_of", r.AsOf)
			_, err := a.sched.RunAsOf(context.WithoutCancel(ctx), r.Job, r.AsOf)
			if err != nil && !errors.Is(err, scheduler.ErrBusy) && !errors.Is(err, scheduler.ErrStopped) {
				a.log.Warn("redoing an interrupted run failed", "job", r.Job, "err", err)
			}
		}()
	}
}

// watchInbox runs the ingest jobs as soon as a complete delivery arrives.
// The sources and jobs are those in force: a reload changes them.
func (a *app) watchInbox(ctx context.Context) {
	var mu sync.Mutex
	var matchOf *config.Config
	var match func(string) bool
	err := inbox.Watch(ctx, inbox.Options{Dir: a.cfg.Paths.Inbox, Settle: a.cfg.Service.Settle, Logger: a.log,
		Match: func(rel string) bool {
			mu.Lock()
			defer mu.Unlock()
			if cfg := a.jobs.Load(); cfg != matchOf {
				var globs []string
				for _, s := range cfg.Sources {
					globs = append(globs, s.Path)
				}
				matchOf, match = cfg, inbox.MatchGlobs(globs)
			}
			return match(rel)
		}}, func(ctx context.Context, files []string) {
		a.log.Info("delivery complete in the inbox", "files", len(files))
		for _, j := range a.jobs.Load().Jobs {
			if j.Kind == config.KindIngest {
				a.sched.Trigger(j.Name)
			}
		}
	})
	if err != nil && ctx.Err() == nil {
		a.log.Error("watching the inbox stopped; deliveries wait for the scheduled ingest", "err", err)
	}
}

// reloadOnHangup reloads the configuration on SIGHUP until ctx is done.
func (a *app) reloadOnHangup(ctx context.Context, configPath string) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			a.reload(configPath)
		}
	}
}

// reload reads the configuration again. A valid one replaces the jobs that
// changed, running runs going on; an invalid one is refused and the running
// one kept. Settings read only at start are reported as needing a restart.
func (a *app) reload(configPath string) {
	cfg, err := config.LoadFile(configPath)
	if err != nil {
		a.log.Error("configuration reload refused; the running configuration is kept", "err", err)
		return
	}
	jobs, err := a.buildJobs(cfg)
	if err == nil {
		err = a.sched.Replace(jobs)
	}
	if err != nil {
		a.log.Error("configuration reload refused; the running configuration is kept", "err", err)
		return
	}
	for what, changed := range map[string]bool{
		"clickhouse": cfg.ClickHouse != a.cfg.ClickHouse,
		"paths":      cfg.Paths != a.cfg.Paths,
		"privacy":    cfg.Privacy != a.cfg.Privacy,
		"geography":  !cfg.Geography.Equal(a.cfg.Geography),
		"timezone":   cfg.Timezone != a.cfg.Timezone,
		"service":    cfg.Service != a.cfg.Service,
	} {
		if changed {
			a.log.Warn("configuration reloaded, but this section takes effect at the next start", "section", what)
		}
	}
	a.jobs.Store(cfg)
	a.log.Info("configuration reloaded", "file", cfg.File, "jobs", len(cfg.Jobs), "sources", len(cfg.Sources))
}
