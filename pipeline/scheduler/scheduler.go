// Package scheduler runs the configured jobs on their cron schedules, never
// two runs of one job at once (in this process or, through a Locker, in
// another), retries failed runs, keeps the jobs of one lane from overlapping
// and records every attempt.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// Outcome is what a run did.
type Outcome struct {
	Rows uint64
	// Changed says the warehouse's data changed: a later compute has work.
	Changed bool
}

// Func is the work of one job run: a plain function, so a test calls it with
// a fixed time. now is the time the run works as of.
type Func func(ctx context.Context, now time.Time, runID string) (Outcome, error)

// Job is a named job on a schedule.
type Job struct {
	Name     string
	Schedule string
	Run      Func
	// Retries counts the attempts after a failure (0: none). Each attempt
	// is its own recorded run, numbered from 1.
	Retries int
	// Backoff is the delay before the first retry, doubling at each next
	// one (default 30s). Stop cancels the wait.
	Backoff time.Duration
	// Timeout is the deadline of one attempt (0: none). An attempt ended by
	// it is cancelled, and retried like a failure.
	Timeout time.Duration
	// Lane: attempts of jobs in the same non-empty lane never overlap;
	// they wait their turn.
	Lane string
	// Then names the jobs triggered right after a successful run whose
	// Outcome.Changed is set.
	Then []string
	// Version is compared by Replace with the settings above: the caller
	// changes it when the work behind Run changed.
	Version string
}

// spec is what Replace compares to tell a changed definition.
func (j Job) spec() string {
	return fmt.Sprintf("%q %q %d %s %s %q %q %q", j.Name, j.Schedule, j.Retries, j.Backoff, j.Timeout, j.Lane, j.Then, j.Version)
}

// Recorder stores job runs; the warehouse implements it.
type Recorder interface {
	RecordRun(ctx context.Context, r warehouse.JobRun) error
}

// Observer hears of every attempt, e.g. for metrics and alerts. Its methods
// are called on the run's goroutine and must not block.
type Observer interface {
	RunStarted(run warehouse.JobRun)
	// RunFinished: final is true when no retry follows.
	RunFinished(run warehouse.JobRun, final bool)
}

// Options wires the scheduler.
type Options struct {
	Jobs     []Job
	Location *time.Location
	Recorder Recorder
	Observer Observer
	// Locks excludes runs of other processes; nil: this process only.
	Locks Locker
	// Heartbeat is how often a running attempt is recorded again with a
	// new HeartbeatAt (default 30s).
	Heartbeat time.Duration
	// Owner is written in every record (default host:pid).
	Owner  string
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Scheduler runs jobs.
type Scheduler struct {
	opts Options
	log  *slog.Logger
	cron *cron.Cron

	mu       sync.Mutex
	jobs     map[string]*jobState // removed jobs stay, marked
	order    []string
	lanes    map[string]chan struct{}
	stopping bool
	wg       sync.WaitGroup // claimed jobs

	// soft ends when Stop begins: waits for a lane or a retry end, no new
	// attempt starts. hard ends when Stop's grace is over: attempts end.
	soft, hard             context.Context
	softCancel, hardCancel context.CancelCauseFunc
}

type jobState struct {
	job      Job
	schedule cron.Schedule
	spec     string
	entry    cron.EntryID
	removed  bool
	running  bool // claimed: a run of it goes on in this process
	pending  bool // triggered while running: run again after
}

var (
	// ErrBusy is returned when a job is asked to run while a run of it is
	// going on, in this process or another.
	ErrBusy = errors.New("scheduler: job already running")
	// ErrUnknownJob is returned for a job name not configured.
	ErrUnknownJob = errors.New("scheduler: unknown job")
	// ErrStopped is returned for a run asked after Stop, and is the cause
	// of the cancellation of the runs Stop ends.
	ErrStopped = errors.New("scheduler: stopped")
)

const (
	defaultBackoff   = 30 * time.Second
	defaultHeartbeat = 30 * time.Second
	recordTimeout    = 30 * time.Second
	// endRecordPatience is how long the end of a run is retried when the
	// warehouse does not take it: about as long as a supervised server
	// takes to come back.
	endRecordPatience = time.Minute
)

// New checks every job and returns a scheduler, not yet started.
func New(opts Options) (*Scheduler, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = defaultHeartbeat
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = host + ":" + strconv.Itoa(os.Getpid())
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{opts: opts, log: log.With("component", "scheduler"), jobs: map[string]*jobState{},
		lanes: map[string]chan struct{}{}}
	s.soft, s.softCancel = context.WithCancelCause(context.Background())
	s.hard, s.hardCancel = context.WithCancelCause(context.Background())
	s.cron = cron.New(cron.WithLocation(opts.Location), cron.WithLogger(cron.DiscardLogger))
	if err := s.Replace(opts.Jobs); err != nil {
		return nil, err
	}
	return s, nil
}

// Replace sets the jobs, e.g. after the configuration was read again. A job
// whose definition changed gets a new schedule entry, a removed one loses
// its entry; runs going on continue. On error nothing changes.
func (s *Scheduler) Replace(jobs []Job) error {
	type parsed struct {
		job      Job
		schedule cron.Schedule
	}
	var ps []parsed
	names := map[string]bool{}
	for _, j := range jobs {
		if j.Name == "" || names[j.Name] {
			return fmt.Errorf("scheduler: job %q declared twice or without a name", j.Name)
		}
		names[j.Name] = true
		if j.Run == nil {
			return fmt.Errorf("scheduler: job %s: nothing to run", j.Name)
		}
		sched, err := checkSchedule(j.Name, j.Schedule, s.opts.Location)
		if err != nil {
			return err
		}
		ps = append(ps, parsed{job: j, schedule: sched})
	}
	for _, j := range jobs {
		for _, next := range j.Then {
			if !names[next] || next == j.Name {
				return fmt.Errorf("scheduler: job %s: then %q: %w", j.Name, next, ErrUnknownJob)
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return ErrStopped
	}
	s.order = s.order[:0]
	for _, p := range ps {
		name := p.job.Name
		s.order = append(s.order, name)
		st := s.jobs[name]
		if st == nil {
			st = &jobState{}
			s.jobs[name] = st
		}
		if st.entry != 0 && (st.removed || st.spec != p.job.spec()) {
			s.cron.Remove(st.entry)
			st.entry = 0
			s.log.Info("job changed", "job", name, "schedule", p.job.Schedule)
		}
		st.job, st.schedule, st.spec, st.removed = p.job, p.schedule, p.job.spec(), false
		if st.entry == 0 {
			st.entry = s.cron.Schedule(p.schedule, cron.FuncJob(func() { s.tick(name) }))
		}
	}
	for name, st := range s.jobs {
		if !names[name] && !st.removed {
			s.cron.Remove(st.entry)
			st.entry, st.removed, st.pending = 0, true, false
			s.log.Info("job removed", "job", name, "running", st.running)
		}
	}
	return nil
}

// Start runs the schedules in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop starts no new run nor retry, gives the runs going on until grace to
// end, then cancels their context (they end cancelled), and returns when all
// have ended.
func (s *Scheduler) Stop(grace time.Duration) {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.softCancel(ErrStopped)
	<-s.cron.Stop().Done() // the schedule's functions only start goroutines

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	s.log.Info("grace over: cancelling the runs going on", "grace", grace)
	s.hardCancel(ErrStopped)
	<-done
}

// Next returns when each job runs next.
func (s *Scheduler) Next() map[string]time.Time {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for _, name := range s.order {
		out[name] = s.jobs[name].schedule.Next(now)
	}
	return out
}

// RunNow runs a job at once and waits for it (and its retries), recording
// every attempt; it returns the last. It returns ErrBusy without running
// when a run of the job goes on, here or in another process.
func (s *Scheduler) RunNow(ctx context.Context, name string) (warehouse.JobRun, error) {
	return s.RunAsOf(ctx, name, time.Time{})
}

// RunAsOf runs a job now as if it were asOf (zero: now), e.g. a monthly
// report for an earlier month. The run is recorded at its real times.
func (s *Scheduler) RunAsOf(ctx context.Context, name string, asOf time.Time) (warehouse.JobRun, error) {
	st, job, err := s.claim(name)
	if err != nil {
		return warehouse.JobRun{}, err
	}
	defer s.release(st)
	return s.runClaimed(ctx, job, asOf, false)
}

// RunOnce runs one attempt of a job now as if it were asOf (zero: now) and
// waits for it: no retry, and no job follows it. It is for commands that run
// jobs one after the other themselves (bassins run, demo, backfill). It
// returns ErrBusy without running when a run of the job goes on.
func (s *Scheduler) RunOnce(ctx context.Context, name string, asOf time.Time) (warehouse.JobRun, error) {
	st, job, err := s.claim(name)
	if err != nil {
		return warehouse.JobRun{}, err
	}
	defer s.release(st)
	job.Retries, job.Then = 0, nil
	return s.runClaimed(ctx, job, asOf, false)
}

// Trigger asks for a run of the job soon, in the background: at once when
// it is not running, else once after the current run, however many times
// it is triggered meanwhile. A run going on in another process is waited
// for.
func (s *Scheduler) Trigger(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.jobs[name]
	switch {
	case s.stopping:
		return
	case st == nil || st.removed:
		s.log.Warn("trigger of an unknown job", "job", name)
	case st.running:
		st.pending = true
	default:
		st.running = true
		s.wg.Add(1)
		go s.background(st, st.job, true)
	}
}

// tick is a scheduled run: skipped when the previous run still goes on.
func (s *Scheduler) tick(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.jobs[name]
	switch {
	case s.stopping || st == nil || st.removed:
	case st.running:
		s.log.Warn("run skipped: the previous run is still going", "job", name)
	default:
		st.running = true
		s.wg.Add(1)
		go s.background(st, st.job, false)
	}
}

// CatchUp runs, once and in order, each job whose schedule passed a run
// after the as-of time of its latest run (history) and at or before now,
// as of the latest run it missed. A job without history is not caught up.
func (s *Scheduler) CatchUp(ctx context.Context, history map[string]time.Time) error {
	now := s.opts.Now()
	type missedRun struct {
		name string
		asOf time.Time
	}
	var todo []missedRun
	s.mu.Lock()
	for _, name := range s.order {
		last, ok := history[name]
		if !ok || last.IsZero() {
			continue
		}
		if asOf, ok := missed(s.jobs[name].schedule, last, now); ok {
			todo = append(todo, missedRun{name, asOf})
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, m := range todo {
		s.log.Info("catching up a missed run", "job", m.name, "as_of", m.asOf, "last", history[m.name])
		_, err := s.RunAsOf(ctx, m.name, m.asOf)
		switch {
		case errors.Is(err, ErrBusy):
			s.log.Info("catch-up skipped: the job is running", "job", m.name)
		case ctx.Err() != nil:
			return fmt.Errorf("scheduler: catch-up: %w", context.Cause(ctx))
		case err != nil:
			errs = append(errs, fmt.Errorf("scheduler: catch-up of %s: %w", m.name, err))
		}
	}
	return errors.Join(errs...)
}

// claim marks the job running in this process.
func (s *Scheduler) claim(name string) (*jobState, Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.jobs[name]
	switch {
	case s.stopping:
		return nil, Job{}, ErrStopped
	case st == nil || st.removed:
		return nil, Job{}, fmt.Errorf("%w: %q", ErrUnknownJob, name)
	case st.running:
		return nil, Job{}, ErrBusy
	}
	st.running = true
	s.wg.Add(1)
	return st, st.job, nil
}

// release ends a claim; when the job was triggered meanwhile, its next run
// starts in the background under the same claim.
func (s *Scheduler) release(st *jobState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.pending && !s.stopping && !st.removed {
		st.pending = false
		go s.background(st, st.job, true)
		return
	}
	st.pending, st.running = false, false
	s.wg.Done()
}

// background runs a claimed job with no caller waiting for it.
func (s *Scheduler) background(st *jobState, job Job, wait bool) {
	defer s.release(st)
	_, err := s.runClaimed(context.Background(), job, time.Time{}, wait)
	if errors.Is(err, ErrBusy) {
		s.log.Info("run skipped: the job runs in another process", "job", job.Name, "err", err)
	}
}

// runClaimed takes the job's lock shared with other processes (waiting for
// it or not), runs the attempts and triggers the jobs that follow.
func (s *Scheduler) runClaimed(ctx context.Context, job Job, asOf time.Time, wait bool) (warehouse.JobRun, error) {
	if s.opts.Locks != nil {
		var unlock func()
		var err error
		if wait {
			wctx, cancel := mergeCancel(ctx, s.soft)
			unlock, err = s.opts.Locks.Lock(wctx, "job-"+job.Name)
			cancel()
		} else {
			unlock, err = s.opts.Locks.TryLock("job-" + job.Name)
		}
		if err != nil {
			if !errors.Is(err, ErrBusy) {
				err = fmt.Errorf("scheduler: job %s: %w", job.Name, err)
				s.log.Error("run not started: job lock", "job", job.Name, "err", err)
			}
			return warehouse.JobRun{}, err
		}
		defer unlock()
	}
	run, out, err := s.attempts(ctx, job, asOf)
	if err == nil && out.Changed {
		for _, next := range job.Then {
			s.log.Info("data changed: triggering the next job", "job", job.Name, "run", run.RunID, "next", next)
			s.Trigger(next)
		}
	}
	return run, err
}

// attempts runs the job until an attempt succeeds, is cancelled from outside
// or the retries are spent; it returns the last attempt.
func (s *Scheduler) attempts(ctx context.Context, job Job, asOf time.Time) (warehouse.JobRun, Outcome, error) {
	backoff := job.Backoff
	if backoff <= 0 {
		backoff = defaultBackoff
	}
	for attempt := 1; ; attempt++ {
		run, out, err, retryable := s.attempt(ctx, job, asOf, attempt)
		final := !retryable || attempt > job.Retries
		if s.opts.Observer != nil {
			s.opts.Observer.RunFinished(run, final)
		}
		if final {
			return run, out, err
		}
		delay := backoff << (attempt - 1)
		if delay <= 0 || delay > 24*time.Hour {
			delay = 24 * time.Hour
		}
		s.log.Info("retrying", "job", job.Name, "run", run.RunID, "attempt", attempt+1, "in", delay)
		wctx, cancel := mergeCancel(ctx, s.soft)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-wctx.Done():
		}
		t.Stop()
		cause := context.Cause(wctx)
		cancel()
		if cause != nil {
			run = s.notStarted(ctx, job, asOf, attempt+1, fmt.Errorf("retry cancelled: %w", cause))
			return run, Outcome{}, cause
		}
	}
}

// attempt runs the job once, recording it at its start, at every heartbeat
// and at its end. retryable: it failed, or met its own deadline.
func (s *Scheduler) attempt(ctx context.Context, job Job, asOf time.Time, n int) (run warehouse.JobRun, out Outcome, err error, retryable bool) {
	if job.Lane != "" {
		unlock, err := s.lockLane(ctx, job.Lane)
		if err != nil {
			return s.notStarted(ctx, job, asOf, n, err), Outcome{}, err, false
		}
		defer unlock()
	}
	// The attempt ends with the caller's context or when Stop's grace is
	// over, and at its deadline.
	runCtx, cancelRun := mergeCancel(ctx, s.hard)
	defer cancelRun()
	actx := runCtx
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(runCtx, job.Timeout,
			fmt.Errorf("scheduler: job %s: deadline of %s reached", job.Name, job.Timeout))
		defer cancel()
	}

	start := s.opts.Now()
	run = s.newRun(job, asOf, n, start)
	actx = runContext(actx, run.RunID)
	log := s.log.With("job", job.Name, "run", run.RunID, "attempt", n)
	s.record(ctx, log, run)
	if s.opts.Observer != nil {
		s.opts.Observer.RunStarted(run)
	}
	log.Info("job started", "as_of", run.AsOf)

	stopBeat := s.heartbeat(ctx, log, run)
	out, err = s.safeRun(actx, job, run.AsOf.In(s.opts.Location), run.RunID)
	stopBeat() // no heartbeat after the final record

	run.FinishedAt, run.Rows = s.opts.Now(), out.Rows
	if !run.FinishedAt.After(run.StartedAt) {
		run.FinishedAt = run.StartedAt.Add(time.Nanosecond)
	}
	run.HeartbeatAt = run.FinishedAt
	attrs := []any{"rows", out.Rows, "changed", out.Changed, "duration", run.FinishedAt.Sub(run.StartedAt)}
	switch {
	case err == nil: // its work is done, even if it ignored a cancellation
		run.Status = warehouse.RunOK
		log.Info("job done", attrs...)
	case actx.Err() != nil:
		run.Status = warehouse.RunCancelled
		cause := context.Cause(actx)
		if !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		retryable = runCtx.Err() == nil // its own deadline, not the caller nor Stop
		log.Warn("job cancelled", append(attrs, "err", err)...)
	default:
		run.Status, retryable = warehouse.RunFailed, true
		log.Error("job failed", append(attrs, "err", err)...)
	}
	if err != nil {
		run.Message = err.Error()
	}
	s.recordEnd(ctx, log, run)
	return run, out, err, retryable
}

// recordEnd records how a run ended, trying again for a while: a run that
// failed because the warehouse went away ends while it is restarting, and
// its end must not be lost (it would stay running until marked
// interrupted).
func (s *Scheduler) recordEnd(ctx context.Context, log *slog.Logger, r warehouse.JobRun) {
	if s.opts.Recorder == nil {
		return
	}
	deadline := time.Now().Add(endRecordPatience)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		err := s.opts.Recorder.RecordRun(rctx, r)
		cancel()
		if err == nil {
			return
		}
		if time.Now().Add(wait).After(deadline) {
			log.Error("recording the run's end", "status", r.Status, "err", err)
			return
		}
		log.Warn("recording the run's end failed; trying again", "status", r.Status, "in", wait, "err", err)
		time.Sleep(wait)
	}
}

// notStarted records an attempt that was due but could not start.
func (s *Scheduler) notStarted(ctx context.Context, job Job, asOf time.Time, n int, why error) warehouse.JobRun {
	now := s.opts.Now()
	run := s.newRun(job, asOf, n, now)
	run.FinishedAt, run.Status, run.Message = now.Add(time.Nanosecond), warehouse.RunCancelled, why.Error()
	run.HeartbeatAt = run.FinishedAt
	log := s.log.With("job", job.Name, "run", run.RunID, "attempt", n)
	log.Warn("job not started", "err", why)
	s.record(ctx, log, run)
	if s.opts.Observer != nil {
		s.opts.Observer.RunStarted(run)
		s.opts.Observer.RunFinished(run, true)
	}
	return run
}

func (s *Scheduler) newRun(job Job, asOf time.Time, n int, start time.Time) warehouse.JobRun {
	if asOf.IsZero() {
		asOf = start
	}
	return warehouse.JobRun{RunID: newRunID(job.Name, start), Job: job.Name, StartedAt: start, Status: warehouse.RunRunning,
		HeartbeatAt: start, Owner: s.opts.Owner, AsOf: asOf, Attempt: n}
}

// heartbeat records the run again at every beat until the returned func is
// called; that func returns once no record is on its way.
func (s *Scheduler) heartbeat(ctx context.Context, log *slog.Logger, run warehouse.JobRun) func() {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.opts.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				run.HeartbeatAt = s.opts.Now()
				s.record(ctx, log, run)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// lockLane waits for the lane in this process, then in the others. Stop
// ends the wait.
func (s *Scheduler) lockLane(ctx context.Context, lane string) (func(), error) {
	s.mu.Lock()
	ch := s.lanes[lane]
	if ch == nil {
		ch = make(chan struct{}, 1)
		s.lanes[lane] = ch
	}
	s.mu.Unlock()
	wctx, cancel := mergeCancel(ctx, s.soft)
	defer cancel()
	select {
	case ch <- struct{}{}:
	case <-wctx.Done():
		return nil, fmt.Errorf("scheduler: waiting for lane %s: %w", lane, context.Cause(wctx))
	}
	if s.opts.Locks == nil {
		return func() { <-ch }, nil
	}
	unlock, err := s.opts.Locks.Lock(wctx, "lane-"+lane)
	if err != nil {
		<-ch
		return nil, fmt.Errorf("scheduler: waiting for lane %s: %w", lane, err)
	}
	return func() { unlock(); <-ch }, nil
}

func (s *Scheduler) record(ctx context.Context, log *slog.Logger, r warehouse.JobRun) {
	if s.opts.Recorder == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.opts.Recorder.RecordRun(rctx, r); err != nil {
		log.Error("recording the run", "status", r.Status, "err", err)
	}
}

// safeRun turns a panic in a job into a failed run rather than a dead process.
func (s *Scheduler) safeRun(ctx context.Context, job Job, now time.Time, runID string) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scheduler: job %s panicked: %v", job.Name, p)
		}
	}()
	return job.Run(ctx, now, runID)
}

// runContext marks the run's context with its id: the warehouse's
// statements made with it carry the run id in their query ids.
func runContext(ctx context.Context, runID string) context.Context {
	return warehouse.WithRun(ctx, runID)
}

// mergeCancel returns ctx, also cancelled (with its cause) when other ends.
func mergeCancel(ctx, other context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(other, func() { cancel(context.Cause(other)) })
	return c, func() {
		stop()
		cancel(nil)
	}
}

func newRunID(job string, t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return job + "-" + t.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}
