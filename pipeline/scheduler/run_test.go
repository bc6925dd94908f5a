package scheduler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
)

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		failures     int // attempts that fail before one succeeds
		retries      int
		wantStatuses []string
	}{
		{"no retry configured", 1, 0, []string{warehouse.RunFailed}},
		{"succeeds at once", 0, 3, []string{warehouse.RunOK}},
		{"succeeds at the third attempt", 2, 3, []string{warehouse.RunFailed, warehouse.RunFailed, warehouse.RunOK}},
		{"retries spent", 5, 2, []string{warehouse.RunFailed, warehouse.RunFailed, warehouse.RunFailed}},
	}
	const backoff = 15 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, obs := &memRecorder{}, newObserver()
			var mu sync.Mutex
			var starts []time.Time
			var runIDs []string
			job := func(_ context.Context, _ time.Time, runID string) (scheduler.Outcome, error) {
				mu.Lock()
				defer mu.Unlock()
				starts = append(starts, time.Now())
				runIDs = append(runIDs, runID)
				if len(starts) <= tt.failures {
					return scheduler.Outcome{Rows: 1}, fmt.Errorf("attempt %d: source unreachable", len(starts))
				}
				return scheduler.Outcome{Rows: 10}, nil
			}
			s := newScheduler(t, scheduler.Options{Recorder: rec, Observer: obs, Owner: "test-host:1",
				Jobs: []scheduler.Job{{Name: "ingest", Schedule: "@daily", Run: job, Retries: tt.retries, Backoff: backoff}}})
			last, err := s.RunNow(t.Context(), "ingest")
			want := len(tt.wantStatuses)
			if (err == nil) != (tt.wantStatuses[want-1] == warehouse.RunOK) {
				t.Errorf("RunNow error %v with last status %s", err, tt.wantStatuses[want-1])
			}
			runs := rec.latest("ingest")
			if len(runs) != want || len(starts) != want {
				t.Fatalf("%d recorded runs, %d calls, want %d", len(runs), len(starts), want)
			}
			for i, r := range runs {
				if r.Attempt != i+1 || r.Status != tt.wantStatuses[i] || r.RunID != runIDs[i] || r.Owner != "test-host:1" {
					t.Errorf("run %d: attempt %d status %s id %s owner %q, want attempt %d status %s id %s",
						i, r.Attempt, r.Status, r.RunID, r.Owner, i+1, tt.wantStatuses[i], runIDs[i])
				}
				if r.Status == warehouse.RunFailed && !strings.Contains(r.Message, fmt.Sprintf("attempt %d: source unreachable", i+1)) {
					t.Errorf("run %d: message %q", i, r.Message)
				}
			}
			if last.RunID != runs[want-1].RunID || last.Attempt != want {
				t.Errorf("RunNow returned %s attempt %d, want the last attempt %s", last.RunID, last.Attempt, runs[want-1].RunID)
			}
			// The backoff doubles: 15ms before the 2nd attempt, 30ms before the 3rd.
			for i := 1; i < len(starts); i++ {
				if gap, min := starts[i].Sub(starts[i-1]), backoff<<(i-1); gap < min {
					t.Errorf("attempt %d started %v after the previous one, want at least %v", i+1, gap, min)
				}
			}
			fins := obs.finishedOf("ingest")
			for i, f := range fins {
				if f.final != (i == want-1) {
					t.Errorf("attempt %d: final %v", i+1, f.final)
				}
			}
		})
	}
}

func TestDeadlineCancels(t *testing.T) {
	tests := []struct {
		name     string
		retries  int
		attempts int
	}{
		{"no retry", 0, 1},
		{"a deadline is retried like a failure", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &memRecorder{}
			waits := func(ctx context.Context, _ time.Time, _ string) (scheduler.Outcome, error) {
				select {
				case <-ctx.Done():
					return scheduler.Outcome{}, ctx.Err()
				case <-time.After(10 * time.Second):
					return scheduler.Outcome{}, nil
				}
			}
			s := newScheduler(t, scheduler.Options{Recorder: rec, Jobs: []scheduler.Job{{Name: "compute", Schedule: "@daily", Run: waits,
				Timeout: 20 * time.Millisecond, Retries: tt.retries, Backoff: time.Millisecond}}})
			begin := time.Now()
			run, err := s.RunNow(t.Context(), "compute")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want DeadlineExceeded", err)
			}
			if time.Since(begin) > 5*time.Second {
				t.Errorf("the deadline did not end the run")
			}
			runs := rec.latest("compute")
			if len(runs) != tt.attempts {
				t.Fatalf("%d runs, want %d", len(runs), tt.attempts)
			}
			for _, r := range runs {
				if r.Status != warehouse.RunCancelled || !strings.Contains(r.Message, "deadline of 20ms reached") {
					t.Errorf("run %+v, want cancelled by its deadline", r)
				}
			}
			if run.Status != warehouse.RunCancelled {
				t.Errorf("RunNow returned status %s", run.Status)
			}
		})
	}
}

// A run cancelled by its caller is cancelled and not retried.
func TestCallerCancelIsNotRetried(t *testing.T) {
	rec := &memRecorder{}
	started := make(chan struct{}, 5)
	waits := func(ctx context.Context, _ time.Time, _ string) (scheduler.Outcome, error) {
		started <- struct{}{}
		<-ctx.Done()
		return scheduler.Outcome{}, ctx.Err()
	}
	s := newScheduler(t, scheduler.Options{Recorder: rec, Jobs: []scheduler.Job{{Name: "ingest", Schedule: "@daily", Run: waits,
		Retries: 3, Backoff: time.Millisecond}}})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	run, err := s.RunNow(ctx, "ingest")
	if !errors.Is(err, context.Canceled) || run.Status != warehouse.RunCancelled {
		t.Errorf("run %s, err %v, want cancelled", run.Status, err)
	}
	if runs := rec.latest("ingest"); len(runs) != 1 {
		t.Errorf("%d runs, want 1", len(runs))
	}
}

func TestStopWithGrace(t *testing.T) {
	rec := &memRecorder{}
	const grace = 60 * time.Millisecond
	const stubbornFor = 400 * time.Millisecond
	started := make(chan string, 3)
	var stubbornEnd, politeEnd time.Time
	var mu sync.Mutex
	stubborn := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		started <- "stubborn"
		time.Sleep(stubbornFor) // ignores its context
		mu.Lock()
		stubbornEnd = time.Now()
		mu.Unlock()
		return scheduler.Outcome{Rows: 1}, nil
	}
	polite := func(ctx context.Context, _ time.Time, _ string) (scheduler.Outcome, error) {
		started <- "polite"
		<-ctx.Done()
		mu.Lock()
		politeEnd = time.Now()
		mu.Unlock()
		return scheduler.Outcome{}, ctx.Err()
	}
	quick := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		started <- "quick"
		time.Sleep(10 * time.Millisecond) // ends within the grace
		return scheduler.Outcome{}, nil
	}
	s := newScheduler(t, scheduler.Options{Recorder: rec, Jobs: []scheduler.Job{
		{Name: "stubborn", Schedule: "@daily", Run: stubborn},
		{Name: "polite", Schedule: "@daily", Run: polite},
		{Name: "quick", Schedule: "@daily", Run: quick},
	}})
	for _, name := range []string{"stubborn", "polite", "quick"} {
		s.Trigger(name)
	}
	for range 3 {
		recv(t, started, "a run to start")
	}
	stopAt := time.Now()
	s.Stop(grace)
	returned := time.Now()

	mu.Lock()
	defer mu.Unlock()
	if returned.Before(stubbornEnd) {
		t.Errorf("Stop returned before the run ignoring its context ended")
	}
	if politeEnd.Sub(stopAt) < grace || politeEnd.After(stubbornEnd) {
		t.Errorf("the polite run ended %v after Stop, want after the grace (%v) and before the stubborn run", politeEnd.Sub(stopAt), grace)
	}
	want := map[string]string{"stubborn": warehouse.RunOK, "polite": warehouse.RunCancelled, "quick": warehouse.RunOK}
	for job, status := range want {
		runs := rec.latest(job)
		if len(runs) != 1 || runs[0].Status != status {
			t.Errorf("%s: runs %+v, want one %s", job, runs, status)
		}
	}
	if r := rec.latest("polite"); len(r) == 1 && !strings.Contains(r[0].Message, scheduler.ErrStopped.Error()) {
		t.Errorf("polite message %q, want it to say it was stopped", r[0].Message)
	}
	if _, err := s.RunNow(t.Context(), "quick"); !errors.Is(err, scheduler.ErrStopped) {
		t.Errorf("RunNow after Stop: %v, want ErrStopped", err)
	}
	s.Trigger("quick") // ignored
	if n := len(rec.latest("quick")); n != 1 {
		t.Errorf("quick ran %d times, want 1", n)
	}
}

// Stop ends the wait before a retry at once; the retry is recorded
// cancelled, so that the job's last record is final.
func TestStopCancelsBackoff(t *testing.T) {
	rec, obs := &memRecorder{}, newObserver()
	fails := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		return scheduler.Outcome{}, errors.New("source unreachable")
	}
	s := newScheduler(t, scheduler.Options{Recorder: rec, Observer: obs, Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "@daily", Run: fails, Retries: 2, Backoff: time.Hour}}})
	done := make(chan error, 1)
	go func() {
		_, err := s.RunNow(t.Context(), "ingest")
		done <- err
	}()
	if f := obs.waitFinished(t, "ingest", 1)[0]; f.final || f.run.Status != warehouse.RunFailed {
		t.Fatalf("first attempt %+v final %v, want failed with a retry to follow", f.run, f.final)
	}
	begin := time.Now()
	s.Stop(time.Second)
	if d := time.Since(begin); d > 500*time.Millisecond {
		t.Errorf("Stop took %v with a run waiting to retry", d)
	}
	if err := recv(t, done, "RunNow"); !errors.Is(err, scheduler.ErrStopped) {
		t.Errorf("RunNow: %v, want ErrStopped", err)
	}
	runs := rec.latest("ingest")
	if len(runs) != 2 || runs[1].Attempt != 2 || runs[1].Status != warehouse.RunCancelled {
		t.Errorf("runs %+v, want a failed attempt 1 and a cancelled attempt 2", runs)
	}
	if f := obs.finishedOf("ingest"); len(f) != 2 || !f[1].final {
		t.Errorf("observer heard %+v, want the cancelled retry as final", f)
	}
}

// interval is when one run was inside its job function.
type interval struct {
	job        string
	start, end time.Time
}

type intervals struct {
	mu  sync.Mutex
	all []interval
	in  atomic.Int32
	max atomic.Int32
}

// job returns a Func that notes its interval and how many runs of the lane
// are inside at once.
func (iv *intervals) job(name string, d time.Duration) scheduler.Func {
	return func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		n := iv.in.Add(1)
		for {
			m := iv.max.Load()
			if n <= m || iv.max.CompareAndSwap(m, n) {
				break
			}
		}
		start := time.Now()
		time.Sleep(d)
		end := time.Now()
		iv.in.Add(-1)
		iv.mu.Lock()
		iv.all = append(iv.all, interval{name, start, end})
		iv.mu.Unlock()
		return scheduler.Outcome{}, nil
	}
}

func (iv *intervals) checkNoOverlap(t *testing.T, want int) {
	t.Helper()
	iv.mu.Lock()
	defer iv.mu.Unlock()
	if len(iv.all) != want {
		t.Errorf("%d runs in the lane, want %d", len(iv.all), want)
	}
	for i, a := range iv.all {
		for _, b := range iv.all[i+1:] {
			if a.start.Before(b.end) && b.start.Before(a.end) {
				t.Errorf("%s [%v, %v] overlaps %s [%v, %v]", a.job, a.start, a.end, b.job, b.start, b.end)
			}
		}
	}
	if m := iv.max.Load(); m != 1 {
		t.Errorf("up to %d runs of the lane at once", m)
	}
}

func TestLanesNeverOverlap(t *testing.T) {
	iv := &intervals{}
	// other is in no lane: it runs while the lane is taken.
	otherRan := make(chan struct{})
	laneBusy := make(chan struct{})
	var once sync.Once
	holder := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		once.Do(func() { close(laneBusy) })
		select {
		case <-otherRan:
		case <-time.After(5 * time.Second):
			return scheduler.Outcome{}, errors.New("the job outside the lane did not run meanwhile")
		}
		return scheduler.Outcome{}, nil
	}
	s := newScheduler(t, scheduler.Options{Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "@daily", Run: iv.job("ingest", 5*time.Millisecond), Lane: "warehouse"},
		{Name: "compute", Schedule: "@daily", Run: iv.job("compute", 5*time.Millisecond), Lane: "warehouse"},
		{Name: "maintenance", Schedule: "@daily", Run: iv.job("maintenance", 5*time.Millisecond), Lane: "warehouse"},
		{Name: "holder", Schedule: "@daily", Run: holder, Lane: "other-lane"},
		{Name: "report", Schedule: "@daily", Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			close(otherRan)
			return scheduler.Outcome{}, nil
		}},
	}})
	go func() { _, _ = s.RunNow(t.Context(), "holder") }()
	recv(t, laneBusy, "the holder to run")
	if _, err := s.RunNow(t.Context(), "report"); err != nil {
		t.Fatal(err)
	}
	const rounds = 4
	var wg sync.WaitGroup
	for range rounds {
		for _, name := range []string{"ingest", "compute", "maintenance"} {
			wg.Go(func() {
				for {
					_, err := s.RunNow(t.Context(), name)
					if !errors.Is(err, scheduler.ErrBusy) {
						return
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	iv.checkNoOverlap(t, 3*rounds)
}

func TestThenRunsAfterChangedData(t *testing.T) {
	rec, obs := &memRecorder{}, newObserver()
	changed := []bool{false, true}
	var ingestRuns atomic.Int32
	ingest := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		n := ingestRuns.Add(1)
		return scheduler.Outcome{Rows: 5, Changed: changed[n-1]}, nil
	}
	var computeRuns atomic.Int32
	compute := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		computeRuns.Add(1)
		return scheduler.Outcome{}, nil
	}
	s := newScheduler(t, scheduler.Options{Recorder: rec, Observer: obs, Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "@daily", Run: ingest, Then: []string{"compute"}, Lane: "warehouse"},
		{Name: "compute", Schedule: "@daily", Run: compute, Lane: "warehouse"},
	}})
	if _, err := s.RunNow(t.Context(), "ingest"); err != nil { // unchanged
		t.Fatal(err)
	}
	changedRun, err := s.RunNow(t.Context(), "ingest")
	if err != nil {
		t.Fatal(err)
	}
	c := obs.waitFinished(t, "compute", 1)[0]
	s.Stop(time.Second)
	if n := computeRuns.Load(); n != 1 {
		t.Errorf("compute ran %d times, want once", n)
	}
	if c.run.StartedAt.Before(changedRun.FinishedAt) {
		t.Errorf("compute started %v, before the changed ingest ended %v", c.run.StartedAt, changedRun.FinishedAt)
	}
}

func TestThenNotAfterFailure(t *testing.T) {
	var computeRuns atomic.Int32
	s := newScheduler(t, scheduler.Options{Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "@daily", Then: []string{"compute"}, Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			return scheduler.Outcome{Rows: 3, Changed: true}, errors.New("one delivery refused")
		}},
		{Name: "compute", Schedule: "@daily", Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			computeRuns.Add(1)
			return scheduler.Outcome{}, nil
		}},
	}})
	if _, err := s.RunNow(t.Context(), "ingest"); err == nil {
		t.Fatal("want the ingest's error")
	}
	s.Stop(time.Second) // waits for a compute had one been triggered
	if n := computeRuns.Load(); n != 0 {
		t.Errorf("compute ran %d times after a failed ingest", n)
	}
}

func TestTriggerCoalesces(t *testing.T) {
	obs := newObserver()
	started := make(chan int, 10)
	release := make(chan struct{}, 10)
	var runs atomic.Int32
	job := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		started <- int(runs.Add(1))
		<-release
		return scheduler.Outcome{}, nil
	}
	s := newScheduler(t, scheduler.Options{Observer: obs, Jobs: []scheduler.Job{{Name: "ingest", Schedule: "@daily", Run: job}}})
	s.Trigger("ingest")
	recv(t, started, "the first run")
	for range 5 {
		s.Trigger("ingest") // while running: one run pending
	}
	if _, err := s.RunNow(t.Context(), "ingest"); !errors.Is(err, scheduler.ErrBusy) {
		t.Errorf("RunNow while triggered: %v, want ErrBusy", err)
	}
	release <- struct{}{}
	if n := recv(t, started, "the pending run"); n != 2 {
		t.Errorf("run %d, want 2", n)
	}
	release <- struct{}{}
	obs.waitFinished(t, "ingest", 2)
	s.Stop(time.Second)
	if n := runs.Load(); n != 2 {
		t.Errorf("%d runs, want 2 (the first and one pending)", n)
	}
	s.Trigger("nonexistent") // logged, harmless
}

func TestReplace(t *testing.T) {
	loc := brussels(t)
	now := time.Date(2026, 3, 3, 10, 7, 0, 0, loc)
	rec := &memRecorder{}
	started, release := make(chan struct{}), make(chan struct{})
	blocking := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		close(started)
		<-release
		return scheduler.Outcome{Rows: 9}, nil
	}
	s := newScheduler(t, scheduler.Options{Location: loc, Recorder: rec, Now: func() time.Time { return now }, Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "*/15 * * * *", Run: blocking},
		{Name: "report", Schedule: "0 6 1 * *", Run: noop},
	}})
	done := make(chan error, 1)
	go func() {
		_, err := s.RunNow(t.Context(), "ingest")
		done <- err
	}()
	<-started

	if err := s.Replace([]scheduler.Job{{Name: "ingest", Schedule: "not a schedule", Run: noop}}); err == nil {
		t.Fatal("Replace with a bad schedule: no error")
	}
	if err := s.Replace([]scheduler.Job{{Name: "ingest", Schedule: "0 * * * *", Run: noop, Then: []string{"nothing"}}}); !errors.Is(err, scheduler.ErrUnknownJob) {
		t.Fatalf("Replace with an unknown follow-up: %v", err)
	}
	if next := s.Next(); len(next) != 2 || !next["ingest"].Equal(time.Date(2026, 3, 3, 10, 15, 0, 0, loc)) {
		t.Fatalf("a failed Replace changed the jobs: %v", next)
	}

	if err := s.Replace([]scheduler.Job{
		{Name: "ingest", Schedule: "0 * * * *", Run: noop},
		{Name: "compute", Schedule: "30 2 * * *", Run: noop},
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"ingest":  time.Date(2026, 3, 3, 11, 0, 0, 0, loc),
		"compute": time.Date(2026, 3, 4, 2, 30, 0, 0, loc),
	}
	next := s.Next()
	if len(next) != len(want) || !next["ingest"].Equal(want["ingest"]) || !next["compute"].Equal(want["compute"]) {
		t.Errorf("Next() = %v, want %v", next, want)
	}
	if _, err := s.RunNow(t.Context(), "report"); !errors.Is(err, scheduler.ErrUnknownJob) {
		t.Errorf("RunNow of a removed job: %v, want ErrUnknownJob", err)
	}
	// The run that began before the reload still holds its job.
	if _, err := s.RunNow(t.Context(), "ingest"); !errors.Is(err, scheduler.ErrBusy) {
		t.Errorf("RunNow of the running job after the reload: %v, want ErrBusy", err)
	}
	close(release)
	if err := recv(t, done, "the running run"); err != nil {
		t.Fatal(err)
	}
	if runs := rec.latest("ingest"); len(runs) != 1 || runs[0].Status != warehouse.RunOK || runs[0].Rows != 9 {
		t.Errorf("the run going on during the reload: %+v, want ok with 9 rows", runs)
	}
}

// The reloaded schedule drives cron: a job changed to run every second runs,
// a removed one does not. (The shortest cron interval is one second.)
func TestReplaceSwapsCronEntries(t *testing.T) {
	var removedRuns, changedRuns atomic.Int32
	ran := make(chan struct{}, 10)
	s := newScheduler(t, scheduler.Options{Jobs: []scheduler.Job{
		{Name: "old", Schedule: "@every 1s", Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			removedRuns.Add(1)
			return scheduler.Outcome{}, nil
		}},
		{Name: "changed", Schedule: "0 0 1 1 *", Run: noop},
	}})
	if err := s.Replace([]scheduler.Job{{Name: "changed", Schedule: "@every 1s", Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		changedRuns.Add(1)
		ran <- struct{}{}
		return scheduler.Outcome{}, nil
	}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	recv(t, ran, "the changed job's scheduled run")
	s.Stop(time.Second)
	if n := removedRuns.Load(); n != 0 {
		t.Errorf("the removed job ran %d times", n)
	}
}

func TestHeartbeats(t *testing.T) {
	rec := &memRecorder{}
	const beat = 10 * time.Millisecond
	s := newScheduler(t, scheduler.Options{Recorder: rec, Heartbeat: beat, Jobs: []scheduler.Job{{Name: "compute", Schedule: "@daily",
		Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			time.Sleep(8 * beat)
			return scheduler.Outcome{Rows: 2}, nil
		}}}})
	run, err := s.RunNow(t.Context(), "compute")
	if err != nil {
		t.Fatal(err)
	}
	all := rec.all()
	var beats int
	var prev time.Time
	for i, r := range all {
		if r.RunID != run.RunID || r.Owner == "" || r.Attempt != 1 {
			t.Errorf("record %d: %+v, want run %s with an owner, attempt 1", i, r, run.RunID)
		}
		if r.HeartbeatAt.Before(prev) {
			t.Errorf("record %d: heartbeat %v before the previous %v", i, r.HeartbeatAt, prev)
		}
		prev = r.HeartbeatAt
		last := i == len(all)-1
		if last != (r.Status == warehouse.RunOK) || !last && r.Status != warehouse.RunRunning {
			t.Errorf("record %d of %d: status %s", i+1, len(all), r.Status)
		}
		if i > 0 && !last {
			beats++
		}
	}
	// 80ms of work with a beat every 10ms; a loaded machine may miss some.
	if beats < 2 {
		t.Errorf("%d heartbeats recorded, want several", beats)
	}
}

// Every log line about a run names it.
func TestRunLogLinesCarryTheRunID(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	var n atomic.Int32
	s := newScheduler(t, scheduler.Options{Logger: log, Jobs: []scheduler.Job{{Name: "ingest", Schedule: "@daily", Retries: 1, Backoff: time.Millisecond,
		Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			if n.Add(1) == 1 {
				return scheduler.Outcome{}, errors.New("first attempt fails")
			}
			return scheduler.Outcome{}, nil
		}}}})
	if _, err := s.RunNow(t.Context(), "ingest"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 4 { // started, failed, retrying, started, done
		t.Fatalf("log: %s", buf.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if id, _ := m["run"].(string); !strings.HasPrefix(id, "ingest-") {
			t.Errorf("log line without the run id: %s", l)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// RunOnce makes one attempt and triggers nothing: commands that run jobs in
// sequence themselves use it.
func TestRunOnceMakesOneAttemptAndNoFollowUp(t *testing.T) {
	rec := &memRecorder{}
	var ingestRuns, computeRuns atomic.Int32
	s := newScheduler(t, scheduler.Options{Recorder: rec, Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "@daily", Retries: 3, Backoff: time.Millisecond, Then: []string{"compute"},
			Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
				if ingestRuns.Add(1) == 1 {
					return scheduler.Outcome{}, errors.New("the server went away")
				}
				return scheduler.Outcome{Rows: 3, Changed: true}, nil
			}},
		{Name: "compute", Schedule: "@daily", Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			computeRuns.Add(1)
			return scheduler.Outcome{}, nil
		}},
	}})
	if _, err := s.RunOnce(t.Context(), "ingest", time.Time{}); err == nil {
		t.Fatal("want the first attempt's error, not a retry")
	}
	if run, err := s.RunOnce(t.Context(), "ingest", time.Time{}); err != nil || run.Attempt != 1 {
		t.Fatalf("second RunOnce: attempt %d, %v; want attempt 1, no error", run.Attempt, err)
	}
	s.Stop(time.Second) // waits for a compute had one been triggered
	if n := ingestRuns.Load(); n != 2 {
		t.Errorf("ingest ran %d times, want 2 (no retry)", n)
	}
	if n := computeRuns.Load(); n != 0 {
		t.Errorf("compute ran %d times; RunOnce triggers no follow-up", n)
	}
	if runs := rec.latest("ingest"); len(runs) != 2 {
		t.Errorf("%d ingest runs recorded, want 2", len(runs))
	}
}

// flakyRecorder refuses the first records after it is told to.
type flakyRecorder struct {
	memRecorder
	refuse atomic.Int32
}

func (f *flakyRecorder) RecordRun(ctx context.Context, r warehouse.JobRun) error {
	if f.refuse.Add(-1) >= 0 {
		return errors.New("connection refused")
	}
	return f.memRecorder.RecordRun(ctx, r)
}

// The end of a run is recorded even when the warehouse refuses it for a
// moment (a server restarting).
func TestTheEndOfARunIsRecordedOnceTheWarehouseIsBack(t *testing.T) {
	rec := &flakyRecorder{}
	s := newScheduler(t, scheduler.Options{Recorder: rec, Jobs: []scheduler.Job{{Name: "compute", Schedule: "@daily",
		Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			rec.refuse.Store(2) // the end record fails twice
			return scheduler.Outcome{Rows: 7}, nil
		}}}})
	if _, err := s.RunNow(t.Context(), "compute"); err != nil {
		t.Fatal(err)
	}
	runs := rec.latest("compute")
	if len(runs) != 1 || runs[0].Status != warehouse.RunOK || runs[0].Rows != 7 {
		t.Errorf("recorded %+v; want one run ended ok with 7 rows", runs)
	}
}
