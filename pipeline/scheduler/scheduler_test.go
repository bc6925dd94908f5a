package scheduler_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/scheduler"
)

func TestRunNowRecordsOutcome(t *testing.T) {
	loc := brussels(t)
	fixed := time.Date(2025, 2, 10, 11, 0, 0, 0, time.UTC)
	missing := errors.New("federation file missing")
	tests := []struct {
		name    string
		run     scheduler.Func
		status  string
		rows    uint64
		message string // a substring; "" for none
		wantErr error  // nil: RunNow must succeed
	}{
		{"ok", func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			return scheduler.Outcome{Rows: 42}, nil
		}, "ok", 42, "", nil},
		{"failed", func(context.Context, time.Time, string) (scheduler.Outcome, error) {
			return scheduler.Outcome{Rows: 3}, missing
		}, "failed", 3, "federation file missing", missing},
		{"panicked", func(context.Context, time.Time, string) (scheduler.Outcome, error) { panic("index out of range") }, "failed", 0, "panicked: index out of range", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScheduler(t, scheduler.Options{Location: loc, Now: func() time.Time { return fixed },
				Jobs: []scheduler.Job{{Name: "compute", Schedule: "0 * * * *", Run: tt.run}}})
			run, err := s.RunNow(t.Context(), "compute")
			switch {
			case tt.status == "ok" && err != nil:
				t.Fatalf("RunNow: %v", err)
			case tt.status == "failed" && err == nil:
				t.Fatalf("RunNow of a failing job returned no error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
			if run.Status != tt.status || run.Rows != tt.rows || run.Job != "compute" {
				t.Errorf("run %+v, want status %s, rows %d, job compute", run, tt.status, tt.rows)
			}
			if tt.message == "" && run.Message != "" || !strings.Contains(run.Message, tt.message) {
				t.Errorf("message %q, want %q", run.Message, tt.message)
			}
			if !run.StartedAt.Equal(fixed) || !run.FinishedAt.After(run.StartedAt) {
				t.Errorf("started %v finished %v, want start at %v and a later finish", run.StartedAt, run.FinishedAt, fixed)
			}
			// 11:00 UTC, whatever the configured zone.
			if !regexp.MustCompile(`^compute-20250210T110000-[0-9a-f]{8}$`).MatchString(run.RunID) {
				t.Errorf("run id %q, want compute-20250210T110000-<8 hex>", run.RunID)
			}
			// The lock is released, even after a panic.
			if _, err := s.RunNow(t.Context(), "compute"); errors.Is(err, scheduler.ErrBusy) {
				t.Errorf("second run after the first ended: ErrBusy")
			}
		})
	}
}

func TestRunIDsDiffer(t *testing.T) {
	fixed := time.Date(2025, 2, 10, 11, 0, 0, 0, time.UTC)
	s := newScheduler(t, scheduler.Options{Now: func() time.Time { return fixed },
		Jobs: []scheduler.Job{{Name: "ingest", Schedule: "*/15 * * * *", Run: noop}}})
	a, _ := s.RunNow(t.Context(), "ingest")
	b, _ := s.RunNow(t.Context(), "ingest")
	if a.RunID == b.RunID {
		t.Errorf("two runs at the same second share the id %s", a.RunID)
	}
}

func TestRunNowBusyWhileRunning(t *testing.T) {
	started := make(chan string)
	release := make(chan struct{})
	blocking := func(_ context.Context, _ time.Time, runID string) (scheduler.Outcome, error) {
		started <- runID
		<-release
		return scheduler.Outcome{Rows: 7}, nil
	}
	quick := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		return scheduler.Outcome{Rows: 1}, nil
	}
	s := newScheduler(t, scheduler.Options{Jobs: []scheduler.Job{
		{Name: "ingest", Schedule: "*/15 * * * *", Run: blocking},
		{Name: "compute", Schedule: "0 * * * *", Run: quick},
	}})

	type result struct {
		status string
		rows   uint64
		err    error
	}
	first := make(chan result, 1)
	go func() {
		run, err := s.RunNow(t.Context(), "ingest")
		first <- result{run.Status, run.Rows, err}
	}()
	firstID := <-started

	run, err := s.RunNow(t.Context(), "ingest")
	if !errors.Is(err, scheduler.ErrBusy) {
		t.Errorf("second run while the first is going: %v, want ErrBusy", err)
	}
	if run.RunID != "" || run.Status != "" {
		t.Errorf("a refused run must not be a run, got %+v", run)
	}
	// Another job is not held by ingest's run.
	if run, err := s.RunNow(t.Context(), "compute"); err != nil || run.Status != "ok" {
		t.Errorf("compute during ingest: %+v, %v", run, err)
	}

	close(release)
	r := <-first
	if r.err != nil || r.status != "ok" || r.rows != 7 {
		t.Errorf("first run ended %+v, want ok with 7 rows", r)
	}

	// Once the first has ended, the job runs again.
	done := make(chan error, 1)
	go func() { _, err := s.RunNow(t.Context(), "ingest"); done <- err }()
	if id := <-started; id == firstID {
		t.Errorf("third run reused the run id %s", id)
	}
	if err := <-done; err != nil {
		t.Errorf("third run: %v", err)
	}
}

func TestRunNowUnknownJob(t *testing.T) {
	s := newScheduler(t, scheduler.Options{})
	_, err := s.RunNow(t.Context(), "report")
	if !errors.Is(err, scheduler.ErrUnknownJob) || !strings.Contains(err.Error(), `"report"`) {
		t.Errorf("got %v, want ErrUnknownJob naming \"report\"", err)
	}
}

func TestNewChecksJobs(t *testing.T) {
	tests := []struct {
		name string
		jobs []scheduler.Job
		want string // error substring; "" for none
	}{
		{"five fields", []scheduler.Job{{Name: "report", Schedule: "0 6 1 * *", Run: noop}}, ""},
		{"descriptor", []scheduler.Job{{Name: "report", Schedule: "@monthly", Run: noop}}, ""},
		{"four fields", []scheduler.Job{{Name: "report", Schedule: "0 6 1 *", Run: noop}}, `job report: schedule "0 6 1 *"`},
		{"six fields (seconds are not accepted)", []scheduler.Job{{Name: "report", Schedule: "0 0 6 1 * *", Run: noop}}, `schedule "0 0 6 1 * *"`},
		{"minute out of range", []scheduler.Job{{Name: "ingest", Schedule: "61 * * * *", Run: noop}}, `job ingest: schedule "61 * * * *"`},
		{"words", []scheduler.Job{{Name: "ingest", Schedule: "every day", Run: noop}}, `schedule "every day"`},
		{"empty", []scheduler.Job{{Name: "ingest", Schedule: "", Run: noop}}, `schedule ""`},
		{"a bad one among good ones", []scheduler.Job{{Name: "ingest", Schedule: "*/15 * * * *", Run: noop}, {Name: "compute", Schedule: "0 25 * * *", Run: noop}}, `job compute`},
		{"duplicate name", []scheduler.Job{{Name: "ingest", Schedule: "*/15 * * * *", Run: noop}, {Name: "ingest", Schedule: "0 * * * *", Run: noop}}, `job "ingest" declared twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scheduler.New(scheduler.Options{Jobs: tt.jobs})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				s.Stop(0)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestJobGetsNowInTheConfiguredLocation(t *testing.T) {
	loc := brussels(t)
	tests := []struct {
		name      string
		now       time.Time
		loc       *time.Location
		wantZone  string
		wantClock string // wall clock the job sees
	}{
		{"winter, CET", time.Date(2025, 2, 10, 11, 0, 0, 0, time.UTC), loc, "Europe/Brussels", "2025-02-10 12:00"},
		{"summer, CEST", time.Date(2025, 7, 1, 10, 30, 0, 0, time.UTC), loc, "Europe/Brussels", "2025-07-01 12:30"},
		{"new month in Brussels, not yet in UTC", time.Date(2025, 2, 28, 23, 30, 0, 0, time.UTC), loc, "Europe/Brussels", "2025-03-01 00:30"},
		{"no location: UTC", time.Date(2025, 2, 10, 11, 0, 0, 0, time.FixedZone("X", 3*3600)), nil, "UTC", "2025-02-10 08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen time.Time
			s := newScheduler(t, scheduler.Options{Location: tt.loc, Now: func() time.Time { return tt.now },
				Jobs: []scheduler.Job{{Name: "report", Schedule: "0 6 1 * *", Run: func(_ context.Context, now time.Time, _ string) (scheduler.Outcome, error) {
					seen = now
					return scheduler.Outcome{}, nil
				}}}})
			if _, err := s.RunNow(t.Context(), "report"); err != nil {
				t.Fatal(err)
			}
			if seen.Location().String() != tt.wantZone || seen.Format("2006-01-02 15:04") != tt.wantClock || !seen.Equal(tt.now) {
				t.Errorf("job saw %v (%s), want %s in %s, the same instant as %v", seen, seen.Location(), tt.wantClock, tt.wantZone, tt.now)
			}
		})
	}
}

func TestScheduleInBrussels(t *testing.T) {
	loc := brussels(t)
	tests := []struct {
		spec     string
		from     time.Time
		wantUTC  time.Time
		wantWall string
	}{
		{"0 6 1 * *", time.Date(2025, 2, 10, 12, 0, 0, 0, loc), time.Date(2025, 3, 1, 5, 0, 0, 0, time.UTC), "2025-03-01 06:00 CET"},
		// the month's run falls after the switch to summer time
		{"0 6 1 * *", time.Date(2025, 3, 5, 0, 0, 0, 0, loc), time.Date(2025, 4, 1, 4, 0, 0, 0, time.UTC), "2025-04-01 06:00 CEST"},
		// and after the switch back
		{"0 6 1 * *", time.Date(2025, 10, 5, 0, 0, 0, 0, loc), time.Date(2025, 11, 1, 5, 0, 0, 0, time.UTC), "2025-11-01 06:00 CET"},
		// exactly at a run: the next one
		{"0 6 1 * *", time.Date(2025, 3, 1, 6, 0, 0, 0, loc), time.Date(2025, 4, 1, 4, 0, 0, 0, time.UTC), "2025-04-01 06:00 CEST"},
		{"@monthly", time.Date(2025, 3, 5, 0, 0, 0, 0, loc), time.Date(2025, 3, 31, 22, 0, 0, 0, time.UTC), "2025-04-01 00:00 CEST"},
		{"*/15 * * * *", time.Date(2025, 7, 1, 12, 7, 0, 0, loc), time.Date(2025, 7, 1, 10, 15, 0, 0, time.UTC), "2025-07-01 12:15 CEST"},
	}
	for _, tt := range tests {
		sched, err := scheduler.ParseSchedule(tt.spec, loc)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		got := sched.Next(tt.from)
		if !got.Equal(tt.wantUTC) || got.In(loc).Format("2006-01-02 15:04 MST") != tt.wantWall {
			t.Errorf("%q from %v: next %v (%s), want %v (%s)", tt.spec, tt.from, got.UTC(), got.In(loc).Format("2006-01-02 15:04 MST"), tt.wantUTC, tt.wantWall)
		}
	}
}

// Next gives each job its own schedule's next run after Now, in the
// configured zone.
func TestNextGivesEachJobItsOwnSchedule(t *testing.T) {
	loc := brussels(t)
	now := time.Date(2026, 3, 3, 10, 7, 30, 0, loc)
	s := newScheduler(t, scheduler.Options{Location: loc, Now: func() time.Time { return now }, Jobs: []scheduler.Job{
		{Name: "monthly-report", Schedule: "0 6 1 * *", Run: noop},
		{Name: "ingest", Schedule: "* * * * *", Run: noop},
	}})
	s.Start()
	next := s.Next()
	want := map[string]time.Time{
		"monthly-report": time.Date(2026, 4, 1, 6, 0, 0, 0, loc),
		"ingest":         time.Date(2026, 3, 3, 10, 8, 0, 0, loc),
	}
	if len(next) != len(want) {
		t.Fatalf("Next() = %v, want %v", next, want)
	}
	for job, w := range want {
		if !next[job].Equal(w) {
			t.Errorf("%s next at %v, want %v", job, next[job], w)
		}
	}
}
