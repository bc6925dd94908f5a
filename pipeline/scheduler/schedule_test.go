package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// runsBetween walks the schedule's Next from from to to.
func runsBetween(t *testing.T, spec string, loc *time.Location, from, to time.Time) []time.Time {
	t.Helper()
	s, err := scheduler.ParseSchedule(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for n := s.Next(from); !n.IsZero() && n.Before(to); n = s.Next(n) {
		out = append(out, n)
		if len(out) > 1000 {
			t.Fatal("runaway schedule")
		}
	}
	return out
}

// Around both daylight saving changes of 2026 in Brussels, a daily job runs
// once a day: at 03:30 CEST when 02:30 does not exist (29 March), at the
// first 02:30 when it happens twice (25 October).
func TestDaylightSavingOncePerDay(t *testing.T) {
	loc := brussels(t)
	cest := time.FixedZone("CEST", 2*3600)
	cet := time.FixedZone("CET", 3600)
	tests := []struct {
		name     string
		spec     string
		from, to time.Time
		want     []time.Time
	}{
		{"spring forward, 02:30 does not exist", "30 2 * * *",
			time.Date(2026, 3, 27, 12, 0, 0, 0, loc), time.Date(2026, 3, 31, 12, 0, 0, 0, loc),
			[]time.Time{
				time.Date(2026, 3, 28, 2, 30, 0, 0, cet),
				time.Date(2026, 3, 29, 3, 30, 0, 0, cest),
				time.Date(2026, 3, 30, 2, 30, 0, 0, cest),
				time.Date(2026, 3, 31, 2, 30, 0, 0, cest),
			}},
		{"fall back, 02:30 happens twice", "30 2 * * *",
			time.Date(2026, 10, 23, 12, 0, 0, 0, loc), time.Date(2026, 10, 27, 12, 0, 0, 0, loc),
			[]time.Time{
				time.Date(2026, 10, 24, 2, 30, 0, 0, cest),
				time.Date(2026, 10, 25, 2, 30, 0, 0, cest),
				time.Date(2026, 10, 26, 2, 30, 0, 0, cet),
				time.Date(2026, 10, 27, 2, 30, 0, 0, cet),
			}},
		{"from inside the repeated hour, the day's run is behind", "30 2 * * *",
			time.Date(2026, 10, 25, 2, 40, 0, 0, cet), time.Date(2026, 10, 26, 12, 0, 0, 0, loc),
			[]time.Time{time.Date(2026, 10, 26, 2, 30, 0, 0, cet)}},
		{"from after the jump, the skipped time is still to come", "45 2 * * *",
			time.Date(2026, 3, 29, 3, 10, 0, 0, cest), time.Date(2026, 3, 30, 12, 0, 0, 0, loc),
			[]time.Time{time.Date(2026, 3, 29, 3, 45, 0, 0, cest), time.Date(2026, 3, 30, 2, 45, 0, 0, cest)}},
		{"half-hourly through the repeated hour: each wall time once", "0,30 2,3 * * *",
			time.Date(2026, 10, 25, 0, 0, 0, 0, loc), time.Date(2026, 10, 25, 12, 0, 0, 0, loc),
			[]time.Time{
				time.Date(2026, 10, 25, 2, 0, 0, 0, cest),
				time.Date(2026, 10, 25, 2, 30, 0, 0, cest),
				time.Date(2026, 10, 25, 3, 0, 0, 0, cet),
				time.Date(2026, 10, 25, 3, 30, 0, 0, cet),
			}},
		{"half-hourly through the gap: in order, no duplicate", "0,30 2,3 * * *",
			time.Date(2026, 3, 29, 0, 0, 0, 0, loc), time.Date(2026, 3, 29, 12, 0, 0, 0, loc),
			[]time.Time{
				time.Date(2026, 3, 29, 3, 0, 0, 0, cest),  // 02:00 and 03:00
				time.Date(2026, 3, 29, 3, 30, 0, 0, cest), // 02:30 and 03:30
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runsBetween(t, tt.spec, loc, tt.from, tt.to)
			if len(got) != len(tt.want) {
				t.Fatalf("runs %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("run %d at %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// Every local day of 2026 has exactly one run of a daily job at 02:30.
func TestDailyJobOnceEveryDayOfTheYear(t *testing.T) {
	loc := brussels(t)
	runs := runsBetween(t, "30 2 * * *", loc, time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc))
	perDay := map[string]int{}
	for _, r := range runs {
		perDay[r.In(loc).Format("2006-01-02")]++
	}
	if len(runs) != 365 || len(perDay) != 365 {
		t.Errorf("%d runs over %d days, want 365 over 365", len(runs), len(perDay))
	}
}

func TestMissed(t *testing.T) {
	loc := brussels(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		name      string
		spec      string
		last, now time.Time
		want      time.Time // zero: none missed
	}{
		{"monthly report missed on the 1st, started on the 3rd", "0 6 1 * *", at(2026, 2, 1, 6, 0), at(2026, 3, 3, 9, 0), at(2026, 3, 1, 6, 0)},
		{"several months missed: the latest only", "0 6 1 * *", at(2025, 11, 1, 6, 0), at(2026, 3, 3, 9, 0), at(2026, 3, 1, 6, 0)},
		{"nothing missed", "0 6 1 * *", at(2026, 3, 1, 6, 0), at(2026, 3, 3, 9, 0), time.Time{}},
		{"a run exactly at now counts", "0 6 1 * *", at(2026, 2, 1, 6, 0), at(2026, 3, 1, 6, 0), at(2026, 3, 1, 6, 0)},
		{"frequent job down for a year", "*/15 * * * *", at(2025, 3, 3, 9, 0), at(2026, 3, 3, 9, 7), at(2026, 3, 3, 9, 0)},
		{"frequent job down for minutes", "*/15 * * * *", at(2026, 3, 3, 8, 45), at(2026, 3, 3, 9, 7), at(2026, 3, 3, 9, 0)},
		{"over the spring change", "30 2 * * *", at(2026, 3, 28, 2, 30), at(2026, 3, 29, 12, 0), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{"last after now", "0 6 1 * *", at(2026, 4, 1, 6, 0), at(2026, 3, 3, 9, 0), time.Time{}},
		{"invalid schedule", "0 6 1 *", at(2026, 2, 1, 6, 0), at(2026, 3, 3, 9, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := scheduler.Missed(tt.spec, loc, tt.last, tt.now)
			if ok == tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("Missed = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestCatchUp(t *testing.T) {
	loc := brussels(t)
	now := time.Date(2026, 3, 3, 9, 7, 0, 0, loc)
	rec := &memRecorder{}
	var mu sync.Mutex
	seen := map[string][]time.Time{}
	job := func(name string) scheduler.Func {
		return func(_ context.Context, asOf time.Time, _ string) (scheduler.Outcome, error) {
			mu.Lock()
			defer mu.Unlock()
			seen[name] = append(seen[name], asOf)
			return scheduler.Outcome{}, nil
		}
	}
	s := newScheduler(t, scheduler.Options{Location: loc, Recorder: rec, Now: func() time.Time { return now }, Jobs: []scheduler.Job{
		{Name: "report", Schedule: "0 6 1 * *", Run: job("report")},
		{Name: "ingest", Schedule: "*/15 * * * *", Run: job("ingest")},
		{Name: "compute", Schedule: "0 * * * *", Run: job("compute")},
		{Name: "maintenance", Schedule: "0 3 * * 0", Run: job("maintenance")},
	}})
	history := map[string]time.Time{
		"report":      time.Date(2026, 1, 1, 6, 0, 0, 0, loc), // February's and March's missed
		"ingest":      time.Date(2026, 3, 1, 10, 0, 0, 0, loc),
		"maintenance": time.Date(2026, 3, 1, 3, 0, 0, 0, loc), // next on 8 March: nothing missed
		"retired":     time.Date(2025, 1, 1, 0, 0, 0, 0, loc), // no such job any more
		// compute has no history: not caught up
	}
	if err := s.CatchUp(t.Context(), history); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"report": time.Date(2026, 3, 1, 6, 0, 0, 0, loc),
		"ingest": time.Date(2026, 3, 3, 9, 0, 0, 0, loc),
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(want) {
		t.Errorf("caught up %v, want %v", seen, want)
	}
	for name, asOf := range want {
		if len(seen[name]) != 1 || !seen[name][0].Equal(asOf) {
			t.Errorf("%s ran as of %v, want once as of %v", name, seen[name], asOf)
		}
		runs := rec.latest(name)
		if len(runs) != 1 || !runs[0].AsOf.Equal(asOf) || !runs[0].StartedAt.Equal(now) || runs[0].Status != warehouse.RunOK {
			t.Errorf("%s recorded %+v, want as of %v, started %v", name, runs, asOf, now)
		}
	}
}
