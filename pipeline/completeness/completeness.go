// Package completeness counts, as DHIS2 does for its data sets, the
// deliveries each source owes, has delivered and has delivered on time, per
// period: the rows of the virtual dataset sources.Deliveries.
//
// A source owes deliveries when it declares expected (or the deprecated
// due_day): one per period (month, calendar quarter or year), period P's due
// by day N of the month after P ends, on time when it arrives before that
// day ends in the configured time zone. It owes them from expected.from
// when given, else from the first period it ever delivered, so that a new
// source is not years late; a source that never delivered and has no from
// owes nothing yet (the overdue alert still watches it).
//
// A period is received when rows dated in any of its months arrived (for a
// quarter or a year: any month within it), at the first such arrival.
// Rows run from the first period owed to the latest period whose due date
// has passed or that has data. A period whose due date has not passed and
// that has no data is pending: not expected yet, hence not missing.
package completeness

import (
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// Row is one delivery a source owes: a row of dataset sources.Deliveries.
type Row struct {
	Source, Dataset string
	// Every is the period of the source: month, quarter or year.
	Every string
	// Period is the first day (UTC midnight) of the period owed.
	Period time.Time
	// Due is the due day, at midnight starting it in the time zone given to
	// Compute; the delivery is on time until that day ends.
	Due time.Time
	// Expected is true when the delivery is owed: its due day has ended,
	// or it was received. False means pending (not due, not received).
	Expected bool
	// Received is true when rows of the period arrived, at ReceivedAt (the
	// first arrival; zero when not received); OnTime when that was before
	// the due day ended.
	Received, OnTime bool
	ReceivedAt       time.Time
}

// Missing reports whether the delivery is owed and not received.
func (r Row) Missing() bool { return r.Expected && !r.Received }

// Compute returns the deliveries owed by the sources that declare an
// expectation, sorted by source then period, as known at now; due dates are
// read in loc (UTC when nil). Arrivals of sources not in specs are ignored.
func Compute(specs []sources.Spec, arrivals []warehouse.Arrival, now time.Time, loc *time.Location) []Row {
	if loc == nil {
		loc = time.UTC
	}
	bySource := map[string][]warehouse.Arrival{}
	for _, a := range arrivals {
		bySource[a.Source] = append(bySource[a.Source], a)
	}
	var out []Row
	for i := range specs {
		s := &specs[i]
		e, ok := s.Expectation()
		if !ok || e.Months() == 0 {
			continue
		}
		out = append(out, source(s, e, bySource[s.Name], now, loc)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Period.Before(out[j].Period)
	})
	return out
}

// source returns the rows of one source.
func source(s *sources.Spec, e sources.Expected, arrivals []warehouse.Arrival, now time.Time, loc *time.Location) []Row {
	from, fromSet := e.FromPeriod()
	first := map[time.Time]time.Time{} // period → first arrival
	var last time.Time                 // latest period with data
	for _, a := range arrivals {
		p := e.Period(a.Month)
		if fromSet && p.Before(from) {
			continue // not owed: neither a row nor the start
		}
		if at, seen := first[p]; !seen || a.FirstLoadedAt.Before(at) {
			first[p] = a.FirstLoadedAt
		}
		if p.After(last) {
			last = p
		}
		if !fromSet && (from.IsZero() || p.Before(from)) {
			from = p
		}
	}
	if from.IsZero() {
		return nil // never delivered, no from: nothing owed yet
	}
	var rows []Row
	for p := from; ; p = e.Next(p) {
		deadline := e.Deadline(p, loc)
		due := !now.Before(deadline)
		at, received := first[p]
		if !due && p.After(last) {
			break // neither due nor delivered, nor is any later period
		}
		rows = append(rows, Row{
			Source: s.Name, Dataset: s.Dataset, Every: e.Every, Period: p, Due: e.Due(p, loc),
			Expected: due || received, Received: received, OnTime: received && at.Before(deadline), ReceivedAt: at,
		})
	}
	return rows
}

// Incomplete reports whether a delivery owed by a source feeding dataset,
// for a period overlapping [from, to), is missing: due and not received. A
// pending delivery (not yet due) does not make a period incomplete, nor does
// a late one once it arrived.
func Incomplete(rows []Row, dataset string, from, to time.Time) bool {
	for _, r := range rows {
		if r.Dataset != dataset || !r.Missing() {
			continue
		}
		end := sources.Expected{Every: r.Every}.Next(r.Period)
		if r.Period.Before(to) && end.After(from) {
			return true
		}
	}
	return false
}
