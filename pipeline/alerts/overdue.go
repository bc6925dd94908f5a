package alerts

import "time"

// Overdue tells whether a monthly delivery is late. Month M's delivery is
// due by day dueDay of month M+1: it is overdue once that day has passed, in
// loc (UTC when nil).
//
// latestDelivered is the first day of the latest month delivered; only its
// year and month count, read as written (not converted to loc). The next
// delivery expected is the month after it: expected is its due date, at
// midnight in loc, whether it has passed or not.
//
// A source never delivered (latestDelivered zero) is overdue: expected is
// the latest due date that has passed. A dueDay out of 1–28 sets no due date:
// expected is zero and the delivery is never overdue.
func Overdue(dueDay int, latestDelivered, now time.Time, loc *time.Location) (expected time.Time, overdue bool) {
	if dueDay < 1 || dueDay > 28 {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	passed := func(due time.Time) bool { return !now.Before(due.AddDate(0, 0, 1)) }
	if latestDelivered.IsZero() {
		due := time.Date(now.Year(), now.Month(), dueDay, 0, 0, 0, 0, loc)
		if !passed(due) {
			due = due.AddDate(0, -1, 0)
		}
		return due, true
	}
	// The month after the latest delivered is due the month after that;
	// time.Date carries December over into the next year.
	expected = time.Date(latestDelivered.Year(), latestDelivered.Month()+2, dueDay, 0, 0, 0, 0, loc)
	return expected, passed(expected)
}

// DataMonth returns the first day of the month whose delivery is due on
// the given due date: the month before it.
func DataMonth(due time.Time) time.Time {
	return time.Date(due.Year(), due.Month()-1, 1, 0, 0, 0, 0, due.Location())
}
