package completeness_test

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/brusano/bassins/pipeline/completeness"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// local is a time on the wall clocks of Brussels.
func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, brussels)
}

func spec(name, dataset string, e *sources.Expected, dueDay int) sources.Spec {
	return sources.Spec{Name: name, Dataset: dataset, Expected: e, DueDay: dueDay}
}

// The specs and arrivals of the tests; now is 20 June 2024 at noon.
var (
	now   = local(2024, 6, 20, 12, 0)
	specs = []sources.Spec{
		// The deprecated due_day: monthly, due the 10th.
		spec("combo", "contacts", nil, 10),
		spec("fedito", "federation_activity", &sources.Expected{Every: "quarter", DueDay: 28}, 0),
		spec("offer", "services", &sources.Expected{Every: "year", DueDay: 1}, 0),
		spec("early", "contacts", &sources.Expected{Every: "month", DueDay: 25, From: "2024-05"}, 0),
		spec("never", "contacts", &sources.Expected{Every: "month", DueDay: 10}, 0),
		spec("tdi", "treatment_demands", nil, 0), // owes nothing
	}
	arrivals = []warehouse.Arrival{
		{Source: "combo", Dataset: "contacts", Month: month(2024, 1), FirstLoadedAt: local(2024, 2, 5, 10, 0), Lines: 4},
		// February never arrives.
		{Source: "combo", Dataset: "contacts", Month: month(2024, 3), FirstLoadedAt: local(2024, 4, 15, 9, 0), Lines: 2},
		// 23:30 on the due day, in summer time: 21:30 UTC.
		{Source: "combo", Dataset: "contacts", Month: month(2024, 4), FirstLoadedAt: time.Date(2024, 5, 10, 21, 30, 0, 0, time.UTC), Lines: 1},
		// 00:30 the day after the due day: still 10 June in UTC.
		{Source: "combo", Dataset: "contacts", Month: month(2024, 5), FirstLoadedAt: time.Date(2024, 6, 10, 22, 30, 0, 0, time.UTC), Lines: 1},
		{Source: "fedito", Dataset: "federation_activity", Month: month(2023, 8), FirstLoadedAt: local(2023, 10, 1, 8, 0), Lines: 3},
		// The fourth quarter of 2023 never arrives; the first of 2024 does,
		// its March before its February.
		{Source: "fedito", Dataset: "federation_activity", Month: month(2024, 2), FirstLoadedAt: local(2024, 4, 20, 8, 0), Lines: 3},
		{Source: "fedito", Dataset: "federation_activity", Month: month(2024, 3), FirstLoadedAt: local(2024, 4, 2, 8, 0), Lines: 3},
		{Source: "offer", Dataset: "services", Month: month(2023, 1), FirstLoadedAt: local(2023, 3, 1, 8, 0), Lines: 9},
		// Before early's from: not owed.
		{Source: "early", Dataset: "contacts", Month: month(2024, 3), FirstLoadedAt: local(2024, 4, 1, 8, 0), Lines: 1},
		{Source: "early", Dataset: "contacts", Month: month(2024, 6), FirstLoadedAt: local(2024, 6, 18, 8, 0), Lines: 1},
		{Source: "tdi", Dataset: "treatment_demands", Month: month(2024, 1), FirstLoadedAt: local(2024, 2, 1, 8, 0), Lines: 1},
		{Source: "gone", Dataset: "contacts", Month: month(2024, 1), FirstLoadedAt: local(2024, 2, 1, 8, 0), Lines: 1},
	}
)

func TestCompute(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return local(y, m, d, 0, 0) }
	row := func(source, dataset, every string, period, due time.Time, expected, received, onTime bool, at time.Time) completeness.Row {
		return completeness.Row{Source: source, Dataset: dataset, Every: every, Period: period, Due: due,
			Expected: expected, Received: received, OnTime: onTime, ReceivedAt: at}
	}
	const c, f = "contacts", "federation_activity"
	want := []completeness.Row{
		row("combo", c, "month", month(2024, 1), day(2024, 2, 10), true, true, true, local(2024, 2, 5, 10, 0)),
		row("combo", c, "month", month(2024, 2), day(2024, 3, 10), true, false, false, time.Time{}),             // missing
		row("combo", c, "month", month(2024, 3), day(2024, 4, 10), true, true, false, local(2024, 4, 15, 9, 0)), // late
		row("combo", c, "month", month(2024, 4), day(2024, 5, 10), true, true, true, local(2024, 5, 10, 23, 30)),
		row("combo", c, "month", month(2024, 5), day(2024, 6, 10), true, true, false, local(2024, 6, 11, 0, 30)),
		// June is due 10 July and has no data: no row.
		// May is pending (due 25 June); June arrived early.
		row("early", c, "month", month(2024, 5), day(2024, 6, 25), false, false, false, time.Time{}),
		row("early", c, "month", month(2024, 6), day(2024, 7, 25), true, true, true, local(2024, 6, 18, 8, 0)),
		row("fedito", f, "quarter", month(2023, 7), day(2023, 10, 28), true, true, true, local(2023, 10, 1, 8, 0)),
		row("fedito", f, "quarter", month(2023, 10), day(2024, 1, 28), true, false, false, time.Time{}),
		row("fedito", f, "quarter", month(2024, 1), day(2024, 4, 28), true, true, true, local(2024, 4, 2, 8, 0)),
		// The second quarter is due 28 July: no row.
		row("offer", "services", "year", month(2023, 1), day(2024, 1, 1), true, true, true, local(2023, 3, 1, 8, 0)),
	}
	got := completeness.Compute(specs, arrivals, now, brussels)
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w completeness.Row
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !sameRow(g, w) {
			t.Errorf("row %d:\n got %s\nwant %s", i, describe(g), describe(w))
		}
	}
}

func sameRow(a, b completeness.Row) bool {
	return a.Source == b.Source && a.Dataset == b.Dataset && a.Every == b.Every && a.Period.Equal(b.Period) &&
		a.Due.Equal(b.Due) && a.Expected == b.Expected && a.Received == b.Received && a.OnTime == b.OnTime &&
		a.ReceivedAt.Equal(b.ReceivedAt)
}

func describe(r completeness.Row) string {
	at := "-"
	if !r.ReceivedAt.IsZero() {
		at = r.ReceivedAt.In(brussels).Format(time.DateTime)
	}
	return r.Source + " " + r.Dataset + " " + r.Every + " " + r.Period.Format("2006-01") + " due " +
		r.Due.In(brussels).Format(time.DateTime) + " expected " + yes(r.Expected) + " received " + yes(r.Received) +
		" on time " + yes(r.OnTime) + " at " + at
}

func yes(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// The due day of a monthly source, 27 October 2024, is the day Brussels
// leaves summer time (25 hours): 23:30 that day is on time, 00:30 the day
// after is late though still 27 October in UTC.
func TestTheDueDayEndsAtMidnightInTheTimeZone(t *testing.T) {
	e := &sources.Expected{Every: "month", DueDay: 27, From: "2024-09"}
	specs := []sources.Spec{spec("in-time", "contacts", e, 0), spec("late", "contacts", e, 0), spec("utc", "contacts", e, 0)}
	lastMinute := local(2024, 10, 27, 23, 30)
	nextDay := local(2024, 10, 28, 0, 30)
	if nextDay.UTC().Day() != 27 {
		t.Fatalf("00:30 on 28 October in Brussels is %s in UTC, want the 27th", nextDay.UTC())
	}
	arrivals := []warehouse.Arrival{
		{Source: "in-time", Month: month(2024, 9), FirstLoadedAt: lastMinute, Lines: 1},
		{Source: "late", Month: month(2024, 9), FirstLoadedAt: nextDay, Lines: 1},
		{Source: "utc", Month: month(2024, 9), FirstLoadedAt: nextDay, Lines: 1},
	}
	now := local(2024, 11, 5, 12, 0)
	onTime := func(loc *time.Location) map[string]bool {
		out := map[string]bool{}
		for _, r := range completeness.Compute(specs, arrivals, now, loc) {
			if !r.Period.Equal(month(2024, 9)) || !r.Received || !r.Expected {
				t.Errorf("unexpected row %s", describe(r))
			}
			out[r.Source] = r.OnTime
		}
		return out
	}
	got := onTime(brussels)
	if !got["in-time"] || got["late"] || len(got) != 3 {
		t.Errorf("on time in Brussels: %v, want in-time only", got)
	}
	if got := onTime(time.UTC); !got["late"] {
		t.Errorf("on time in UTC: %v, want late on time too (still the 27th)", got)
	}
}

func TestIncomplete(t *testing.T) {
	rows := completeness.Compute(specs, arrivals, now, brussels)
	tests := []struct {
		name     string
		dataset  string
		from, to time.Time
		want     bool
	}{
		{"February: combo's delivery is missing", "contacts", month(2024, 2), month(2024, 3), true},
		{"the first half-year holds February", "contacts", month(2024, 1), month(2024, 7), true},
		{"January: on time", "contacts", month(2024, 1), month(2024, 2), false},
		{"March to May: late deliveries arrived, early's May is pending", "contacts", month(2024, 3), month(2024, 6), false},
		{"November 2023: within fedito's missing quarter", "federation_activity", month(2023, 11), month(2023, 12), true},
		{"September 2023 and later, up to the quarter missing", "federation_activity", month(2023, 9), month(2023, 10), false},
		{"the first half of 2024", "federation_activity", month(2024, 1), month(2024, 7), false},
		{"a dataset no source owes", "treatment_demands", month(2020, 1), month(2030, 1), false},
		{"before any delivery owed", "contacts", month(2020, 1), month(2024, 1), false},
	}
	for _, tt := range tests {
		if got := completeness.Incomplete(rows, tt.dataset, tt.from, tt.to); got != tt.want {
			t.Errorf("%s: Incomplete(%s, %s, %s) = %v, want %v", tt.name, tt.dataset, tt.from.Format("2006-01"),
				tt.to.Format("2006-01"), got, tt.want)
		}
	}
}
