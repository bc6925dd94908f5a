package alerts

import (
	"time"

	"github.com/brusano/bassins/sources"
)

// Overdue tells whether a source's delivery is late, as its expectation
// says: period P's delivery is due by day e.DueDay of the month after P
// ends (for a monthly source, month M's by that day of month M+1); it is
// overdue once that day has passed, in loc (UTC when nil).
//
// latestDelivered is the first day of the latest month delivered; only its
// year and month count, read as written (not converted to loc). The next
// delivery expected is for the period after the one holding it: expected is
// its due date, at midnight in loc, whether it has passed or not (the period
// e.From names when that is later).
//
// A source never delivered is overdue: expected is the due date of the
// period e.From names when set, else the latest due date that has passed.
// An expectation with an unknown period or a due day out of 1–28 sets no
// due date: expected is zero and the delivery is never overdue.
func Overdue(e sources.Expected, latestDelivered, now time.Time, loc *time.Location) (expected time.Time, overdue bool) {
	if e.DueDay < 1 || e.DueDay > 28 || e.Months() == 0 {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	passed := func(due time.Time) bool { return !now.Before(due.AddDate(0, 0, 1)) }
	if latestDelivered.IsZero() {
		if from, ok := e.FromPeriod(); ok {
			due := e.Due(from, loc)
			return due, passed(due)
		}
		// The period before the current one is due within the current
		// one; if that day is still to come, the one before it is the
		// latest that has passed.
		current := e.Period(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC))
		due := e.Due(current.AddDate(0, -e.Months(), 0), loc)
		if !passed(due) {
			due = e.Due(current.AddDate(0, -2*e.Months(), 0), loc)
		}
		return due, true
	}
	next := e.Next(e.Period(latestDelivered))
	if from, ok := e.FromPeriod(); ok && next.Before(from) {
		next = from // periods before From are not owed
	}
	expected = e.Due(next, loc)
	return expected, passed(expected)
}

// DataMonth returns the first day of the month whose delivery is due on
// the given due date: the month before it (for a quarter or a year, its
// last month).
func DataMonth(due time.Time) time.Time {
	return time.Date(due.Year(), due.Month()-1, 1, 0, 0, 0, 0, due.Location())
}
