package sources

import (
	"fmt"
	"time"
)

// Delivery periods a source may owe.
const (
	EveryMonth   = "month"
	EveryQuarter = "quarter"
	EveryYear    = "year"
)

// Expected says which deliveries a source owes, as DHIS2's data set
// periods do: one per period, period P's due by day DueDay of the month
// following P's end (every: month, due_day: 10 → March's data by 10 April;
// every: quarter, due_day: 10 → the first quarter's by 10 April).
//
// A source owes deliveries from From when given, else from the first period
// it ever delivered: a new source is not years late.
type Expected struct {
	// Every is the period: month, quarter (calendar quarters) or year.
	Every string `yaml:"every"`
	// DueDay is a day from 1 to 28.
	DueDay int `yaml:"due_day"`
	// From is the first month owed, yyyy-mm: the first month of a period.
	From string `yaml:"from"`
}

// Expectation returns the deliveries a source owes: its expected key, or
// the deprecated due_day read as a monthly expectation; false when it sets
// no due date.
func (s *Spec) Expectation() (Expected, bool) {
	switch {
	case s.Expected != nil:
		return *s.Expected, true
	case s.DueDay != 0:
		return Expected{Every: EveryMonth, DueDay: s.DueDay}, true
	}
	return Expected{}, false
}

// Months returns the length of the period in months; 0 for an unknown one.
func (e Expected) Months() int {
	switch e.Every {
	case EveryMonth:
		return 1
	case EveryQuarter:
		return 3
	case EveryYear:
		return 12
	}
	return 0
}

// Period returns the first day (UTC midnight) of the period holding t's
// calendar month, read as written (not converted to a zone).
func (e Expected) Period(t time.Time) time.Time {
	n := e.Months()
	if n == 0 {
		n = 1
	}
	m := (int(t.Month())-1)/n*n + 1
	return time.Date(t.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
}

// Next returns the first day of the period after period.
func (e Expected) Next(period time.Time) time.Time {
	n := e.Months()
	if n == 0 {
		n = 1
	}
	return period.AddDate(0, n, 0)
}

// Due returns the due day of a period's delivery, at midnight starting it in
// loc (UTC when nil): day DueDay of the month after the period ends. The
// delivery is on time when it arrives before that day ends.
func (e Expected) Due(period time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	end := e.Next(e.Period(period))
	return time.Date(end.Year(), end.Month(), e.DueDay, 0, 0, 0, 0, loc)
}

// Deadline returns the instant a period's delivery becomes late: the end of
// its due day in loc, midnight starting the next day (23 or 25 hours after
// Due on the days clocks change).
func (e Expected) Deadline(period time.Time, loc *time.Location) time.Time {
	due := e.Due(period, loc)
	return due.AddDate(0, 0, 1)
}

// FromPeriod returns the first period From names; false when From is unset
// (or invalid, which Validate refuses).
func (e Expected) FromPeriod() (time.Time, bool) {
	if e.From == "" {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01", e.From)
	if err != nil {
		return time.Time{}, false
	}
	return e.Period(t), true
}

func (e Expected) validate() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{path, fmt.Sprintf(format, args...)})
	}
	if e.Months() == 0 {
		if e.Every == "" {
			add("every", "the period is required: month, quarter or year")
		} else {
			add("every", "unknown period %q (month, quarter, year)", e.Every)
		}
	}
	if e.DueDay < 1 || e.DueDay > 28 {
		add("due_day", "%d is not a day between 1 and 28; period P's delivery is due by that day of the month after P ends", e.DueDay)
	}
	if e.From != "" {
		t, err := time.Parse("2006-01", e.From)
		switch {
		case err != nil:
			add("from", "%q is not a month written yyyy-mm", e.From)
		case e.Months() > 1 && !e.Period(t).Equal(t):
			add("from", "%s is not the first month of a %s: a %s starts in %s", e.From, e.Every, e.Every, firstMonths(e))
		}
	}
	return ps
}

func firstMonths(e Expected) string {
	if e.Every == EveryYear {
		return "January (01)"
	}
	return "January, April, July or October (01, 04, 07, 10)"
}
