// Package scheduler runs the configured jobs on their cron schedules, never
// two runs of one job at once, and records every run.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// Func is the work of one job run: a plain function, so a test calls it with
// a fixed time. It returns the number of rows it handled.
type Func func(ctx context.Context, now time.Time, runID string) (rows uint64, err error)

// Job is a named job on a schedule.
type Job struct {
	Name     string
	Schedule string
	Run      Func
}

// Recorder stores job runs; the warehouse implements it.
type Recorder interface {
	RecordRun(ctx context.Context, r warehouse.JobRun) error
}

// Options wires the scheduler.
type Options struct {
	Jobs     []Job
	Location *time.Location
	Recorder Recorder
	Logger   *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Scheduler runs jobs.
type Scheduler struct {
	opts    Options
	log     *slog.Logger
	cron    *cron.Cron
	running map[string]*sync.Mutex
	entries map[string]cron.EntryID
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// ErrBusy is returned when a job is asked to run while a run of it is going on.
var ErrBusy = errors.New("scheduler: job already running")

// ErrUnknownJob is returned for a job name not configured.
var ErrUnknownJob = errors.New("scheduler: unknown job")

// New checks every schedule and returns a scheduler, not yet started.
func New(opts Options) (*Scheduler, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Scheduler{opts: opts, log: log.With("component", "scheduler"), running: map[string]*sync.Mutex{},
		entries: map[string]cron.EntryID{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cron = cron.New(cron.WithLocation(opts.Location),
		cron.WithParser(cron.NewParser(cron.Minute|cron.Hour|cron.Dom|cron.Month|cron.Dow|cron.Descriptor)))
	for _, j := range opts.Jobs {
		if _, dup := s.running[j.Name]; dup {
			return nil, fmt.Errorf("scheduler: job %q declared twice", j.Name)
		}
		s.running[j.Name] = &sync.Mutex{}
		name := j.Name
		id, err := s.cron.AddFunc(j.Schedule, func() {
			_, err := s.RunNow(s.ctx, name)
			if errors.Is(err, ErrBusy) {
				s.log.Warn("run skipped: the previous run is still going", "job", name)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("scheduler: job %s: schedule %q: %w", j.Name, j.Schedule, err)
		}
		s.entries[j.Name] = id
	}
	return s, nil
}

// Start runs the schedules in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops the schedules, cancels running jobs and waits for them to end.
func (s *Scheduler) Stop() {
	<-s.cron.Stop().Done()
	s.cancel()
	s.wg.Wait()
}

// Next returns when each job runs next.
func (s *Scheduler) Next() map[string]time.Time {
	out := map[string]time.Time{}
	for name, id := range s.entries {
		out[name] = s.cron.Entry(id).Next
	}
	return out
}

// RunNow runs a job at once and waits for it, recording the run. It returns
// ErrBusy without running when a run of the job is going on.
func (s *Scheduler) RunNow(ctx context.Context, name string) (warehouse.JobRun, error) {
	return s.RunAsOf(ctx, name, time.Time{})
}

// RunAsOf runs a job now as if it were asOf (zero: now), e.g. a monthly
// report for an earlier month. The run is recorded at its real times.
func (s *Scheduler) RunAsOf(ctx context.Context, name string, asOf time.Time) (warehouse.JobRun, error) {
	var job *Job
	for i := range s.opts.Jobs {
		if s.opts.Jobs[i].Name == name {
			job = &s.opts.Jobs[i]
		}
	}
	if job == nil {
		return warehouse.JobRun{}, fmt.Errorf("%w: %q", ErrUnknownJob, name)
	}
	mu := s.running[name]
	if !mu.TryLock() {
		return warehouse.JobRun{}, ErrBusy
	}
	defer mu.Unlock()
	s.wg.Add(1)
	defer s.wg.Done()

	start := s.opts.Now()
	run := warehouse.JobRun{RunID: newRunID(name, start), Job: name, StartedAt: start, Status: "running"}
	log := s.log.With("job", name, "run", run.RunID)
	if err := s.record(ctx, run); err != nil {
		log.Error("recording the run's start", "err", err)
	}
	log.Info("job started")
	if asOf.IsZero() {
		asOf = start
	}
	rows, err := s.safeRun(ctx, job, asOf.In(s.opts.Location), run.RunID)
	run.FinishedAt, run.Rows = s.opts.Now(), rows
	if run.FinishedAt.Equal(run.StartedAt) {
		run.FinishedAt = run.FinishedAt.Add(time.Nanosecond)
	}
	if err != nil {
		run.Status, run.Message = "failed", err.Error()
		log.Error("job failed", "err", err, "rows", rows, "duration", run.FinishedAt.Sub(start))
	} else {
		run.Status = "ok"
		log.Info("job done", "rows", rows, "duration", run.FinishedAt.Sub(start))
	}
	if rerr := s.record(context.WithoutCancel(ctx), run); rerr != nil {
		log.Error("recording the run's end", "err", rerr)
	}
	return run, err
}

func (s *Scheduler) record(ctx context.Context, r warehouse.JobRun) error {
	if s.opts.Recorder == nil {
		return nil
	}
	return s.opts.Recorder.RecordRun(ctx, r)
}

// safeRun turns a panic in a job into a failed run rather than a dead process.
func (s *Scheduler) safeRun(ctx context.Context, job *Job, now time.Time, runID string) (rows uint64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scheduler: job %s panicked: %v", job.Name, p)
		}
	}()
	return job.Run(ctx, now, runID)
}

func newRunID(job string, t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return job + "-" + t.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}
